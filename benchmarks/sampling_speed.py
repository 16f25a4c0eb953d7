"""Sampling speed and quality: SCHmUBERT's 1024-step ancestral sampler against confidence sampling, same model.

    python benchmarks/sampling_speed.py --load_dir runs/curve_melody --n_samples 64

For each setting, generates the same unconditional 64-bar windows (same
seeds, batches of ``--batch_size``) with the run's EMA weights, times the
sampler (network calls and sampling steps; the index's per-sample seconds) and
the whole call (also writing each sample's MIDI, tokens and piano-roll PNG), and
scores all samples against the dataset's test split (pitch-class KL, OA
consistency of pitch and duration). The ``±`` after a value is the spread of
the metric over ``--groups`` disjoint groups of the samples (standard deviation
of the group values divided by the square root of the group count): a rough
standard error, to tell a real difference from sampling noise. Needs
smdiff-metrics installed and the run's cache prepared.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import attrs

from smdiff.config import SampleConfig
from smdiff.data.catalog import config_cache_path as cache_path
from smdiff.evaluation.inputs import evaluate_folder
from smdiff.evaluation.report import score
from smdiff.inference import load_run, sample_to_folder
from smdiff.plugins import get_registries

# (sampler, steps, confidence score, confidence noise); steps None = one per position
SETTINGS = (
    ("ancestral", None, "probability", 0.0),
    ("ancestral", 64, "probability", 0.0),
    ("confidence", 64, "probability", 0.0),
    ("confidence", 64, "entropy", 10.0),
    ("confidence", 32, "entropy", 10.0),
    ("confidence", 16, "entropy", 10.0),
)
METRICS = ("kl_pitch_class", "oa_pitch_consistency", "oa_duration_consistency")


def spread(evaluation, registries, groups: int) -> dict[str, float]:
    """Standard deviation over disjoint sample groups, divided by √groups, per metric."""
    values: dict[str, list[float]] = {m: [] for m in METRICS}
    for group in range(groups):
        part = attrs.evolve(
            evaluation, samples=evaluation.samples[group::groups], valid=evaluation.valid[group::groups]
        )
        for name, result in score(part, registries, METRICS).items():
            values[name].append(result["value"])
    return {m: statistics.stdev(v) / len(v) ** 0.5 for m, v in values.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load_dir", type=Path, required=True)
    parser.add_argument("--n_samples", type=int, default=64)
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--groups", type=int, default=4)
    parser.add_argument("--load_step", type=int, default=None)
    args = parser.parse_args()
    registries = get_registries()
    run = load_run(args.load_dir, load_step=args.load_step, ema=True, registries=registries)
    task = registries.tasks.get("uncond").factory(SampleConfig())
    base_rate = None
    print("| sampler | steps | score | noise | samples/s | × ancestral | with file writing, samples/s | network calls per batch | "
          + " | ".join(METRICS) + " |")  # fmt: skip
    for sampler, steps, confidence_score, noise in SETTINGS:
        config = SampleConfig(
            sampler=sampler, sample_steps=steps, n_samples=args.n_samples, batch_size=args.batch_size, seed=1,
            confidence_score=confidence_score, confidence_noise=noise,
        )  # fmt: skip
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            index = sample_to_folder(run, task, config, Path(folder))
            overall = args.n_samples / (time.perf_counter() - started)
            scored = evaluate_folder(
                Path(folder), registries, data=run.config.data,
                cache_file_for=lambda data: cache_path(attrs.evolve(run.config, data=data)),
                reference_split="test", metrics=METRICS, out_dir=Path(folder) / "metrics",
            )  # fmt: skip
            evaluation, results = scored.evaluation, scored.results
        errors = spread(evaluation, registries, args.groups)
        rate = args.n_samples / sum(record["seconds"] for record in index["samples"])
        calls = statistics.mean(record["network_calls_in_batch"] for record in index["samples"])
        base_rate = base_rate or rate
        is_confidence = sampler == "confidence"
        cells = " | ".join(f"{results[m]['value']:.4f} ± {errors[m]:.4f}" for m in METRICS)
        print(
            f"| {sampler} | {steps or run.window_length} | {confidence_score if is_confidence else '—'} | "
            f"{noise if is_confidence else '—'} | {rate:.3f} | {rate / base_rate:.1f} | {overall:.3f} | {calls:.0f} | {cells} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
