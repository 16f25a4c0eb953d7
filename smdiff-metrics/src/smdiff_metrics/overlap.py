"""Overlapping-area (OA) consistency and variance (Mittal et al. 2021, as used by SCHmUBERT).

Each piece is cut into frames of 4 bars with a hop of 2 bars. A Gaussian is fit
to the frame's pitches (or durations); the overlapping area of the Gaussians of
adjacent frames measures how self-consistent the piece is. Over a set of
pieces, the mean and the variance of those areas are compared with the
reference set's:

    consistency = max(0, 1 − |mean_gen − mean_ref| / mean_ref)
    variance    = max(0, 1 − |var_gen − var_ref| / var_ref)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from smdiff import NoteTable

FRAME_BARS = 4
HOP_BARS = 2
MIN_STD = 1e-2
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _cdf(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + _erf((x - mean) / (std * math.sqrt(2.0))))


def gaussian_overlap(mu1: np.ndarray, sd1: np.ndarray, mu2: np.ndarray, sd2: np.ndarray) -> np.ndarray:
    """Area shared by the densities N(mu1, sd1²) and N(mu2, sd2²), element-wise, in [0, 1]."""
    mu1, sd1, mu2, sd2 = (np.asarray(v, dtype=np.float64) for v in (mu1, sd1, mu2, sd2))
    swap = sd1 > sd2  # make sd1 the narrower
    mu1, mu2 = np.where(swap, mu2, mu1), np.where(swap, mu1, mu2)
    sd1, sd2 = np.where(swap, sd2, sd1), np.where(swap, sd1, sd2)
    equal = np.isclose(sd1, sd2)
    # Intersections of the two densities: roots of a quadratic (two when the widths differ).
    a = 1 / (2 * sd1**2) - 1 / (2 * sd2**2)
    b = mu2 / sd2**2 - mu1 / sd1**2
    c = mu1**2 / (2 * sd1**2) - mu2**2 / (2 * sd2**2) - np.log(sd2 / sd1)
    safe_a = np.where(equal, 1.0, a)
    root = np.sqrt(np.maximum(b**2 - 4 * safe_a * c, 0.0))
    low, high = np.sort(np.stack([(-b - root) / (2 * safe_a), (-b + root) / (2 * safe_a)]), axis=0)
    # The narrow density is the larger one between the roots, so the smaller one there is the wide density.
    unequal = _cdf(low, mu1, sd1) + (_cdf(high, mu2, sd2) - _cdf(low, mu2, sd2)) + (1 - _cdf(high, mu1, sd1))
    equal_area = 2 * _cdf(-np.abs(mu1 - mu2) / 2, 0.0, sd1)
    return np.clip(np.where(equal, equal_area, unequal), 0.0, 1.0)


def frame_stats(table: NoteTable, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of ``values`` in each 4-bar frame (hop 2) that holds notes."""
    means, stds = [], []
    for start in range(0, max(table.n_bars - FRAME_BARS, 0) + 1, HOP_BARS):
        inside = values[(table.bar >= start) & (table.bar < start + FRAME_BARS)]
        if len(inside):
            means.append(inside.mean())
            stds.append(max(inside.std(), MIN_STD))
    return np.asarray(means), np.asarray(stds)


def adjacent_overlaps(tables: Sequence[NoteTable], attribute: str) -> np.ndarray:
    """Every overlap area between adjacent frames of every piece."""
    areas = []
    for table in tables:
        means, stds = frame_stats(table, getattr(table, attribute).astype(np.float64))
        if len(means) > 1:
            areas.append(gaussian_overlap(means[:-1], stds[:-1], means[1:], stds[1:]))
    return np.concatenate(areas) if areas else np.zeros(0)


def consistency_and_variance(generated: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """SCHmUBERT's consistency and variance of generated overlap areas against the reference's."""
    if len(generated) == 0 or len(reference) == 0:
        return 0.0, 0.0
    mean_ref, var_ref = reference.mean(), reference.var()
    consistency = max(0.0, 1 - abs(generated.mean() - mean_ref) / mean_ref) if mean_ref > 0 else 0.0
    variance = max(0.0, 1 - abs(generated.var() - var_ref) / var_ref) if var_ref > 0 else 0.0
    return float(consistency), float(variance)
