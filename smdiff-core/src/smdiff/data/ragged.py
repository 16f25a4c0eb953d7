"""Per-piece operations on arrays that hold many pieces back to back.

Batched encoding stores the ragged per-piece arrays of a batch (beats, bars,
tempo changes, notes) flat, with ``offsets`` of length ``pieces + 1`` marking
where each piece's segment starts. These helpers index such arrays in a
fixed number of NumPy calls, whatever the batch size.
"""

from __future__ import annotations

import numpy as np


def offsets_of(lengths: np.ndarray) -> np.ndarray:
    """Segment offsets (``len(lengths) + 1`` entries, starting at 0) of segments of these lengths."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def segment_ids(offsets: np.ndarray) -> np.ndarray:
    """For each element of the flat array, the index of its segment."""
    return np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))


def ragged_arange(lengths: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """``start[i] + 0..n-1`` for each segment length ``n = lengths[i]`` (``start`` 0 by default), concatenated."""
    lengths = np.asarray(lengths, dtype=np.int64)
    shift = offsets_of(lengths)[:-1] if start is None else offsets_of(lengths)[:-1] - start
    return np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(shift, lengths)


def segment_diffs(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``np.diff`` of each segment, concatenated (one element fewer per non-empty segment)."""
    gaps = np.diff(values)
    within = np.ones(len(gaps), dtype=bool)
    inner = offsets[1:-1]
    within[inner[(inner > 0) & (inner < len(values))] - 1] = False  # from one segment's end to the next's start
    return gaps[within]


def spread_indices(counts: np.ndarray, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Pick at most ``limit`` of each segment's ``counts[s]`` items, evenly spread (ends included).

    Returns the picked local indices, concatenated, and how many were picked
    per segment. The picks are those of ``np.linspace(0, n - 1, limit).round()``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    if limit is None:
        return ragged_arange(counts), counts
    picked = np.minimum(counts, limit)
    local = ragged_arange(picked)
    thinned = np.repeat(counts > limit, picked)
    if limit > 1 and thinned.any():
        # np.linspace computes k * ((n - 1) / (limit - 1)) and sets the last point to n - 1 exactly.
        stop = np.repeat(counts - 1, picked).astype(np.float64)
        points = local * (stop / (limit - 1))
        points = np.where(local == limit - 1, stop, points)
        local = np.where(thinned, np.round(points).astype(np.int64), local)
    return local, picked
