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
    """Booleans ``[bars, rows_per_bar]``: the rows of a copy tied to its original (a share ``keep`` of its quarter bars;
    all of them for an exact repeat, ``keep = 1``)."""
    quarters = bars * QUARTERS_PER_BAR
    chosen = np.ones(quarters, dtype=bool)
    if keep < 1:
        chosen[:] = False
        chosen[rng.choice(quarters, size=round(keep * quarters), replace=False)] = True
    per_row = np.minimum(np.arange(rows_per_bar) * QUARTERS_PER_BAR // rows_per_bar, QUARTERS_PER_BAR - 1)
    return chosen.reshape(bars, QUARTERS_PER_BAR)[:, per_row]


def tie_span(
    leader: np.ndarray, region: np.ndarray, bar_of_row: np.ndarray, copy: tuple[int, int], source: int, *, keep: float,
    rng: np.random.Generator,
) -> None:  # fmt: skip
    """Tie bars ``[copy[0], copy[1])`` to the bars from ``source`` on (in place): the chosen rows' elements that
    ``region`` generates follow the same row and channel of the source bar. Elements outside the region are
    given, so they keep their own tokens."""
    bars = copy[1] - copy[0]
    rows = kept_rows(bars, len(rows_of_bar(bar_of_row, source)), keep, rng)
    for bar in range(bars):
        copy_rows, source_rows = rows_of_bar(bar_of_row, copy[0] + bar), rows_of_bar(bar_of_row, source + bar)
        if len(copy_rows) != len(source_rows):
            raise DataError(
                f"bars {copy[0] + bar} and {source + bar} hold different numbers of steps; they cannot repeat"
            )
        row, channel = np.nonzero(region[copy_rows] & rows[bar][:, None])
        leader[copy_rows[row], channel] = source_rows[row]


def resolve_chains(leader: np.ndarray) -> np.ndarray:
    """Every element pointed straight at the element that decides it (a copy of a copy leads to the first)."""
    while True:
        through = np.take_along_axis(leader, leader, axis=0)
        if np.array_equal(through, leader):
            return leader
        leader = through


def form_ties(
    form: Form, region: np.ndarray, bar_of_row: np.ndarray, *, keep: float, rng: np.random.Generator
) -> np.ndarray:
    """``[L, C]`` leader rows making the generated ``region`` of a window follow ``form`` (given elements, such as
    chords given with ``--chords``, stay as they are)."""
    leader = untied(*region.shape)
    for section in form.sections:
        source = form.source(section)
        if source is not None:
            original, exact = source
            span = (section.start_bar, section.end_bar)
            tie_span(leader, region, bar_of_row, span, original.start_bar, keep=1.0 if exact else keep, rng=rng)
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
    tie_span(leader, region, bar_of_row, gap, source[0], keep=1.0 if exact else keep, rng=rng)
    return resolve_chains(leader)
