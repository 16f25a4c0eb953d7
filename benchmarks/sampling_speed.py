"""Sampling speed and quality: SCHmUBERT's 1024-step ancestral sampler against confidence sampling, same model.

    python benchmarks/sampling_speed.py --load_dir runs/learn_melody --n_samples 16

For each setting, generates the same number of unconditional 64-bar windows
with the run's EMA weights (one batch), times it, and scores the samples
against the dataset's test split (pitch-class KL, OA consistency of pitch and
duration). Needs smdiff-metrics installed and the run's cache prepared.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import attrs

from smdiff.config import SampleConfig
from smdiff.generate import generate, load_run
from smdiff.plugins import get_registries
from smdiff.scoring import evaluate_folder
from smdiff.training.setup import cache_path

SETTINGS = (("ancestral", None), ("confidence", 16), ("confidence", 32), ("confidence", 64))
METRICS = ("kl_pitch_class", "oa_pitch_consistency", "oa_duration_consistency")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load_dir", type=Path, required=True)
    parser.add_argument("--n_samples", type=int, default=16)
    parser.add_argument("--load_step", type=int, default=None)
    args = parser.parse_args()
    registries = get_registries()
    run = load_run(args.load_dir, load_step=args.load_step, ema=True, registries=registries)
    task = registries.tasks.get("uncond").factory(SampleConfig())
    rows = []
    for sampler, steps in SETTINGS:
        config = SampleConfig(
            sampler=sampler, sample_steps=steps, n_samples=args.n_samples, batch_size=args.n_samples, seed=1
        )
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            index = generate(run, config, task, Path(folder))
            seconds = time.perf_counter() - started
            _, results, _, _ = evaluate_folder(
                Path(folder), registries, cache_file_for=lambda data: cache_path(attrs.evolve(run.config, data=data)),
                reference_split="test", metrics=METRICS, out_dir=Path(folder) / "metrics",
            )  # fmt: skip
        calls = index["samples"][0]["network_calls_in_batch"]
        rows.append(
            (
                sampler,
                steps or run.window_length,
                args.n_samples / seconds,
                calls,
                {m: results[m]["value"] for m in METRICS},
            )
        )
        print(f"{sampler:<10} {steps or run.window_length:>5} steps  {args.n_samples / seconds:8.3f} samples/s  "
              f"{calls:>5} network calls  " + "  ".join(f"{m} {results[m]['value']:.4f}" for m in METRICS), flush=True)  # fmt: skip
    base = rows[0][2]
    for sampler, steps, rate, _, _ in rows[1:]:
        print(f"{sampler} {steps}: {rate / base:.1f}x the samples/s of ancestral {rows[0][1]}")


if __name__ == "__main__":
    main()
