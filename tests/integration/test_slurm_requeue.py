"""A real training process on fake SLURM: SIGUSR1 → checkpoint → sync home → requeue → resume exactly on a new node."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import torch

from smdiff.checkpoints import load_checkpoint
from smdiff.testing import run_and_signal, scale, write_midi

STEPS = 60  # the signal sent at step 5 must land long before the last step


def train_command(cache: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "smdiff.cli", "train", "--model", "schmu_conv", "--bars", "4", "--batch_size", "4",
        "--steps", str(STEPS), "--log_dir", "runs/requeued", "--set", f"data.cache_path={cache}",
        "--set", "model.preset=tiny", "--set", "model.dropout=0.1", "--set", "train.log_every=1",
        "--set", "train.validate_every=1000", "--set", "train.val_batches=1", "--set", "train.train_samples=0",
        "--set", "train.checkpoint_every=1000", "--set", "train.warmup_steps=0", *extra,
    ]  # fmt: skip


def losses(metrics: Path) -> dict[int, float]:
    return {r["step"]: r["loss"] for r in map(json.loads, metrics.read_text().splitlines()) if r["kind"] == "train"}


def prepared_cache(folder: Path) -> Path:
    """Twelve real (written) songs prepared into a 4-bar melody cache in ``folder``."""
    songs = folder / "songs"
    for index in range(12):
        write_midi(songs / f"{index}.mid", {"MELODY": scale(16, low=58 + index)})
    cache = folder / "cache.npy"
    subprocess.run([sys.executable, "-m", "smdiff.cli", "prepare", "--tokenizer_id", "melody", "--bars", "4", "--root_dir",
                    str(songs), "--cache_path", str(cache), "--set", "data.split=[0.8, 0.2, 0.0]"], check=True, cwd=folder)  # fmt: skip
    return cache


def fake_scontrol(folder: Path, seconds: float = 0.0) -> Path:
    """A folder to put first on PATH whose ``scontrol`` takes ``seconds``, then records its arguments in ``calls.log``."""
    fake_bin = folder / "bin"
    fake_bin.mkdir()
    scontrol = fake_bin / "scontrol"
    scontrol.write_text(f'#!/usr/bin/env bash\nsleep {seconds}\necho "scontrol $*" >> "{folder / "calls.log"}"\n')
    scontrol.chmod(scontrol.stat().st_mode | stat.S_IEXEC)
    return fake_bin


def test_preempted_job_requeues_and_resumes_exactly_from_home(tmp_path):
    cache = prepared_cache(tmp_path)
    straight = tmp_path / "straight"
    straight.mkdir()
    subprocess.run(train_command(cache), check=True, cwd=straight, capture_output=True)

    fake_bin = fake_scontrol(tmp_path)
    home = tmp_path / "home"
    env = {**os.environ, "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}", "SLURM_JOB_ID": "31337",
           "SLURM_TMPDIR": str(tmp_path / "node-a")}  # fmt: skip
    job = train_command(cache, "--resume", "--set", "storage.backend=home_sync", "--set", f"storage.home_dir={home}",
                        "--set", "storage.requeue=true")  # fmt: skip
    first = run_and_signal(
        job, tmp_path / "node-a" / "requeued" / "metrics.jsonl", '"step": 5,', signal.SIGUSR1, env=env
    )
    assert first.returncode == 138, first.stderr
    assert (tmp_path / "calls.log").read_text().strip() == "scontrol requeue 31337"
    assert list((home / "requeued" / "checkpoints").glob("step_*.pt"))  # synced home before exiting

    second = subprocess.run(job, env={**env, "SLURM_TMPDIR": str(tmp_path / "node-b")}, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert "restored run requeued from" in second.stdout
    assert losses(home / "requeued" / "metrics.jsonl") == losses(straight / "runs" / "requeued" / "metrics.jsonl")
    expected = load_checkpoint(straight / "runs" / "requeued" / "checkpoints" / f"step_{STEPS:08d}.pt")["model"]
    resumed = load_checkpoint(home / "requeued" / "checkpoints" / f"step_{STEPS:08d}.pt")["model"]
    assert all(torch.equal(value, expected[key]) for key, value in resumed.items())
    jobs = [json.loads(line) for line in (home / "requeued" / "slurm_jobs.jsonl").read_text().splitlines()]
    assert [job["restored_from_home"] for job in jobs] == [False, True] and jobs[0]["SLURM_JOB_ID"] == "31337"


def two_rank_requeue_job(tmp_path: Path, job_id: str, scontrol_seconds: float) -> tuple[dict[str, str], list[str]]:
    """The environment of SLURM job ``job_id`` (a fake ``scontrol``) and a long home-synced requeueing train command."""
    cache = prepared_cache(tmp_path)
    fake_bin = fake_scontrol(tmp_path, seconds=scontrol_seconds)
    env = {**os.environ, "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}", "SLURM_JOB_ID": job_id,
           "SLURM_TMPDIR": str(tmp_path / "node"), "OMP_NUM_THREADS": "1"}  # fmt: skip
    job = train_command(cache, "--resume", "--set", "storage.backend=home_sync", "--set", f"storage.home_dir={tmp_path / 'home'}",
                        "--set", "storage.requeue=true")  # fmt: skip
    job[job.index("--batch_size") + 1] = "2"
    job[job.index("--steps") + 1] = "100000"
    return env, job


def test_torchrun_forwards_the_preemption_warning_and_the_job_requeues(tmp_path):
    """The torchrun launcher of `smdiff slurm script` passes SIGUSR1 on: both ranks checkpoint, rank 0 requeues."""
    from smdiff_slurm.scripts import TORCHRUN_SIGNAL_FLAGS

    env, job = two_rank_requeue_job(tmp_path, "4242", scontrol_seconds=0)
    torchrun = [sys.executable, "-m", "torch.distributed.run", *TORCHRUN_SIGNAL_FLAGS, "--nproc_per_node", "2",
                "--master_port", "29551", "-m", "smdiff.cli", *job[3:]]  # fmt: skip
    stopped = run_and_signal(
        torchrun, tmp_path / "node" / "requeued" / "metrics.jsonl", '"step": 5,', signal.SIGUSR1, env=env
    )
    assert stopped.returncode != 0
    assert "stopped by SIGUSR1" in stopped.stdout, stopped.stdout[-2000:] + stopped.stderr[-2000:]
    assert (tmp_path / "calls.log").read_text().strip() == "scontrol requeue 4242"
    saved = sorted((tmp_path / "home" / "requeued" / "checkpoints").glob("step_*.pt"))
    assert saved and load_checkpoint(saved[-1])["world_size"] == 2


def workers_of(launcher: int) -> list[int]:
    """The training processes torchrun ``launcher`` started: its children with a ``LOCAL_RANK`` (Linux ``/proc``)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            parent = next(line for line in status.read_text().splitlines() if line.startswith("PPid:"))
            environ = (status.parent / "environ").read_bytes()
        except (OSError, StopIteration):  # a process that ended while we looked
            continue
        if int(parent.split()[1]) == launcher and b"LOCAL_RANK=" in environ:
            found.append(int(status.parent.name))
    return found


def test_no_rank_exits_before_rank_0_has_requeued(tmp_path):
    """SLURM's warning reaches every rank. A rank that stops exits non-zero, and the launcher then kills the others
    (torchrun after its shutdown timeout, 1 s here; `srun --kill-on-bad-exit` at once): a slow requeue (3 s) still
    happens only because no rank leaves before rank 0 has finished it."""
    env, job = two_rank_requeue_job(tmp_path, "5150", scontrol_seconds=3)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--shutdown-timeout=1", "--nproc_per_node", "2",
                "--master_port", "29553", "-m", "smdiff.cli", *job[3:]]  # fmt: skip
    launcher = subprocess.Popen(torchrun, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    metrics = tmp_path / "node" / "requeued" / "metrics.jsonl"
    try:
        deadline = time.monotonic() + 120
        while not (metrics.exists() and '"step": 5,' in metrics.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = workers_of(launcher.pid)
        assert len(workers) == 2, workers
        for worker in workers:
            os.kill(worker, signal.SIGUSR1)
        stdout, stderr = launcher.communicate(timeout=120)
    finally:
        launcher.kill()
    assert "stopped by SIGUSR1" in stdout, stdout[-2000:] + stderr[-2000:]
    assert (tmp_path / "calls.log").read_text().strip() == "scontrol requeue 5150", stderr[-3000:]


def test_two_nodes_resume_from_home_at_the_same_step(tmp_path):
    """Two "nodes" (one rank each, own scratch, one shared home): a requeued job resumes both ranks from home."""
    cache = prepared_cache(tmp_path)

    def job(steps: int, scratches: tuple[str, str], port: int) -> list[subprocess.CompletedProcess]:
        args = train_command(cache, "--resume", "--set", "storage.backend=home_sync", "--set",
                             f"storage.home_dir={tmp_path / 'home'}", "--set", "train.checkpoint_every=5")  # fmt: skip
        args[args.index("--batch_size") + 1] = "2"
        args[args.index("--steps") + 1] = str(steps)
        nodes = []
        for rank, scratch in enumerate(scratches):
            launcher = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--node_rank", str(rank),
                        "--nproc_per_node", "1", "--master_addr", "127.0.0.1", "--master_port", str(port),
                        "-m", "smdiff.cli", *args[3:]]  # fmt: skip
            env = {**os.environ, "SLURM_TMPDIR": str(tmp_path / scratch), "OMP_NUM_THREADS": "1"}
            nodes.append(subprocess.Popen(launcher, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
        try:
            return [subprocess.CompletedProcess(n.args, n.wait(timeout=120), *n.communicate()) for n in nodes]
        finally:  # ranks out of step would wait on each other forever
            for node in nodes:
                if node.poll() is None:
                    node.kill()

    for done in job(10, ("node-a", "node-b"), 29581):
        assert done.returncode == 0, done.stderr[-2000:]
    resumed = job(20, ("node-c", "node-d"), 29582)  # a requeue lands on two new nodes with empty scratch
    for done in resumed:
        assert done.returncode == 0, done.stderr[-2000:]
        assert "resuming" in done.stdout and "at step 10" in " ".join(done.stdout.split())
    steps = sorted(losses(tmp_path / "node-c" / "requeued" / "metrics.jsonl"))
    assert steps == list(range(1, 21))
