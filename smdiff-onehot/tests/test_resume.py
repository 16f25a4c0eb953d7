"""Training that survives: real subprocesses, real signals, real checkpoints on disk."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from smdiff.checkpoints import load_checkpoint
from smdiff.data.cache import TokenCache, content_hash, sidecar_path
from smdiff.testing import run_and_signal, tiny_train_command

STEPS = 40


@pytest.fixture(scope="module")
def cache(melody_cache):
    return melody_cache


def command(cache: Path, run_dir: Path, *extra: str, steps: int = STEPS) -> list[str]:
    return tiny_train_command(cache, run_dir, *extra, steps=steps)


def train_losses(run_dir: Path) -> dict[int, float]:
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    losses = [(r["step"], r["loss"]) for r in records if r["kind"] == "train"]
    steps = [step for step, _ in losses]
    assert len(steps) == len(set(steps)), "a step was logged twice"
    return dict(losses)


def final_weights(run_dir: Path, step: int = STEPS) -> dict[str, torch.Tensor]:
    return load_checkpoint(run_dir / "checkpoints" / f"step_{step:08d}.pt")["model"]


def interrupt(args: list[str], run_dir: Path, at_step: int, sig: signal.Signals) -> subprocess.CompletedProcess:
    """Start training, wait until ``at_step`` is logged, send ``sig``, and wait for the exit."""
    return run_and_signal(args, run_dir / "metrics.jsonl", f'"step": {at_step},', sig)


@pytest.fixture(scope="module")
def uninterrupted(cache, tmp_path_factory):
    run = tmp_path_factory.mktemp("straight") / "run"
    subprocess.run(command(cache, run), check=True, capture_output=True)
    return run


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGUSR1, 138), (signal.SIGINT, 130)])
def test_interrupted_and_resumed_equals_uninterrupted(cache, uninterrupted, tmp_path, sig, code):
    run = tmp_path / "run"
    stopped = interrupt(command(cache, run), run, 5, sig)
    assert stopped.returncode == code, stopped.stderr
    assert f"stopped by {sig.name}" in stopped.stdout
    interrupted_at = max(train_losses(run))
    assert 5 <= interrupted_at < STEPS
    resumed = subprocess.run(command(cache, run, "--resume"), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming {run} at step {interrupted_at}" in resumed.stdout
    assert train_losses(run) == train_losses(uninterrupted)  # identical per-step losses, no duplicates
    events = EventAccumulator(str(run / "tensorboard"))
    events.Reload()
    assert [e.step for e in events.Scalars("train/loss")] == list(range(1, STEPS + 1))  # TensorBoard continues too
    expected = final_weights(uninterrupted)
    assert all(torch.equal(value, expected[key]) for key, value in final_weights(run).items())


def test_resume_falls_back_past_a_corrupt_checkpoint(cache, tmp_path):
    run = tmp_path / "run"
    subprocess.run(command(cache, run, "--set", "train.checkpoint_every=4", steps=8), check=True, capture_output=True)
    newest = run / "checkpoints" / "step_00000008.pt"
    newest.write_bytes(newest.read_bytes()[:1000])  # truncated, as after a crash mid-copy
    resumed = subprocess.run(command(cache, run, "--resume", steps=10), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "step_00000008.pt is unreadable" in resumed.stderr and "at step 4 " in resumed.stdout


def test_resume_from_an_explicit_bad_path_fails_loudly(cache, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    result = subprocess.run(command(cache, tmp_path / "run", "--resume", str(bad)), capture_output=True, text=True)
    assert result.returncode == 2 and f"checkpoint {bad} is unreadable" in result.stderr


def test_resume_with_another_model_size_is_refused_with_a_diff(cache, uninterrupted, tmp_path):
    args = command(cache, uninterrupted, "--resume", "--set", "model.width=64", steps=STEPS + 2)
    result = subprocess.run(args, capture_output=True, text=True)
    assert result.returncode == 2
    assert "does not fit this run: model size: checkpoint has {'width': 32" in result.stderr


def test_non_finite_steps_are_skipped_then_training_stops_with_the_checkpoint_intact(cache, tmp_path):
    run = tmp_path / "run"
    args = command(cache, run, "--lr", "1e30", "--set", "train.grad_clip=0", "--set", "train.max_nonfinite=3",
                   "--set", "train.warmup_steps=0", "--set", "train.checkpoint_every=1", "--no-ema")  # fmt: skip
    result = subprocess.run(args, capture_output=True, text=True)
    assert result.returncode == 1 and "3 non-finite steps in a row" in result.stderr
    good = sorted((run / "checkpoints").glob("step_*.pt"))
    assert good and all(torch.isfinite(t).all() for t in load_checkpoint(good[-1])["model"].values())


def test_a_crash_mid_run_leaves_an_emergency_checkpoint_beside_the_good_one(cache, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "samples").write_text("a file where the samples folder should go")
    args = command(cache, run, "--set", "train.sample_every=6", "--set", "train.train_samples=1",
                   "--set", "train.checkpoint_every=3")  # fmt: skip
    result = subprocess.run(args, capture_output=True, text=True)
    assert result.returncode == 1
    names = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert names == ["emergency_step_00000006.pt", "step_00000003.pt"]  # the good one is kept, not overwritten
    assert "emergency checkpoint written" in result.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="torchrun needs process spawning")
def test_two_process_ddp_matches_one_process_with_the_same_global_batch(cache, tmp_path):
    single, double = tmp_path / "single", tmp_path / "ddp"
    steps = 60  # the SIGTERM at step 3 must land long before the last step, even on a fast machine
    base = command(cache, single, "--set", "model.dropout=0.0", steps=steps)
    base[base.index("--batch_size") + 1] = "4"
    subprocess.run(base, check=True, capture_output=True)
    ddp = command(cache, double, "--set", "model.dropout=0.0", steps=steps)
    ddp[ddp.index("--batch_size") + 1] = "2"
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
                "-m", "smdiff.cli", *ddp[3:]]  # fmt: skip
    stopped = interrupt(torchrun, double, 3, signal.SIGTERM)
    assert "stopped by SIGTERM" in stopped.stdout, stopped.stdout[-2000:] + stopped.stderr[-2000:]
    assert list((double / "checkpoints").glob("step_*.pt"))
    resumed = [*torchrun, "--resume"]
    done = subprocess.run(resumed, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    one, two = train_losses(single), train_losses(double)
    assert one.keys() == two.keys() and all(abs(one[s] - two[s]) < 1e-4 for s in one)
    expected = final_weights(single, steps)
    assert all(torch.allclose(v, expected[k], atol=1e-5) for k, v in final_weights(double, steps).items())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="torchrun needs process spawning")
def test_two_ranks_accumulating_gradients_match_one_process(cache, tmp_path):
    """Each rank masks only its own rows and all-reduces once per step (no_sync), yet equals a single process."""
    single, double = tmp_path / "single", tmp_path / "ddp"
    accumulate = ["--set", "model.dropout=0.0", "--set", "train.accumulate=2"]
    subprocess.run(command(cache, single, *accumulate, steps=5), check=True, capture_output=True)
    ddp = command(cache, double, *accumulate, steps=5)
    ddp[ddp.index("--batch_size") + 1] = "2"
    done = subprocess.run(
        torchrun(ddp, 29537), capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    assert done.returncode == 0, done.stderr[-2000:]
    one, two = train_losses(single), train_losses(double)
    assert one.keys() == two.keys() == set(range(1, 6)) and all(abs(one[s] - two[s]) < 1e-4 for s in one)
    expected = final_weights(single, 5)
    assert all(torch.allclose(v, expected[k], atol=1e-5) for k, v in final_weights(double, 5).items())


def test_init_from_starts_a_new_run_from_a_checkpoints_weights(cache, uninterrupted, tmp_path):
    source = uninterrupted / "checkpoints" / f"step_{STEPS:08d}.pt"
    run = tmp_path / "finetune"
    result = subprocess.run(command(cache, run, "--init_from", str(source), steps=3), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "initialised" in result.stdout and f"from {source}" in result.stdout
    assert load_checkpoint(run / "checkpoints" / "step_00000003.pt")["state"]["step"] == 3  # a new run, not a resume
    mismatch = subprocess.run(command(cache, tmp_path / "wider", "--init_from", str(source), "--set", "model.width=64", steps=3),
                              capture_output=True, text=True)  # fmt: skip
    assert (
        mismatch.returncode == 2
        and "do not match this model" in mismatch.stderr
        and "--allow_partial" in mismatch.stderr
    )
    partial = subprocess.run(command(cache, tmp_path / "partial", "--init_from", str(source), "--set", "model.width=64",
                                     "--allow_partial", steps=3), capture_output=True, text=True)  # fmt: skip
    assert partial.returncode == 0, partial.stderr


def torchrun(args: list[str], port: int) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(port),
            "-m", "smdiff.cli", *args[3:]]  # fmt: skip


def test_two_ranks_with_dropout_resume_exactly(cache, tmp_path):
    """Every rank's dropout stream is checkpointed: stopped and resumed equals uninterrupted, step for step."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    steps = 40  # the SIGTERM at step 6 must land long before the last step, even on a fast machine
    args = {run: command(cache, run, "--set", "model.dropout=0.1", steps=steps) for run in (straight, stopped)}
    for each in args.values():
        each[each.index("--batch_size") + 1] = "2"
    done = subprocess.run(torchrun(args[straight], 29541), capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    interrupted = interrupt(torchrun(args[stopped], 29542), stopped, 6, signal.SIGTERM)
    assert "stopped by SIGTERM" in interrupted.stdout and list((stopped / "checkpoints").glob("step_*.pt"))
    resumed = subprocess.run([*torchrun(args[stopped], 29543), "--resume"], capture_output=True, text=True, env=env)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    one, two = train_losses(straight), train_losses(stopped)
    assert one.keys() == two.keys() == set(range(1, steps + 1))
    assert all(one[s] == two[s] for s in one), [(s, one[s], two[s]) for s in one if one[s] != two[s]][:3]
    expected = final_weights(straight, steps)
    assert all(torch.equal(v, expected[k]) for k, v in final_weights(stopped, steps).items())
    payload = load_checkpoint(stopped / "checkpoints" / f"step_{steps:08d}.pt")
    assert payload["world_size"] == 2 and len(payload["rng_ranks"]) == 2


def test_a_checkpoint_of_two_ranks_is_refused_by_one(cache, tmp_path):
    run = tmp_path / "run"
    args = command(cache, run, steps=4)
    args[args.index("--batch_size") + 1] = "2"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    assert subprocess.run(torchrun(args, 29544), capture_output=True, env=env).returncode == 0
    alone = subprocess.run([*command(cache, run, steps=8), "--resume"], capture_output=True, text=True)
    assert alone.returncode == 2
    assert "written by 2 training process(es), and this run has 1; resume with 2" in " ".join(alone.stderr.split())


def test_a_rank_that_dies_ends_the_whole_run_quickly(cache, tmp_path):
    """A rank killed mid-run (a crash, out of memory) never leaves the other waiting in a collective."""
    run = tmp_path / "run"
    args = command(cache, run, "--set", "train.validate_every=100000", steps=100000)
    args[args.index("--batch_size") + 1] = "2"
    launcher = subprocess.Popen(torchrun(args, 29545), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "OMP_NUM_THREADS": "1"})  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (
        (run / "metrics.jsonl").exists() and '"step": 10,' in (run / "metrics.jsonl").read_text()
    ):
        time.sleep(0.1)
    workers = subprocess.run(["pgrep", "-P", str(launcher.pid)], capture_output=True, text=True).stdout.split()
    rank_one = [int(pid) for pid in workers if b"RANK=1" in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")]
    assert len(rank_one) == 1, workers
    killed = time.monotonic()
    os.kill(rank_one[0], signal.SIGKILL)
    launcher.communicate(timeout=60)
    assert launcher.returncode != 0 and time.monotonic() - killed < 60


def test_a_rank_that_raises_ends_every_rank_quickly_with_its_error(cache, tmp_path):
    """Rank 1 alone meets a bad window (batches are sorted, so the last train window is always in its rows)."""
    bad = tmp_path / "bad.npy"
    shutil.copy(cache, bad)
    shutil.copy(sidecar_path(cache), sidecar_path(bad))
    meta = json.loads(sidecar_path(bad).read_text())
    last = int(TokenCache(bad, np.load(bad), meta).split_indices("train").max())
    windows = np.load(bad)
    windows[last] = 255  # far outside the melody vocabulary (90 tokens and the mask): the embedding raises
    np.save(bad, windows)
    sidecar_path(bad).write_text(json.dumps({**meta, "content_hash": content_hash(windows)}))
    args = command(bad, tmp_path / "run", steps=200)
    args[args.index("--batch_size") + 1] = "2"
    started = time.monotonic()
    done = subprocess.run(torchrun(args, 29547), capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})  # fmt: skip
    assert done.returncode != 0 and time.monotonic() - started < 60
    assert "IndexError" in done.stderr and "index out of range" in done.stderr


@contextlib.contextmanager
def storages_labelled_as_gpu():
    """While active, ``torch.save`` labels every CPU storage ``cuda:0``, as a checkpoint written on a GPU is labelled."""
    entry = (0, lambda storage: "cuda:0" if storage.device.type == "cpu" else None, lambda storage, location: None)
    torch.serialization._package_registry.insert(0, entry)
    try:
        yield
    finally:
        torch.serialization._package_registry.remove(entry)


def test_a_checkpoint_written_on_a_gpu_resumes_here_with_its_random_states(cache, uninterrupted, tmp_path):
    """Checkpoints are read onto the CPU whatever device the run uses: random states must reach torch as CPU byte
    tensors (a checkpoint mapped to the GPU made every GPU resume fail with 'RNG state must be a torch.ByteTensor')."""
    run = tmp_path / "run"
    subprocess.run(command(cache, run, steps=STEPS // 2), check=True, capture_output=True)
    saved = run / "checkpoints" / f"step_{STEPS // 2:08d}.pt"
    payload = torch.load(saved, weights_only=True)
    with storages_labelled_as_gpu():
        torch.save(payload, saved)
    with pytest.raises(RuntimeError, match="CUDA"):  # really labelled as GPU tensors: this machine has no GPU
        torch.load(saved, weights_only=True)
    loaded = load_checkpoint(saved)
    states = [loaded["rng"]["torch"], *loaded["rng"]["generators"].values()]
    assert all(state.device.type == "cpu" and state.dtype == torch.uint8 for state in states)
    resumed = subprocess.run(command(cache, run, "--resume"), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert train_losses(run) == train_losses(uninterrupted)


def test_the_resume_path_reads_checkpoints_onto_the_cpu(cli, cache, tmp_path, monkeypatch):
    """Whatever device trains, ``torch.load`` is asked for the CPU; ``load_state_dict`` moves the weights."""
    run = tmp_path / "run"
    subprocess.run(command(cache, run, steps=4), check=True, capture_output=True)
    asked, load = [], torch.load
    monkeypatch.setattr(
        torch, "load", lambda *args, **kwargs: asked.append(kwargs["map_location"]) or load(*args, **kwargs)
    )
    result = cli(*command(cache, run, "--resume", steps=6)[3:])
    assert result.exit_code == 0, result.output
    assert asked == ["cpu"]
