"""`smdiff train` and `smdiff sample` on a CUDA GPU: fp32 and bf16, exact resume, both samplers, two-GPU DDP.

Marked ``cuda`` and skipped without a GPU (``pytest -m cuda`` on a GPU machine;
``benchmarks/gpu_check.py`` runs them and times the GPU paths).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from smdiff.checkpoints import load_checkpoint
from smdiff.testing import run_and_signal, tiny_train_command

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]
STEPS = 200  # long enough that a signal sent at step 8 lands before the end on a fast GPU


def train(cache: Path, run_dir: Path, *extra: str, steps: int = STEPS) -> list[str]:
    return tiny_train_command(cache, run_dir, "--set", "train.validate_every=10", "--set", "train.device=cuda", *extra,
                              steps=steps)  # fmt: skip


def losses(run_dir: Path) -> dict[int, float]:
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["loss"] for r in records if r["kind"] == "train"}


@pytest.mark.parametrize(
    ("amp", "kernels"), [("none", "auto"), ("bf16", "auto"), ("fp16", "triton"), ("fp16", "torch")]
)
def test_training_on_the_gpu_learns_and_validates(melody_cache, tmp_path, amp, kernels):
    """fp16 with the fused loss lost its gradients (stored in float16 before loss scaling) and skipped step 1."""
    run = tmp_path / f"{amp}-{kernels}"
    args = train(melody_cache, run, "--set", f"train.amp={amp}", "--set", f"kernels.backend={kernels}")
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    values = losses(run)
    assert len(values) == STEPS and all(v == v for v in values.values())  # no NaN
    assert sum(list(values.values())[-5:]) < sum(list(values.values())[:5])
    assert load_checkpoint(run / "checkpoints" / f"step_{STEPS:08d}.pt")["state"]["step"] == STEPS


@pytest.mark.parametrize(
    ("model", "amp", "tolerance"),
    [("schmu_conv", "none", 0.0), ("schmu_tx", "none", 0.0), ("schmu_conv", "bf16", 1e-2)],
)
def test_a_run_stopped_and_resumed_on_the_gpu_repeats_the_uninterrupted_one(
    melody_cache, tmp_path, model, amp, tolerance
):
    """fp32 with deterministic kernels is bit-exact, attention included; bf16 within the tolerance docs/training.md states.

    Catches a checkpoint mapped to the GPU (random states must be CPU byte tensors) and attention backward
    kernels that stay non-deterministic.
    """
    extra = ("--set", f"model.id={model}", "--set", f"train.amp={amp}", "--set", "train.deterministic=true")
    straight, stopped = tmp_path / "straight", tmp_path / "stopped"
    subprocess.run(train(melody_cache, straight, *extra), check=True, capture_output=True)
    interrupted = run_and_signal(train(melody_cache, stopped, *extra), stopped / "metrics.jsonl", '"step": 8,',
                                 signal.SIGTERM)  # fmt: skip
    assert interrupted.returncode == 143, interrupted.stderr[-2000:]
    subprocess.run([*train(melody_cache, stopped, *extra), "--resume"], check=True, capture_output=True)
    one, two = losses(straight), losses(stopped)
    assert one.keys() == two.keys() and all(abs(one[s] - two[s]) <= tolerance for s in one)


@pytest.mark.parametrize("sampler", ["confidence", "ancestral"])
def test_both_samplers_write_midi_from_a_gpu_run(melody_cache, tmp_path, sampler):
    run = tmp_path / "run"
    subprocess.run(train(melody_cache, run, steps=10), check=True, capture_output=True)
    out = tmp_path / sampler
    done = subprocess.run(
        [sys.executable, "-m", "smdiff.cli", "sample", "--load_dir", str(run), "--n_samples", "4", "--sampler", sampler,
         "--out_dir", str(out)], capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(list(out.glob("*.mid"))) == 4


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two CUDA GPUs")
def test_two_gpu_ddp_over_nccl_matches_one_gpu(melody_cache, tmp_path):
    single, double = tmp_path / "single", tmp_path / "ddp"
    exact = ("--set", "model.dropout=0.0", "--set", "train.deterministic=true")
    subprocess.run(train(melody_cache, single, *exact, steps=6), check=True, capture_output=True)
    ddp = train(melody_cache, double, *exact, steps=6)
    ddp[ddp.index("--batch_size") + 1] = "2"
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29561"]
    done = subprocess.run([*launcher, *ddp[1:]], capture_output=True, text=True, env={**os.environ})
    assert done.returncode == 0, done.stderr[-2000:]
    one, two = losses(single), losses(double)
    assert one.keys() == two.keys() and all(abs(one[s] - two[s]) < 1e-4 for s in one)
