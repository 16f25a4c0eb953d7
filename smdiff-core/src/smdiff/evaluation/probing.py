"""The model probe of a trained run: masked-pitch bits on test windows against the unigram, context and neighbour baselines."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from smdiff.data.cache import TokenCache
from smdiff.diffusion.probe import PitchStatistics, ProbeResult, pitch_probe
from smdiff.errors import DataError
from smdiff.inference.runs import LoadedRun

if TYPE_CHECKING:
    from smdiff.registry import Registries

PROBE_WINDOWS = 64
UNIGRAM_WINDOWS = 2000
PROBE_SEED = 1234


def probe_run(
    run: LoadedRun, registries: Registries, cache_file: Path, windows: int = PROBE_WINDOWS
) -> list[ProbeResult]:
    """Probe ``run``'s model on the first ``windows`` test windows of its cache (baselines' statistics from the train split)."""
    pitch_tokens = run.tokenizer.pitch_tokens()
    if not pitch_tokens:
        raise DataError(f"tokenizer '{run.tokenizer.id}' declares no pitch tokens; the probe needs them")
    spec = registries.tokenizers.get(run.tokenizer.id)
    cache = TokenCache.load(
        cache_file, tokenizer_id=run.tokenizer.id, tokenizer_version=spec.version, rebuild_hint="smdiff prepare"
    )
    test = cache.split_indices("test")[:windows]
    if len(test) == 0:
        raise DataError(f"the test split of {cache_file} is empty; the probe needs test windows")
    statistics = PitchStatistics.of(
        np.asarray(cache.windows[cache.split_indices("train")[:UNIGRAM_WINDOWS]]), pitch_tokens
    )
    unit = run.config.diffusion.mask_unit
    if unit == "auto":
        unit = "token" if spec.representation == "event" else "element"
    return pitch_probe(
        run.model, np.asarray(cache.windows[test]), run.tokenizer.token_spec, pitch_tokens, statistics,
        unit=unit, seed=PROBE_SEED, device=run.device,
    )  # fmt: skip
