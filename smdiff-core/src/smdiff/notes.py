"""Decoded notes as flat arrays: what every metric reads, whatever tokenizer made the music."""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np
import symusic

from smdiff.data.bars import BarGrid


@attrs.frozen
class NoteTable:
    """Notes of one piece: onset and duration in quarter notes, pitch, velocity, track index and bar.

    ``bar_starts`` is the quarter-note time where each bar starts (the last
    entry closes the last bar); tables built by hand may leave it out, and bars
    are then taken as 4/4 from quarter 0.
    """

    onset: np.ndarray
    duration: np.ndarray
    pitch: np.ndarray
    velocity: np.ndarray
    track: np.ndarray
    bar: np.ndarray
    n_bars: int
    track_names: tuple[str, ...] = ()
    bar_starts: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.pitch)

    @classmethod
    def from_score(
        cls, score: symusic.Score, n_bars: int | None = None, *, source_path: str | Path | None = None
    ) -> NoteTable:
        """Flatten every track of ``score``; bars come from its declared time signatures.

        With ``source_path`` (the file ``score`` was read from), bar annotations
        beside it (POP909's ``beat_midi.txt``) place the bars instead.
        """
        tpq = score.ticks_per_quarter
        parts = [(index, track.notes.numpy()) for index, track in enumerate(score.tracks)]
        parts = [(index, notes) for index, notes in parts if len(notes["time"])]
        names = tuple(track.name for track in score.tracks)
        if not parts:
            empty = np.zeros(0)
            return cls(
                empty,
                empty,
                empty.astype(int),
                empty.astype(int),
                empty.astype(int),
                empty.astype(int),
                n_bars or 0,
                names,
            )
        time = np.concatenate([notes["time"] for _, notes in parts]).astype(np.float64)
        grid = BarGrid.for_score(score, source_path=source_path)
        bar = np.floor(grid.bar_position(time) + 1e-9).astype(np.int64)
        return cls(
            onset=time / tpq,
            duration=np.concatenate([notes["duration"] for _, notes in parts]) / tpq,
            pitch=np.concatenate([notes["pitch"] for _, notes in parts]).astype(np.int64),
            velocity=np.concatenate([notes["velocity"] for _, notes in parts]).astype(np.int64),
            track=np.concatenate([np.full(len(notes["time"]), index) for index, notes in parts]),
            bar=bar,
            n_bars=n_bars if n_bars is not None else int(grid.n_bars),
            track_names=names,
            bar_starts=grid.bar_start_ticks / tpq,
        )

    def select(self, keep: np.ndarray) -> NoteTable:
        """The notes where ``keep`` is true."""
        return attrs.evolve(
            self,
            onset=self.onset[keep],
            duration=self.duration[keep],
            pitch=self.pitch[keep],
            velocity=self.velocity[keep],
            track=self.track[keep],
            bar=self.bar[keep],
        )

    def bar_start(self, bars: np.ndarray) -> np.ndarray:
        """Quarter-note start of each bar index in ``bars`` (bars past the grid continue its last bar length)."""
        bars = np.asarray(bars, dtype=np.int64)
        starts = self.bar_starts
        if starts is None or len(starts) < 2:
            return bars * 4.0
        last = len(starts) - 1
        length = starts[-1] - starts[-2]
        inside = np.clip(bars, 0, last)
        return np.where(bars > last, starts[-1] + (bars - last) * length, starts[inside] + np.minimum(bars, 0) * 4.0)

    def positions(self) -> np.ndarray:
        """Each onset's place inside its bar as a share of the bar, in ``[0, 1)``."""
        start = self.bar_start(self.bar)
        length = self.bar_start(self.bar + 1) - start
        return np.clip((self.onset - start) / np.where(length > 0, length, 1.0), 0.0, 1.0 - 1e-9)

    def melody_track(self) -> int | None:
        """Index of the melody: the track named melody (any case), else the only track; ``None`` otherwise."""
        names = [name.strip().lower() for name in self.track_names]
        if "melody" in names:
            return names.index("melody")
        present = np.unique(self.track)
        return int(present[0]) if len(present) == 1 else None

    def in_bars(self, start: int, end: int) -> NoteTable:
        """Notes whose onset lies in bars ``[start, end)``."""
        return self.select((self.bar >= start) & (self.bar < end))

    def excerpt(self, start: int, bars: int) -> NoteTable:
        """Bars ``[start, start + bars)`` as a piece of their own: bar ``start`` becomes bar 0, onsets move with it."""
        notes = self.in_bars(start, start + bars)
        origin = float(self.bar_start(np.array([start]))[0])
        starts = None if self.bar_starts is None else self.bar_start(np.arange(start, start + bars + 1)) - origin
        return attrs.evolve(notes, onset=notes.onset - origin, bar=notes.bar - start, n_bars=bars, bar_starts=starts)
