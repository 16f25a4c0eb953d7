"""How fast 1,000 64-bar samples are scored with every unconditional metric, and 1,000 infillings with every infilling one.

    python benchmarks/metrics_speed.py [--cache data/cache/pop909_melody-melody-64bars.npy] [--n 1000]

Uses real windows of a prepared cache as the "samples" (cycled up to --n) and
the cache's test split as the reference, and times decoding, note extraction
and all registered unconditional metrics, as `smdiff evaluate` does. Then it
scores --n infillings of bars 16-32 (window i "filled" with window i + 1's
notes there), baselines included.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from smdiff.config import DataConfig
from smdiff.data.cache import TokenCache
from smdiff.evaluation.core import Evaluation, Gap, InfillPair
from smdiff.evaluation.inputs import notes_of, reference_tables
from smdiff.evaluation.report import score
from smdiff.plugins import get_registries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("data/cache/pop909_melody-melody-64bars.npy"))
    parser.add_argument("--tokenizer_id", default="melody")
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    registries = get_registries()
    spec = registries.tokenizers.get(args.tokenizer_id)
    data = DataConfig(tokenizer_id=args.tokenizer_id, bars=64)
    tokenizer = spec.factory(data)
    cache = TokenCache.load(
        args.cache, tokenizer_id=tokenizer.id, tokenizer_version=spec.version, rebuild_hint="smdiff prepare"
    )
    reference = reference_tables(data, tokenizer, spec.version, args.cache, "test")
    windows = [np.asarray(cache.windows[i % len(cache.windows)]) for i in range(args.n)]
    started = time.perf_counter()
    decoded = [notes_of(tokenizer, window, data.bars) for window in windows]
    evaluation = Evaluation("uncond", [t for t, _ in decoded], reference, [ok for _, ok in decoded])
    results = score(evaluation, registries)
    seconds = time.perf_counter() - started
    print(
        f"{args.n} samples of 64 bars ({args.tokenizer_id}), {len(results)} metrics, {len(reference)} reference pieces: {seconds:.2f} s"
    )
    for name, row in sorted(results.items()):
        print(f"  {name:<24} {row['value']:.4f}")
    started = time.perf_counter()
    region = tokenizer.region_mask(windows[0], start_bar=16, end_bar=32, tracks=())
    pairs = []
    for index, (table, _) in enumerate(decoded):
        other = windows[(index + 1) % len(windows)]
        generated = np.where(region, other, windows[index])
        pairs.append(
            InfillPair(
                table, notes_of(tokenizer, generated, data.bars)[0], Gap(16, 32), windows[index], generated, region
            )
        )
    infill = Evaluation("infill", [p.generated for p in pairs], reference, [True] * len(pairs), pairs)
    results = score(infill, registries)
    seconds = time.perf_counter() - started
    print(f"{args.n} infillings of bars 16-32, {len(results)} metrics with their baselines: {seconds:.2f} s")


if __name__ == "__main__":
    main()
