"""Song-level train/validation/test splits: all windows of one source file land in one split."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from smdiff.config.schema import SPLIT_NAMES
from smdiff.errors import ConfigError


def assign_splits(n_files: int, fractions: Sequence[float], seed: int) -> list[str]:
    """A split name for each of ``n_files`` files, shuffled by ``seed``, sized by ``fractions``."""
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-6:
        raise ConfigError(f"data.split must be three non-negative fractions summing to 1, got {list(fractions)}")
    order = np.random.default_rng(seed).permutation(n_files)
    bounds = np.rint(np.cumsum(fractions) * n_files).astype(int)
    labels = np.empty(n_files, dtype=object)
    start = 0
    for name, stop in zip(SPLIT_NAMES, bounds, strict=True):
        labels[order[start:stop]] = name
        start = stop
    return [str(label) for label in labels]
