"""Controls: real pieces broken in one known way, which a metric worth reporting must tell from the real ones.

- ``scale_random``: every note keeps its onset, duration and track, and takes a
  random pitch of the piece's own best-fitting major or minor scale, inside its
  track's range. It passes scale consistency and pitch-class entropy; it moves
  by leaps and repeats nothing.
- ``bars_shuffled``: the piece's own bars in a random order, each bar's notes
  intact. It keeps every pitch, interval inside a bar and rhythm; it loses the
  order of phrases, so repeated sections no longer line up.

``smdiff evaluate`` scores both, made from the reference pieces, beside every
per-piece metric (docs/metrics.md lists which metric catches which).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
import numpy as np

from smdiff import NoteTable
from smdiff_metrics import tonality

SEED = 0


def scale_random(table: NoteTable, rng: np.random.Generator) -> NoteTable:
    """``table`` with each pitch redrawn from its best scale within its track's lowest and highest pitch."""
    if not len(table):
        return table
    scale = tonality.SCALES[tonality.best_scales(tonality.pitch_class_counts([table]))[0]].astype(bool)
    pitches = table.pitch.copy()
    for track in np.unique(table.track):
        here = table.track == track
        low, high = int(table.pitch[here].min()), int(table.pitch[here].max())
        choices = np.array([p for p in range(low, high + 1) if scale[p % 12]])
        pitches[here] = rng.choice(choices, size=int(here.sum()))
    return attrs.evolve(table, pitch=pitches)


def bars_shuffled(table: NoteTable, rng: np.random.Generator) -> NoteTable:
    """``table`` with its bars in a random order (a bar's notes move together, keeping their place in the bar)."""
    if table.n_bars < 2 or not len(table):
        return table
    order = rng.permutation(table.n_bars)  # bar ``order[k]`` of the original becomes bar ``k``
    target = np.argsort(order)[np.clip(table.bar, 0, table.n_bars - 1)]
    inside = (table.bar >= 0) & (table.bar < table.n_bars)
    new_bar = np.where(inside, target, table.bar)
    shift = table.bar_start(new_bar) - table.bar_start(table.bar)
    return attrs.evolve(table, onset=table.onset + shift, bar=new_bar)


#: every control by the name reports use
CONTROLS: dict[str, Callable[[NoteTable, np.random.Generator], NoteTable]] = {
    "scale_random": scale_random,
    "bars_shuffled": bars_shuffled,
}


def controlled(tables: Sequence[NoteTable], name: str, seed: int = SEED) -> list[NoteTable]:
    """Control ``name`` of every piece, from one generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    return [CONTROLS[name](table, rng) for table in tables]
