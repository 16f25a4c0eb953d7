"""One training step of `schmu_conv` against the original SCHmUBERT ConVormer, same architecture, in one process.

    python benchmarks/train_step_vs_schmubert.py --schmubert /path/to/symbolic-music-discrete-diffusion

The reference is imported from a local checkout of the SCHmUBERT repository
(models/conv_transformer.py); smdiff does not ship its code. Both models get
the paper size (width 512, 24 layers, 8 heads), dropout 0.2, melody (1 track of
90 tokens), 1024 steps, batch 4, fp32, eager; the same masked batch, the same
masked cross-entropy and an Adam step. Reported: seconds per step (median).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.nn.functional as F

from smdiff.config import ModelConfig
from smdiff.plugins import get_registries
from smdiff.tokens import TokenSpec

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


def step_times(model: torch.nn.Module, batch: int, steps: int) -> list[float]:
    generator = torch.Generator().manual_seed(0)
    clean = torch.randint(0, 90, (batch, LENGTH, 1), generator=generator)
    mask = torch.rand(clean.shape, generator=generator) < 0.5
    noisy = torch.where(mask, torch.tensor(90), clean)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schmubert", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.manual_seed(0)
    results = {}
    for name, build in (
        ("SCHmUBERT ConVormer", lambda: reference_model(args.schmubert)),
        ("smdiff schmu_conv", smdiff_model),
    ):
        model = build().to(args.device)
        if args.device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
        seconds = statistics.median(step_times(model, args.batch, args.steps))
        peak = torch.cuda.max_memory_allocated() / 2**30 if args.device.startswith("cuda") else float("nan")
        results[name] = seconds
        params = sum(p.numel() for p in model.parameters()) / 1e6
        print(
            f"{name:<22} {params:6.1f} M params  {seconds:7.3f} s/step  {1 / seconds:6.3f} steps/s  peak {peak:.2f} GiB",
            flush=True,
        )
        del model
    ratio = results["SCHmUBERT ConVormer"] / results["smdiff schmu_conv"]
    print(f"speed-up: {ratio:.2f}x (torch {torch.__version__}, {torch.get_num_threads()} threads, {args.device})")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
