"""Decoded notes as flat arrays: what every metric reads, whatever tokenizer made the music."""

from __future__ import annotations

import attrs
import numpy as np
import symusic

from smdiff.data.bars import BarGrid


@attrs.frozen
class NoteTable:
    """Notes of one piece: onset and duration in quarter notes, pitch, velocity, track index and bar."""

    onset: np.ndarray
    duration: np.ndarray
    pitch: np.ndarray
    velocity: np.ndarray
    track: np.ndarray
    bar: np.ndarray
    n_bars: int
    track_names: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.pitch)

    @classmethod
    def from_score(cls, score: symusic.Score, n_bars: int | None = None) -> NoteTable:
        """Flatten every track of ``score``; bars come from its declared time signatures."""
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
        grid = BarGrid.for_score(score)
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

    def in_bars(self, start: int, end: int) -> NoteTable:
        """Notes whose onset lies in bars ``[start, end)``."""
        return self.select((self.bar >= start) & (self.bar < end))
