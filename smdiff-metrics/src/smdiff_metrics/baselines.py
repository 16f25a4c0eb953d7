"""Trivial infillings made from the same inputs as the model's, so every infilling number has a floor beside it.

- ``copy_previous``: the gap is filled with the bars just before it (cycled when
  the gap is longer than what precedes it; the bars after it when it starts the
  piece), on the gap's tracks;
- ``copy_next``: the gap is filled with the bars just after it (cycled; the bars
  before it when it ends the piece) — the model sees both sides of the gap, so it
  must beat both copies;
- ``context_pitches``: the original gap's rhythm (onsets, durations, tracks) with
  each pitch drawn from the histogram of the context's pitches (the same
  track's context where it has notes).

Both return a whole piece: the original outside the gap, the baseline inside.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import numpy as np

from smdiff import InfillPair, NoteTable

SEED = 0


def _concatenate(first: NoteTable, second: NoteTable) -> NoteTable:
    fields = ("onset", "duration", "pitch", "velocity", "track", "bar")
    return attrs.evolve(first, **{f: np.concatenate([getattr(first, f), getattr(second, f)]) for f in fields})


def _bars_before(start: int, end: int) -> np.ndarray | None:
    offsets = np.arange(end - start)
    period = min(end - start, start)
    return start - period + offsets % period if period > 0 else None


def _bars_after(start: int, end: int, n_bars: int) -> np.ndarray | None:
    offsets = np.arange(end - start)
    period = min(end - start, n_bars - end)
    return end + offsets % period if period > 0 else None


def _source_bars(pair: InfillPair, side: str) -> np.ndarray | None:
    """For each bar of the gap, the bar copied into it from ``side`` (``before`` or ``after``), else the other side.

    ``None`` when the piece has no bar outside the gap.
    """
    start, end, n_bars = pair.gap.start_bar, pair.gap.end_bar, pair.original.n_bars
    before, after = _bars_before(start, end), _bars_after(start, end, n_bars)
    first, second = (before, after) if side == "before" else (after, before)
    return first if first is not None else second


def copy_previous(pair: InfillPair) -> NoteTable:
    """The original with its gap replaced by the bars before the gap, note for note."""
    return _copied(pair, _source_bars(pair, "before"))


def copy_next(pair: InfillPair) -> NoteTable:
    """The original with its gap replaced by the bars after the gap, note for note."""
    return _copied(pair, _source_bars(pair, "after"))


def _copied(pair: InfillPair, sources: np.ndarray | None) -> NoteTable:
    original, gap = pair.original, pair.gap
    context = gap.context(original)
    if sources is None:
        return context
    pieces = []
    for target, source in zip(range(gap.start_bar, gap.end_bar), sources, strict=True):
        notes = original.select(
            (original.bar == source) & (np.isin(original.track, gap.tracks) if gap.tracks else True)
        )
        shift = original.bar_start(np.array([target]))[0] - original.bar_start(np.array([source]))[0]
        pieces.append(attrs.evolve(notes, onset=notes.onset + shift, bar=np.full(len(notes), target)))
    for notes in pieces:
        context = _concatenate(context, notes)
    return context


def context_pitches(pair: InfillPair, rng: np.random.Generator | None = None) -> NoteTable:
    """The original with the pitches of its gap notes drawn from the context's pitch histogram."""
    rng = rng or np.random.default_rng(SEED)
    original, gap = pair.original, pair.gap
    context, inside = gap.context(original), gap.select(original)
    pitches = inside.pitch.copy()
    for track in np.unique(inside.track):
        pool = context.pitch[context.track == track]
        pool = pool if len(pool) else context.pitch
        here = inside.track == track
        if len(pool):
            pitches[here] = rng.choice(pool, size=int(here.sum()))
    return _concatenate(context, attrs.evolve(inside, pitch=pitches))


#: Every baseline by the name reports use.
BASELINES: dict[str, Callable[[InfillPair], NoteTable]] = {
    "copy_previous": copy_previous,
    "copy_next": copy_next,
    "context_pitches": context_pitches,
}


_last: tuple[list[InfillPair], dict[str, list[InfillPair]]] | None = None


def baseline_pairs(pairs: list[InfillPair]) -> dict[str, list[InfillPair]]:
    """For each baseline, the pairs with its infilling in place of the model's.

    Every infilling metric of one evaluation asks for the same list; it is built once and kept for it.
    """
    global _last
    if _last is None or _last[0] is not pairs:
        _last = (pairs, {name: [attrs.evolve(p, generated=make(p)) for p in pairs] for name, make in BASELINES.items()})
    return _last[1]
