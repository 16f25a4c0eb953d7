"""One training step of `schmu_conv` against the original SCHmUBERT ConVormer, same architecture, in one process.

    python benchmarks/train_step_vs_schmubert.py --schmubert /path/to/symbolic-music-discrete-diffusion

The reference is imported from a local checkout of the SCHmUBERT repository
(models/conv_transformer.py); smdiff does not ship its code. Both models get
the paper size (width 512, 24 layers, 8 heads), dropout 0.2, melody (1 track of
90 tokens), 1024 steps, batch 4, fp32, eager; the same masked batch, the same
masked cross-entropy and an Adam step (lr 1e-4): ``torch.optim.Adam`` as the
SCHmUBERT training script builds it for the reference, and the optimizer
``smdiff train`` builds (fused Adam) for ``schmu_conv``. Reported: seconds per
step (median) and, with ``--profile``, where each step's time goes.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.nn.functional as F

from smdiff.config import ModelConfig
from smdiff.config.schema import TrainConfig
from smdiff.plugins import get_registries
from smdiff.tokens import TokenSpec
from smdiff.training.optim import build_optimizer

SPEC = TokenSpec(("melody",), (90,))
LENGTH = 1024


def reference_model(checkout: Path) -> torch.nn.Module:
    source = checkout / "models" / "conv_transformer.py"
    if not source.is_file():
        raise SystemExit(f"{source} not found: pass --schmubert pointing at a SCHmUBERT checkout")
    spec = importlib.util.spec_from_file_location("schmubert_conv_transformer", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    hparams = SimpleNamespace(
        bert_n_emb=512, bert_n_head=8, bert_n_layers=24, attn_pdrop=0.2, resid_pdrop=0.2, embd_pdrop=0.2,
        sampler="absorbing", latent_shape=(LENGTH,), codebook_size=[90], conv_len=4, block_size=LENGTH, conv_layers=1,
    )  # fmt: skip
    model = module.ConVormer(hparams)
    return torch.nn.Sequential(model, Concat())


class Concat(torch.nn.Module):
    def forward(self, logits: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(logits, dim=-1)


def smdiff_model() -> torch.nn.Module:
    spec = get_registries().models.get("schmu_conv")
    return spec.factory(SPEC, ModelConfig(id="schmu_conv", **spec.presets["paper"]), LENGTH)


def reference_optimizer(model: torch.nn.Module) -> torch.optim.Optimizer:
    return torch.optim.Adam(model.parameters(), lr=1e-4)


def smdiff_optimizer(model: torch.nn.Module) -> torch.optim.Optimizer:
    return build_optimizer(model, TrainConfig(optimizer="adam", lr=1e-4))


def step_times(
    model: torch.nn.Module, make_optimizer: Callable[[torch.nn.Module], torch.optim.Optimizer], batch: int, steps: int
) -> list[float]:
    generator = torch.Generator().manual_seed(0)
    clean = torch.randint(0, 90, (batch, LENGTH, 1), generator=generator)
    mask = torch.rand(clean.shape, generator=generator) < 0.5
    noisy = torch.where(mask, torch.tensor(90), clean)
    optimizer = make_optimizer(model)
    model.train()
    times = []
    for _ in range(steps + 1):
        started = time.perf_counter()
        logits = model(noisy)
        loss = F.cross_entropy(logits[mask[..., 0]], clean[mask])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - started)
    return times[1:]  # the first step warms up allocators and kernels


MATRIX_PRODUCTS = frozenset({"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm"})


def matrix_product_share(model: torch.nn.Module, make_optimizer: Callable, batch: int) -> float:
    """Share of one profiled training step's CPU time spent in matrix products."""
    from torch.profiler import profile

    with profile() as prof:
        step_times(model, make_optimizer, batch, 0)
    events = prof.key_averages()
    total = sum(event.self_cpu_time_total for event in events)
    return sum(event.self_cpu_time_total for event in events if event.key in MATRIX_PRODUCTS) / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schmubert", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per model per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds alternating the two models")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--profile", action="store_true", help="also report the matrix-product share of a step")
    args = parser.parse_args()
    torch.manual_seed(0)
    contenders = {
        "SCHmUBERT ConVormer": (reference_model(args.schmubert).to(args.device), reference_optimizer),
        "smdiff schmu_conv": (smdiff_model().to(args.device), smdiff_optimizer),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    peaks: dict[str, float] = {}
    for _ in range(args.rounds):  # alternate, so drifting machine load hits both sides alike
        for name, (model, make_optimizer) in contenders.items():
            if args.device.startswith("cuda"):
                torch.cuda.reset_peak_memory_stats()
            times[name] += step_times(model, make_optimizer, args.batch, args.steps)
            if args.device.startswith("cuda"):
                peaks[name] = max(peaks.get(name, 0.0), torch.cuda.max_memory_allocated() / 2**30)
    for name, (model, make_optimizer) in contenders.items():
        seconds = statistics.median(times[name])
        params = sum(p.numel() for p in model.parameters()) / 1e6
        peak = f"  peak {peaks[name]:.2f} GiB" if name in peaks else ""
        print(f"{name:<22} {params:6.1f} M params  {seconds:7.3f} s/step  {1 / seconds:6.3f} steps/s{peak}")
        if args.profile:
            share = matrix_product_share(model, make_optimizer, args.batch)
            print(f"{'':<22} matrix products {share:.1%} of the step; bound if all else were free: {1 / share:.2f}x")
    ratio = statistics.median(times["SCHmUBERT ConVormer"]) / statistics.median(times["smdiff schmu_conv"])
    print(f"speed-up: {ratio:.2f}x (torch {torch.__version__}, {torch.get_num_threads()} threads, {args.device})")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
