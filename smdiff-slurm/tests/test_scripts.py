"""`smdiff slurm script|submit` write runnable sbatch scripts and call a real (fake) sbatch."""

from __future__ import annotations

import subprocess

from typer.testing import CliRunner

from smdiff.cli.app import build_app
from smdiff.plugins import build_plugin_host


def cli(*args):
    return CliRunner().invoke(build_app(build_plugin_host()), list(args), catch_exceptions=False)


def test_training_script_survives_preemption_and_passes_options_through(tmp_path):
    path = tmp_path / "train.sbatch"
    result = cli("slurm", "script", "train", "--nodes", "2", "--gpus_per_node", "4", "--partition", "gpu", "--account", "lab",
                 "--mem", "64G", "--time", "12:00:00", "--script", str(path), "--model", "schmu_conv", "--dataset_id",
                 "pop909_melody", "--set", "model.preset=paper")  # fmt: skip
    assert result.exit_code == 0, result.output
    text = path.read_text()
    for line in ("#SBATCH --signal=USR1@90", "#SBATCH --requeue", "#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=4",
                 "#SBATCH --gpus-per-node=4", "#SBATCH --partition=gpu", "#SBATCH --account=lab", "#SBATCH --mem=64G",
                 "#SBATCH --time=12:00:00"):  # fmt: skip
        assert line in text
    command = text.splitlines()[-1]
    assert command.startswith("srun --kill-on-bad-exit=1 python -m smdiff.cli train --model schmu_conv")
    assert "--resume" in command and "storage.backend=home_sync" in command and "storage.requeue=true" in command
    assert subprocess.run(["bash", "-n", str(path)]).returncode == 0


def test_torchrun_launcher_and_sample_scripts(tmp_path):
    cli(
        "slurm",
        "script",
        "train",
        "--launcher",
        "torchrun",
        "--gpus_per_node",
        "2",
        "--script",
        str(tmp_path / "t.sbatch"),
    )
    text = (tmp_path / "t.sbatch").read_text()
    assert "--ntasks-per-node=1" in text and "--nnodes=" in text and "--nproc_per_node=2" in text
    assert "torchrun --signals-to-handle=SIGTERM,SIGINT,SIGHUP,SIGQUIT,SIGUSR1 --shutdown-timeout=80" in text
    cli(
        "slurm",
        "script",
        "sample",
        "--script",
        str(tmp_path / "s.sbatch"),
        "--load_dir",
        "runs/x",
        "--n_samples",
        "100",
    )
    sample = (tmp_path / "s.sbatch").read_text()
    assert "--signal" not in sample and sample.rstrip().endswith("smdiff.cli sample --load_dir runs/x --n_samples 100")


def test_submit_calls_sbatch(tmp_path, fake_slurm):
    result = cli("slurm", "submit", "evaluate", "--script", str(tmp_path / "e.sbatch"), "--load_dir", "runs/x")
    assert result.exit_code == 0 and "Submitted batch job 4242" in result.stdout
    assert fake_slurm.calls() == [f"sbatch {tmp_path / 'e.sbatch'}"]


def test_submit_without_sbatch_says_so_and_keeps_the_script(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    result = cli("slurm", "submit", "train", "--script", str(tmp_path / "t.sbatch"))
    assert result.exit_code == 2 and "sbatch is not on PATH" in result.stderr and (tmp_path / "t.sbatch").exists()


def test_unknown_job_kind(tmp_path):
    result = cli("slurm", "script", "trian", "--script", str(tmp_path / "x.sbatch"))
    assert result.exit_code == 2 and "no job kind 'trian'" in result.stderr
