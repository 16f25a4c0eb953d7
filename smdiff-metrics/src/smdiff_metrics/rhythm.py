"""Rhythm per piece: onset patterns of bars, groove consistency and empty bars (MusPy's definitions)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from smdiff import NoteTable

#: onset slots per bar: a sixteenth-note grid in 4/4 (bars of other lengths are divided into as many slots)
SLOTS_PER_BAR = 16


def onset_patterns(table: NoteTable) -> np.ndarray:
    """``[n_bars, SLOTS_PER_BAR]`` bool: which slots of each bar have an onset (any track)."""
    patterns = np.zeros((max(table.n_bars, 0), SLOTS_PER_BAR), dtype=bool)
    inside = (table.bar >= 0) & (table.bar < table.n_bars)
    slots = np.minimum((table.positions()[inside] * SLOTS_PER_BAR + 1e-6).astype(np.int64), SLOTS_PER_BAR - 1)
    patterns[table.bar[inside], slots] = True
    return patterns


def groove_consistency(tables: Sequence[NoteTable]) -> np.ndarray:
    """Per piece: 1 − mean Hamming distance (share of slots) between onset patterns of consecutive bars.

    NaN for pieces of fewer than two bars or without notes.
    """
    values = np.full(len(tables), np.nan)
    for index, table in enumerate(tables):
        if len(table) and table.n_bars > 1:
            patterns = onset_patterns(table)
            values[index] = 1.0 - float((patterns[1:] != patterns[:-1]).mean())
    return values


def empty_bar_rate(tables: Sequence[NoteTable]) -> np.ndarray:
    """Per piece: share of its bars in which no note starts (NaN for pieces of no bars)."""
    values = np.full(len(tables), np.nan)
    for index, table in enumerate(tables):
        if table.n_bars > 0:
            inside = table.bar[(table.bar >= 0) & (table.bar < table.n_bars)]
            values[index] = 1.0 - len(np.unique(inside)) / table.n_bars
    return values
