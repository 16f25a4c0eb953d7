"""Many read pieces laid back to back, so a tokenizer encodes them in one vectorised pass.

Per-piece NumPy work on a song of a few thousand notes is dominated by call
overhead, not arithmetic. A :class:`PieceBatch` concatenates the notes, bar
grids and tempo maps of a batch of pieces into flat arrays with per-piece
offsets (see :mod:`smdiff.data.ragged`), so encoding costs the same few dozen
NumPy calls for one piece or a thousand.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np

from smdiff.data.bars import BarGrid
from smdiff.data.piece import Piece
from smdiff.data.ragged import offsets_of, ragged_arange, segment_diffs, segment_ids


@attrs.frozen
class PieceBatch:
    """Notes (by piece, then slot), bar grids and tempo maps of several pieces, flat with offsets.

    Note arrays are parallel: ``note_piece`` and ``note_slot`` say whose each
    note is; ``time``/``end`` are ticks. ``beat_ticks``/``beat_offsets`` and
    ``downbeats``/``downbeat_offsets`` hold each piece's :class:`BarGrid`
    (downbeats index the piece's own beats); ``tempo_ticks``/``tempo_qpm`` its
    tempo map, split by ``tempo_offsets``.
    """

    note_piece: np.ndarray
    note_slot: np.ndarray
    time: np.ndarray
    end: np.ndarray
    pitch: np.ndarray
    velocity: np.ndarray
    note_offsets: np.ndarray
    beat_ticks: np.ndarray
    beat_offsets: np.ndarray
    downbeats: np.ndarray
    downbeat_offsets: np.ndarray
    beat_unit: np.ndarray
    tempo_ticks: np.ndarray
    tempo_qpm: np.ndarray
    tempo_offsets: np.ndarray

    @property
    def n_pieces(self) -> int:
        """Number of pieces in the batch."""
        return len(self.beat_unit)

    @property
    def n_bars(self) -> np.ndarray:
        """Complete bars of each piece's grid."""
        return np.diff(self.downbeat_offsets) - 1

    @classmethod
    def from_pieces(
        cls, pieces: Sequence[Piece], slots: Sequence[str], grids: Sequence[BarGrid] | None = None
    ) -> PieceBatch:
        """Concatenate ``pieces``, taking the notes of ``slots`` in slot order (``grids`` replace the pieces')."""
        grids = [piece.grid for piece in pieces] if grids is None else list(grids)
        parts = [
            (index, slot, piece.notes[name])
            for index, piece in enumerate(pieces)
            for slot, name in enumerate(slots)
            if name in piece.notes
        ]
        counts = np.array([len(notes.time) for _, _, notes in parts], dtype=np.int64)
        tempos = [piece.tempo for piece in pieces]

        def flat(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(arrays, dtype=dtype, casting="unsafe") if arrays else np.zeros(0, dtype=dtype)

        time = flat([notes.time for _, _, notes in parts], np.float64)
        note_piece = np.repeat(np.array([index for index, _, _ in parts], dtype=np.int64), counts)
        return cls(
            note_piece=note_piece,
            note_slot=np.repeat(np.array([slot for _, slot, _ in parts], dtype=np.int16), counts),
            time=time,
            end=time + flat([notes.duration for _, _, notes in parts], np.int64),
            pitch=flat([notes.pitch for _, _, notes in parts], np.int16),
            velocity=flat([notes.velocity for _, _, notes in parts], np.int16),
            note_offsets=offsets_of(np.bincount(note_piece, minlength=len(pieces))),
            beat_ticks=flat([grid.beat_ticks for grid in grids], np.float64),
            beat_offsets=offsets_of(np.array([len(grid.beat_ticks) for grid in grids], dtype=np.int64)),
            downbeats=flat([grid.downbeats for grid in grids], np.int64),
            downbeat_offsets=offsets_of(np.array([len(grid.downbeats) for grid in grids], dtype=np.int64)),
            beat_unit=np.array([grid.beat_unit for grid in grids], dtype=np.float64),
            tempo_ticks=flat([ticks for ticks, _ in tempos], np.float64),
            tempo_qpm=flat([qpm for _, qpm in tempos], np.float64),
            tempo_offsets=offsets_of(np.array([len(ticks) for ticks, _ in tempos], dtype=np.int64)),
        )

    def beats_per_bar(self) -> np.ndarray:
        """Beats in every bar of every piece, piece after piece (as :meth:`BarGrid.beats_per_bar`)."""
        return segment_diffs(self.downbeats, self.downbeat_offsets)

    def bar_of_beat(self) -> np.ndarray:
        """Bar of every beat of every piece, piece after piece (indexed like ``beat_ticks``).

        A beat belongs to the last bar starting at or before it (the closing
        downbeat of a piece to bar ``n_bars``): the count of the piece's
        downbeats up to it, less one.
        """
        marks = np.zeros(len(self.beat_ticks), dtype=np.int64)
        marks[self.beat_offsets[segment_ids(self.downbeat_offsets)] + self.downbeats] = 1
        return np.cumsum(marks) - np.repeat(self.downbeat_offsets[:-1] + 1, np.diff(self.beat_offsets))

    def beat_position(self, *ticks: np.ndarray) -> list[np.ndarray]:
        """Fractional beat index of each note's ``ticks`` in its piece's grid (as :meth:`BarGrid.beat_position`).

        One array of positions per array of ticks (each aligned with the notes).
        """
        return self.along_beats(ragged_arange(np.diff(self.beat_offsets)).astype(np.float64), *ticks)

    def bar_position(self, *ticks: np.ndarray) -> list[np.ndarray]:
        """Fractional bar index of each note's ``ticks`` in its piece's grid (as :meth:`BarGrid.bar_position`)."""
        return self.along_beats(self.beat_bars(), *ticks)

    def along_beats(self, values: np.ndarray, *ticks: np.ndarray) -> list[np.ndarray]:
        """Interpolate ``values`` (one per beat of every piece) at each note's ``ticks``, piece by piece.

        Interpolating piece by piece keeps each table of a few hundred beats in
        cache and lets ``np.interp`` profit from sorted queries, which one search
        over the whole batch's beats would not.
        """
        out = [np.empty(len(array)) for array in ticks]
        notes, beats = self.note_offsets.tolist(), self.beat_offsets.tolist()
        for p in range(self.n_pieces):
            xp, fp = self.beat_ticks[beats[p] : beats[p + 1]], values[beats[p] : beats[p + 1]]
            for array, result in zip(ticks, out, strict=True):
                result[notes[p] : notes[p + 1]] = np.interp(array[notes[p] : notes[p + 1]], xp, fp)
        return out

    def beat_bars(self) -> np.ndarray:
        """Fractional bar index of every beat of every piece (as :meth:`BarGrid.beat_bars`, bit for bit).

        ``np.interp`` between a piece's downbeats computes, for beat ``i`` in bar
        ``k``, ``(1 / (d[k+1] - d[k])) * (i - d[k]) + k``; the same is done here
        for the whole batch at once.
        """
        bar = self.bar_of_beat()
        piece = segment_ids(self.beat_offsets)
        beat = ragged_arange(np.diff(self.beat_offsets))
        row = self.downbeat_offsets[piece] + bar
        closing = bar >= self.n_bars[piece]  # the piece's last downbeat: exactly its bar count
        start = self.downbeats[row].astype(np.float64)
        end = self.downbeats[np.where(closing, row, row + 1)].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = (1.0 / (end - start)) * (beat - start) + bar
        return np.where(closing | (beat == start), bar.astype(np.float64), inside)

    def tempo_rows(self, onsets: np.ndarray, per_beat: np.ndarray) -> np.ndarray:
        """Row of ``tempo_ticks``/``tempo_qpm`` in force at each note's onset.

        ``onsets`` count ``per_beat[p]`` steps per beat of the note's piece ``p``.
        Only pieces whose tempo changes are searched; a note before the first
        tempo change gets the first tempo.
        """
        rows = self.tempo_offsets[self.note_piece]
        notes, grid, tempo = self.note_offsets, self.beat_offsets, self.tempo_offsets
        for p in np.flatnonzero(np.diff(tempo) > 1).tolist():
            beat_ticks = self.beat_ticks[grid[p] : grid[p + 1]]
            beats = onsets[notes[p] : notes[p + 1]] / per_beat[p]
            ticks = np.interp(beats, np.arange(len(beat_ticks), dtype=np.float64), beat_ticks)
            found = np.searchsorted(self.tempo_ticks[tempo[p] : tempo[p + 1]], ticks, side="right") - 1
            rows[notes[p] : notes[p + 1]] += np.maximum(found, 0)
        return rows
