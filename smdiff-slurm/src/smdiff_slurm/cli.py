"""``smdiff slurm script|submit``: job scripts for clusters, added to the CLI through the ``smdiff_cli`` hook."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from smdiff import DataError, status
from smdiff_slurm.scripts import KINDS, JobSpec, render_script

CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}


def _job(ctx: typer.Context, kind: str, **resources) -> JobSpec:
    if kind not in KINDS:
        raise DataError(f"no job kind '{kind}'; choose one of {', '.join(KINDS)}")
    return JobSpec(kind=kind, smdiff_args=tuple(ctx.args), **resources)


def _write(job: JobSpec, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_script(job))
    path.chmod(0o755)
    return path


Kind = Annotated[str, typer.Argument(help="train, sample or evaluate; options after it go to that smdiff command.")]
Nodes = Annotated[int, typer.Option("--nodes", help="Nodes.")]
Gpus = Annotated[int, typer.Option("--gpus-per-node", help="GPUs (and ranks) per node.")]
Time = Annotated[str, typer.Option("--time", help="Wall-clock limit, e.g. 24:00:00.")]
Partition = Annotated[str | None, typer.Option("--partition", help="SLURM partition.")]
Account = Annotated[str | None, typer.Option("--account", help="SLURM account.")]
Mem = Annotated[str | None, typer.Option("--mem", help="Memory per node, e.g. 64G.")]
Output = Annotated[str, typer.Option("--output", help="Job log file pattern.")]
Home = Annotated[str, typer.Option("--home-dir", help="Permanent folder the run is mirrored to.")]
Launcher = Annotated[str, typer.Option("--launcher", help="srun (a task per GPU) or torchrun (one per node).")]
Script = Annotated[Path, typer.Option("--script", help="Where to write the sbatch script.")]


def make_slurm_app() -> typer.Typer:
    """The ``slurm`` sub-app."""
    app = typer.Typer(
        help="Write and submit SLURM jobs that checkpoint, sync home and requeue on pre-emption.", no_args_is_help=True
    )

    @app.command("script", context_settings=CONTEXT)
    def script(
        ctx: typer.Context, kind: Kind, nodes: Nodes = 1, gpus_per_node: Gpus = 1, time: Time = "24:00:00",
        partition: Partition = None, account: Account = None, mem: Mem = None, output: Output = "smdiff-%x-%j.out",
        home_dir: Home = "$HOME/smdiff-runs", launcher: Launcher = "srun", script: Script = Path("smdiff-job.sbatch"),
    ) -> None:  # fmt: skip
        """Write an sbatch script for `smdiff train|sample|evaluate ...` (extra options are passed through)."""
        job = _job(ctx, kind, nodes=nodes, gpus_per_node=gpus_per_node, time=time, partition=partition, account=account,
                   mem=mem, output=output, home_dir=home_dir, launcher=launcher)  # fmt: skip
        status(f"wrote {_write(job, script)}; submit it with: sbatch {script}")

    @app.command("submit", context_settings=CONTEXT)
    def submit(
        ctx: typer.Context, kind: Kind, nodes: Nodes = 1, gpus_per_node: Gpus = 1, time: Time = "24:00:00",
        partition: Partition = None, account: Account = None, mem: Mem = None, output: Output = "smdiff-%x-%j.out",
        home_dir: Home = "$HOME/smdiff-runs", launcher: Launcher = "srun", script: Script = Path("smdiff-job.sbatch"),
    ) -> None:  # fmt: skip
        """Write the sbatch script and submit it with sbatch."""
        job = _job(ctx, kind, nodes=nodes, gpus_per_node=gpus_per_node, time=time, partition=partition, account=account,
                   mem=mem, output=output, home_dir=home_dir, launcher=launcher)  # fmt: skip
        path = _write(job, script)
        if shutil.which("sbatch") is None:
            raise DataError(
                f"sbatch is not on PATH (no SLURM here); the script is at {path}: copy it to the cluster and run sbatch {path.name}"
            )
        result = subprocess.run(["sbatch", str(path)], capture_output=True, text=True)
        if result.returncode:
            raise DataError(f"sbatch {path} failed: {result.stderr.strip() or result.stdout.strip()}")
        status(result.stdout.strip() or f"submitted {path}")

    return app
