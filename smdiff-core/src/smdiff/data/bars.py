"""Musical bars of a piece: beat and downbeat positions in ticks.

POP909's MIDI files mostly declare 1/4 or 2/4 although the music is in 4/4, so
declared time signatures cannot be trusted for bar lines. A :class:`BarGrid`
is built, in order of preference, from an explicit override
(``--time_signature 4/4``), from the song's ``beat_midi.txt`` downbeat
annotations when they sit beside the MIDI file, or from the declared time
signatures. Everything downstream (grid steps, Octuple bar/position, infilling
bar ranges) reads bars from this grid.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import numpy as np

from smdiff.data.annotations import (
    BEAT_ANNOTATION_FILE,
    SongTiming,
    annotated_grids,
    parse_annotations,
    read_annotation_columns,
)
from smdiff.data.tempo import tempo_map
from smdiff.errors import ConfigError

if TYPE_CHECKING:
    import symusic


def parse_time_signature(text: str) -> tuple[int, int]:
    """``"4/4"`` → ``(4, 4)``; anything else is a :class:`ConfigError`."""
    numerator, sep, denominator = text.partition("/")
    try:
        value = (int(numerator), int(denominator))
    except ValueError:
        value = (0, 0)
    if not sep or value[0] < 1 or value[1] not in (1, 2, 4, 8, 16, 32, 64):
        raise ConfigError(f"time signature {text!r} is not like 4/4 or 6/8; fix data.time_signature / --time_signature")
    return value


@attrs.frozen
class BarGrid:
    """Beats (fractional ticks) and which of them start bars; covers every note of the piece.

    ``beat_ticks`` is increasing; ``downbeats`` holds indices into it, the first
    being 0. ``beat_unit`` is the beat's length in quarter notes (1 for x/4).
    ``source`` says where the bars came from: ``annotation``, ``declared`` or ``override``.
    """

    beat_ticks: np.ndarray
    downbeats: np.ndarray
    beat_unit: float
    source: str

    @property
    def n_bars(self) -> int:
        """Number of complete bars the grid describes."""
        return len(self.downbeats) - 1

    @property
    def bar_start_ticks(self) -> np.ndarray:
        """Tick of each bar start (the last entry closes the last bar)."""
        return self.beat_ticks[self.downbeats]

    def extended_starts(self, *, bars: int = 0, until: float = 0.0) -> np.ndarray:
        """Bar start ticks (float) for at least ``bars + 1`` starts, the last at or past tick ``until``.

        Past the grid the last bar's length repeats (a 4/4 bar at 480 ticks per
        quarter when the grid holds a single start).
        """
        starts = np.asarray(self.bar_start_ticks, dtype=np.float64)
        length = starts[-1] - starts[-2] if len(starts) > 1 else 1920.0
        needed = max(bars + 1 - len(starts), int(np.ceil((until - starts[-1]) / length)), 0)
        return np.concatenate([starts, starts[-1] + length * np.arange(1, needed + 1)])

    def beats_per_bar(self) -> np.ndarray:
        """Beats in each bar."""
        return np.diff(self.downbeats)

    def beat_position(self, ticks: np.ndarray) -> np.ndarray:
        """Fractional beat index of each tick (beats are interpolated linearly between annotations)."""
        return np.interp(ticks, self.beat_ticks, np.arange(len(self.beat_ticks), dtype=np.float64))

    def beat_bars(self) -> np.ndarray:
        """Fractional bar index of every beat (each bar's beats share it evenly)."""
        beats = np.arange(len(self.beat_ticks), dtype=np.float64)
        return np.interp(beats, self.downbeats.astype(np.float64), np.arange(len(self.downbeats), dtype=np.float64))

    def bar_position(self, ticks: np.ndarray) -> np.ndarray:
        """Fractional bar index of each tick: bar ``b`` spans ``[b, b + 1)`` whatever its beat count.

        Linear between beats, like :meth:`beat_position`: one interpolation from
        ticks to the bar positions of the beats.
        """
        return np.interp(ticks, self.beat_ticks, self.beat_bars())

    def split_long_bars(self, max_beats: int) -> BarGrid:
        """Split every bar of more than ``max_beats`` beats into equal shorter bars (MusicBERT's rule).

        A bar of ``n`` beats is divided by the smallest factors of ``n`` until it fits.
        """
        beats = self.beats_per_bar()
        if (beats <= max_beats).all():
            return self
        downbeats = [int(self.downbeats[0])]
        for start, count in zip(self.downbeats[:-1], beats, strict=True):
            size = int(count)
            while size > max_beats:
                size //= next(f for f in range(2, size + 1) if size % f == 0)
            downbeats.extend(int(start) + size * k for k in range(1, int(count) // size + 1))
        return attrs.evolve(self, downbeats=np.asarray(downbeats, dtype=np.int64))

    @classmethod
    def for_score(
        cls,
        score: symusic.Score,
        *,
        source_path: str | Path | None = None,
        time_signature: str | None = None,
        use_annotations: bool = True,
    ) -> BarGrid:
        """The bar grid of ``score``: override, else ``beat_midi.txt`` beside ``source_path``, else declared."""
        return bar_grids([score], [source_path], time_signature=time_signature, use_annotations=use_annotations)[0]


def bar_grids(
    scores: Sequence[symusic.Score],
    source_paths: Sequence[str | Path | None],
    *,
    time_signature: str | None = None,
    use_annotations: bool = True,
    tempo_maps: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
) -> list[BarGrid]:
    """:meth:`BarGrid.for_score` of many scores; their annotated grids are built in one vectorised pass.

    ``tempo_maps`` are the scores' :func:`tempo_map` results when the caller already has them.
    """
    spans = [_note_span(score) for score in scores]
    if time_signature is not None:
        numerator, denominator = parse_time_signature(time_signature)
        return [
            _regular_grid(score.ticks_per_quarter, [(0, numerator, denominator)], first, last, "override")
            for score, (first, last) in zip(scores, spans, strict=True)
        ]
    grids: list[BarGrid | None] = [None] * len(scores)
    if use_annotations:
        columns = [
            None
            if path is None
            else read_annotation_columns(os.path.join(os.path.dirname(os.fspath(path)), BEAT_ANNOTATION_FILE))
            for path in source_paths
        ]
        tables = parse_annotations(columns)
        annotated = [index for index, table in enumerate(tables) if table is not None]
        timings = [
            _timing(scores[index], spans[index], None if tempo_maps is None else tempo_maps[index])
            for index in annotated
        ]
        built = annotated_grids([tables[index] for index in annotated], timings)
        for index, grid in zip(annotated, built, strict=True):
            if grid is not None:
                grids[index] = BarGrid(grid[0], grid[1], 1.0, "annotation")
    return [
        grid if grid is not None else _declared_grid(score, first, last)
        for grid, score, (first, last) in zip(grids, scores, spans, strict=True)
    ]


def _timing(score: symusic.Score, span: tuple[float, float], tempo: tuple[np.ndarray, np.ndarray] | None) -> SongTiming:
    ticks, qpm = tempo_map(score) if tempo is None else tempo
    return SongTiming(ticks, qpm, score.ticks_per_quarter, span[0], span[1])


def _declared_grid(score: symusic.Score, first: float, last: float) -> BarGrid:
    signatures = [(ts.time, ts.numerator, ts.denominator) for ts in score.time_signatures] or [(0, 4, 4)]
    return _regular_grid(score.ticks_per_quarter, signatures, first, last, "declared")


def _note_span(score: symusic.Score) -> tuple[float, float]:
    spans = [(track.start(), track.end()) for track in score.tracks if len(track.notes)]
    return (float(min(s for s, _ in spans)), float(max(e for _, e in spans))) if spans else (0.0, 0.0)


def _regular_grid(tpq: int, signatures: list[tuple[int, int, int]], first: float, last: float, source: str) -> BarGrid:
    """Bars from (tick, numerator, denominator) changes, beats of 4/denominator quarters."""
    beats: list[float] = []
    downbeats: list[int] = []
    signatures = sorted(signatures)
    if signatures[0][0] > 0:
        signatures.insert(0, (0, signatures[0][1], signatures[0][2]))
    tick = 0.0
    for index, (_, numerator, denominator) in enumerate(signatures):
        end = signatures[index + 1][0] if index + 1 < len(signatures) else max(last, tick) + 1
        beat = tpq * 4 / denominator
        while tick < end or (index + 1 == len(signatures) and tick <= last):
            downbeats.append(len(beats))
            beats.extend(tick + beat * k for k in range(numerator))
            tick += beat * numerator
    downbeats.append(len(beats))
    beats.append(tick)
    unit = 4 / signatures[-1][2]
    return BarGrid(np.asarray(beats), np.asarray(downbeats), unit, source)
