"""Structure per piece: how much of it repeats material it played before.

A piece is cut into consecutive, non-overlapping segments of ``SEGMENT_BARS``
bars. A segment's content is the set of its notes as (bar inside the segment,
onset slot, track, pitch), on the sixteenth grid of :mod:`smdiff_metrics.rhythm`.
A non-empty segment *repeats* when an earlier segment of the piece has exactly
that content, and *nearly repeats* when it shares at least ``NEAR`` of the union
of both contents (Jaccard similarity) with an earlier one. Transposed repeats do
not count: a chorus sung a tone higher is new material here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from smdiff import NoteTable
from smdiff_metrics.rhythm import SLOTS_PER_BAR

SEGMENT_BARS = 2
NEAR = 0.75


def _segment_similarity(table: NoteTable) -> np.ndarray | None:
    """``[segments, segments]`` Jaccard similarity of segment contents; ``None`` without two non-empty segments."""
    segments = table.n_bars // SEGMENT_BARS
    inside = (table.bar >= 0) & (table.bar < segments * SEGMENT_BARS)
    if segments < 2 or not inside.any():
        return None
    notes = table.select(inside)
    slots = np.minimum((notes.positions() * SLOTS_PER_BAR + 1e-6).astype(np.int64), SLOTS_PER_BAR - 1)
    tracks = int(notes.track.max()) + 1
    feature = (((notes.bar % SEGMENT_BARS) * SLOTS_PER_BAR + slots) * tracks + notes.track) * 128 + notes.pitch % 128
    contents = np.zeros((segments, SEGMENT_BARS * SLOTS_PER_BAR * tracks * 128), dtype=np.float32)
    contents[notes.bar // SEGMENT_BARS, feature] = 1.0
    sizes = contents.sum(axis=1)
    shared = contents @ contents.T
    union = sizes[:, None] + sizes[None, :] - shared
    with np.errstate(invalid="ignore", divide="ignore"):
        similarity = np.where(union > 0, shared / union, 0.0)
    similarity[sizes == 0, :] = np.nan
    return similarity


def repetition(tables: Sequence[NoteTable], threshold: float = 1.0) -> np.ndarray:
    """Per piece: share of its non-empty segments that repeat an earlier segment (Jaccard ≥ ``threshold``).

    ``threshold=1`` counts exact repeats, :data:`NEAR` near ones. NaN for pieces
    with fewer than two segments or no notes.
    """
    values = np.full(len(tables), np.nan)
    for index, table in enumerate(tables):
        similarity = _segment_similarity(table)
        if similarity is None:
            continue
        earlier = np.tril(np.nan_to_num(similarity, nan=0.0), k=-1)
        non_empty = ~np.isnan(similarity[:, 0])
        if non_empty.any():
            values[index] = float((earlier.max(axis=1) >= threshold - 1e-9)[non_empty].mean())
    return values


def near_repetition(tables: Sequence[NoteTable]) -> np.ndarray:
    """Per piece: share of non-empty segments that nearly repeat an earlier one (Jaccard ≥ :data:`NEAR`)."""
    return repetition(tables, NEAR)
