"""What writing the samples costs: end-to-end sampling (MIDI + tokens + piano roll) against the sampler alone.

    python benchmarks/sampling_end_to_end.py --load_dir runs/main_job [--n_samples 32] [--steps 16] [--repeat 3]

Generates --n_samples unconditional samples with the confidence sampler at
--steps steps, --repeat times. Sampler-only throughput counts the seconds the
sampler itself took (index.json's per-sample seconds); end to end counts the
whole call, files included. Reports each run and the median ratio (target ≥ 0.8).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from smdiff.config import SampleConfig
from smdiff.inference import load_run, sample_to_folder
from smdiff.plugins import get_registries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load_dir", type=Path, required=True)
    parser.add_argument("--n_samples", type=int, default=32)
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    registries = get_registries()
    run = load_run(args.load_dir, load_step=None, ema=True, registries=registries)
    task = registries.tasks.get("uncond").factory(SampleConfig())
    config = SampleConfig(sampler="confidence", sample_steps=args.steps, n_samples=args.n_samples, batch_size=8)
    ratios = []
    print("| run | sampler only, samples/s | end to end, samples/s | ratio |\n|---|---|---|---|")
    for attempt in range(args.repeat):
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            index = sample_to_folder(run, task, config, Path(folder))
            whole = args.n_samples / (time.perf_counter() - started)
        sampler = args.n_samples / sum(record["seconds"] for record in index["samples"])
        ratios.append(whole / sampler)
        print(f"| {attempt + 1} | {sampler:.2f} | {whole:.2f} | {whole / sampler:.2f} |")
    print(f"\nmedian ratio {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})")


if __name__ == "__main__":
    main()
