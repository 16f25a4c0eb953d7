"""Per-segment helpers of batched encoding, checked against NumPy on each segment."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from smdiff.data.ragged import offsets_of, ragged_arange, segment_diffs, segment_ids, spread_indices


def test_offsets_segments_and_ragged_arange_describe_the_same_segments():
    lengths = np.array([3, 0, 2, 1])
    offsets = offsets_of(lengths)
    assert offsets.tolist() == [0, 3, 3, 5, 6]
    assert segment_ids(offsets).tolist() == [0, 0, 0, 2, 2, 3]
    assert ragged_arange(lengths).tolist() == [0, 1, 2, 0, 1, 0]


@pytest.mark.parametrize("limit", [None, 1, 2, 5, 7])
def test_spread_indices_pick_what_linspace_rounding_picks(limit):
    counts = np.arange(0, 40)
    local, picked = spread_indices(counts, limit)
    expected = [
        np.arange(n) if limit is None or n <= limit else np.linspace(0, n - 1, limit).round().astype(np.int64)
        for n in counts
    ]
    assert picked.tolist() == [len(e) for e in expected]
    assert local.tolist() == np.concatenate(expected).tolist()


def test_ragged_arange_from_starts_and_segment_diffs_match_numpy_per_segment():
    lengths, starts = np.array([3, 0, 2]), np.array([10, 99, -4])
    assert ragged_arange(lengths, start=starts).tolist() == [10, 11, 12, -4, -3]
    values = np.array([1, 4, 9, 2, 2, 7, 5])
    offsets = offsets_of(np.array([3, 0, 3, 1, 0]))
    expected = np.concatenate([np.diff(values[a:b]) for a, b in itertools.pairwise(offsets)])
    assert segment_diffs(values, offsets).tolist() == expected.tolist()
