"""sbatch scripts for training, sampling and evaluation jobs that survive pre-emption.

Training scripts ask SLURM for SIGUSR1 90 s before the time limit
(``--signal=USR1@90``); smdiff then finishes its step, checkpoints, syncs the
run from scratch to home and requeues the job, which resumes from home on
whatever node it lands on.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

import attrs

KINDS = ("train", "sample", "evaluate")
#: torchrun forwards only SIGTERM, SIGINT, SIGHUP and SIGQUIT to its workers by default; SLURM's pre-emption
#: warning (SIGUSR1) would end the launcher instead. These flags make it forward SIGUSR1 and give the workers
#: 80 of the warning's 90 seconds to checkpoint, sync and requeue before it kills them.
TORCHRUN_SIGNAL_FLAGS = ["--signals-to-handle=SIGTERM,SIGINT,SIGHUP,SIGQUIT,SIGUSR1", "--shutdown-timeout=80"]


@attrs.frozen
class JobSpec:
    """Resources and placement of one job."""

    kind: str
    smdiff_args: tuple[str, ...]
    nodes: int = 1
    gpus_per_node: int = 1
    cpus_per_task: int = 4
    time: str = "24:00:00"
    partition: str | None = None
    account: str | None = None
    mem: str | None = None
    output: str = "smdiff-%x-%j.out"
    home_dir: str = "$HOME/smdiff-runs"
    launcher: str = "srun"
    requeue: bool = True


def _sbatch_lines(job: JobSpec) -> list[str]:
    tasks = job.gpus_per_node if job.launcher == "srun" else 1
    lines = [
        f"#SBATCH --job-name=smdiff-{job.kind}",
        f"#SBATCH --nodes={job.nodes}",
        f"#SBATCH --ntasks-per-node={tasks}",
        f"#SBATCH --cpus-per-task={job.cpus_per_task}",
        f"#SBATCH --time={job.time}",
        f"#SBATCH --output={job.output}",
        "#SBATCH --open-mode=append",
    ]
    if job.gpus_per_node:
        lines.append(f"#SBATCH --gpus-per-node={job.gpus_per_node}")
    lines += [
        f"#SBATCH --{name}={value}"
        for name, value in (("partition", job.partition), ("account", job.account), ("mem", job.mem))
        if value
    ]
    if job.kind == "train":
        lines += ["#SBATCH --signal=USR1@90", "#SBATCH --requeue"]
    return lines


def _train_args(job: JobSpec) -> list[str]:
    return [
        *job.smdiff_args, "--resume",
        "--set", "storage.backend=home_sync", "--set", f"storage.home_dir={job.home_dir}",
        "--set", "storage.scratch_dir=${SMDIFF_SCRATCH:-${SLURM_TMPDIR:-/tmp/$USER}}",
        "--set", f"storage.requeue={'true' if job.requeue else 'false'}",
    ]  # fmt: skip


def _quote(args: Sequence[str]) -> str:
    # Arguments holding shell expansions are double-quoted so the job's shell fills them in.
    return " ".join('"' + arg.replace('"', '\\"') + '"' if "$" in arg else shlex.quote(arg) for arg in args)


def render_script(job: JobSpec) -> str:
    """The sbatch script text for ``job``."""
    args = _train_args(job) if job.kind == "train" else list(job.smdiff_args)
    command = f"python -m smdiff.cli {job.kind} {_quote(args)}"
    if job.launcher == "torchrun" and job.kind == "train":
        command = (
            f'torchrun {" ".join(TORCHRUN_SIGNAL_FLAGS)} --nnodes="$SLURM_NNODES" --nproc_per_node='
            f'{job.gpus_per_node} --rdzv_id="$SLURM_JOB_ID" '
            '--rdzv_backend=c10d --rdzv_endpoint="$MASTER_ADDR:29500" '
            f"-m smdiff.cli {job.kind} {_quote(args)}"
        )
    body = [
        "#!/usr/bin/env bash",
        *_sbatch_lines(job),
        "",
        "# Written by `smdiff slurm script`. One task per GPU; each task is one data-parallel rank.",
        "set -euo pipefail",
        'export MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"',
        "export MASTER_PORT=29500",
        'export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
        "",
        f"srun --kill-on-bad-exit=1 {command}",
    ]
    return "\n".join(body) + "\n"
