"""Tie maps from forms: which element of a window each element copies (see :mod:`smdiff.diffusion.ties`).

Rows are tied bar to bar: the ``k``-th row of a copied bar follows the ``k``-th
row of the bar it copies, in every channel tied. A variation ties only a share
of its quarter bars (chosen at random, seeded) and leaves the rest free.
"""

from __future__ import annotations

import numpy as np

from smdiff.errors import DataError
from smdiff.form.plan import Form

#: a variation keeps or regenerates its original a quarter of a bar at a time
QUARTERS_PER_BAR = 4


def untied(length: int, channels: int) -> np.ndarray:
    """The tie map that ties nothing: every element leads itself."""
    return np.repeat(np.arange(length)[:, None], channels, axis=1)


def rows_of_bar(bar_of_row: np.ndarray, bar: int) -> np.ndarray:
    """The rows of ``bar``, in order."""
    return np.flatnonzero(bar_of_row == bar)


def kept_rows(bars: int, rows_per_bar: int, keep: float, rng: np.random.Generator) -> np.ndarray:
    """Booleans ``[bars, rows_per_bar]``: the rows of a variation tied to its original (a share ``keep`` of quarters)."""
    if not 0.0 <= keep <= 1.0:
        raise DataError(f"--vary-keep must be a share between 0 and 1 of the original to keep, got {keep}")
    quarters = bars * QUARTERS_PER_BAR
    chosen = np.zeros(quarters, dtype=bool)
    chosen[rng.choice(quarters, size=round(keep * quarters), replace=False)] = True
    per_row = np.minimum(np.arange(rows_per_bar) * QUARTERS_PER_BAR // rows_per_bar, QUARTERS_PER_BAR - 1)
    return chosen.reshape(bars, QUARTERS_PER_BAR)[:, per_row]


def tie_bars(
    leader: np.ndarray, bar_of_row: np.ndarray, copy_bar: int, source_bar: int, rows: np.ndarray, channels: np.ndarray
) -> None:
    """Tie the chosen ``rows`` (booleans over the bar's rows) of ``copy_bar`` to ``source_bar`` in ``channels``."""
    copy_rows, source_rows = rows_of_bar(bar_of_row, copy_bar), rows_of_bar(bar_of_row, source_bar)
    if len(copy_rows) != len(source_rows):
        raise DataError(f"bars {copy_bar} and {source_bar} hold different numbers of steps; they cannot repeat")
    tied = np.ix_(copy_rows[rows], channels)
    leader[tied] = source_rows[rows][:, None]


def resolve_chains(leader: np.ndarray) -> np.ndarray:
    """Every element pointed straight at the element that decides it (a copy of a copy leads to the first)."""
    while True:
        through = np.take_along_axis(leader, leader, axis=0)
        if np.array_equal(through, leader):
            return leader
        leader = through


def form_ties(
    form: Form, bar_of_row: np.ndarray, channels: int, *, keep: float, rng: np.random.Generator
) -> np.ndarray:
    """``[L, C]`` leader rows making a whole window follow ``form`` in every channel."""
    leader = untied(len(bar_of_row), channels)
    every_channel = np.arange(channels)
    for section in form.sections:
        source = form.source(section)
        if source is None:
            continue
        original, exact = source
        rows_per_bar = len(rows_of_bar(bar_of_row, original.start_bar))
        rows = np.ones((section.bars, rows_per_bar), dtype=bool) if exact else kept_rows(
            section.bars, rows_per_bar, keep, rng
        )  # fmt: skip
        for bar in range(section.bars):
            tie_bars(leader, bar_of_row, section.start_bar + bar, original.start_bar + bar, rows[bar], every_channel)
    return resolve_chains(leader)


def gap_ties(
    region: np.ndarray, bar_of_row: np.ndarray, gap: tuple[int, int], source: tuple[int, int], *, exact: bool,
    keep: float, rng: np.random.Generator,
) -> np.ndarray:  # fmt: skip
    """``[L, C]`` leader rows making the generated ``region`` of bars ``gap`` repeat (or vary) bars ``source``.

    Bars are the window's. Only elements of ``region`` follow: the rest of the
    window is kept as it is, and a source element outside the region is given,
    so its copy is simply that element.
    """
    leader = untied(*region.shape)
    bars = gap[1] - gap[0]
    rows_per_bar = len(rows_of_bar(bar_of_row, source[0]))
    rows = np.ones((bars, rows_per_bar), dtype=bool) if exact else kept_rows(bars, rows_per_bar, keep, rng)
    for bar in range(bars):
        copy_rows = rows_of_bar(bar_of_row, gap[0] + bar)
        for channel in np.flatnonzero(region[copy_rows].any(axis=0)):
            in_region = rows[bar] & region[copy_rows, channel]
            tie_bars(leader, bar_of_row, gap[0] + bar, source[0] + bar, in_region, np.array([channel]))
    return resolve_chains(leader)
