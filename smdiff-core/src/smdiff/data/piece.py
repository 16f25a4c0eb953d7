"""A piece read for tokenizing: its score, its bar grid, and its notes per track slot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs
import numpy as np
import symusic

from smdiff.data.bars import BarGrid, bar_grids
from smdiff.data.keys import normalising_shift
from smdiff.data.tempo import tempo_map
from smdiff.data.tracks import select_tracks
from smdiff.errors import DataError
from smdiff.midi import MidiLike, load_score

_FIELDS = ("time", "duration", "pitch", "velocity")


@attrs.frozen
class SlotNotes:
    """Every note of one slot's tracks, as parallel arrays in symusic's own integer types.

    ``time`` and ``duration`` are ticks (int32); ``pitch`` and ``velocity`` are
    int8, so widen them before arithmetic that could leave 0..127.
    """

    time: np.ndarray
    duration: np.ndarray
    pitch: np.ndarray
    velocity: np.ndarray

    @property
    def end(self) -> np.ndarray:
        """Tick where each note ends (int64)."""
        return self.time.astype(np.int64) + self.duration

    def transposed(self, semitones: int) -> SlotNotes:
        """These notes ``semitones`` higher (int16 pitches); notes that would leave MIDI's 0..127 are dropped."""
        pitch = self.pitch.astype(np.int16) + semitones
        keep = (pitch >= 0) & (pitch <= 127)
        return SlotNotes(self.time[keep], self.duration[keep], pitch[keep], self.velocity[keep])


@attrs.frozen
class Piece:
    """A score with its bars and the notes of each track slot of a track map."""

    score: symusic.Score
    grid: BarGrid
    notes: dict[str, SlotNotes]
    #: the score's tempo map (change ticks from 0, quarter notes per minute), see :func:`tempo_map`
    tempo: tuple[np.ndarray, np.ndarray]
    #: semitones added to every pitch of ``notes`` (key normalisation; 0 when the key is kept)
    transposition: int = 0

    @classmethod
    def read(
        cls,
        midi: MidiLike,
        *,
        track_map: Mapping[str, str],
        time_signature: str | None = None,
        source: str | Path | None = None,
        normalise_key: bool = False,
    ) -> Piece:
        """Read ``midi``; an unreadable file, or one where no track matches any slot, is a :class:`DataError`."""
        piece = cls.read_many(
            [midi], track_map=track_map, time_signature=time_signature, sources=[source], normalise_key=normalise_key
        )[0]
        if isinstance(piece, Exception):
            raise piece
        return piece

    @classmethod
    def read_many(
        cls,
        midis: Sequence[MidiLike],
        *,
        track_map: Mapping[str, str],
        time_signature: str | None = None,
        sources: Sequence[str | Path | None] | None = None,
        normalise_key: bool = False,
    ) -> list[Piece | Exception]:
        """:meth:`read` each of ``midis``, returning the error in place of a piece that fails.

        Files are parsed one by one; their bar grids are built together (see :func:`bar_grids`).
        With ``normalise_key`` each piece's slot notes are transposed into C major
        or A minor (:mod:`smdiff.data.keys`, estimated from all its pitched tracks).
        """
        read: list[tuple[symusic.Score, str | Path | None, dict[str, SlotNotes], int] | Exception] = []
        for midi, source in zip(midis, sources or [None] * len(midis), strict=True):
            try:
                score = load_score(midi)
                notes = _slot_notes(score, track_map)
                shift = normalising_shift(score) if normalise_key else 0
            except Exception as error:  # one bad file must never end the batch
                read.append(error)
                continue
            notes = {slot: slot_notes.transposed(shift) for slot, slot_notes in notes.items()} if shift else notes
            read.append((score, midi if source is None and isinstance(midi, (str, Path)) else source, notes, shift))
        loaded = [item for item in read if not isinstance(item, Exception)]
        tempos = [tempo_map(score) for score, *_ in loaded]
        grids = bar_grids(
            [score for score, *_ in loaded],
            [path for _, path, *_ in loaded],
            time_signature=time_signature,
            tempo_maps=tempos,
        )
        pieces = iter(
            cls(score, grid, notes, tempo, shift)
            for (score, _, notes, shift), grid, tempo in zip(loaded, grids, tempos, strict=True)
        )
        return [item if isinstance(item, Exception) else next(pieces) for item in read]


def _slot_notes(score: symusic.Score, track_map: Mapping[str, str]) -> dict[str, SlotNotes]:
    """The notes of each slot's tracks (slots without notes are left out)."""
    selected = select_tracks(score, track_map)
    if not any(selected.values()):
        wanted = ", ".join(f"{slot} ({selector})" for slot, selector in track_map.items())
        raise DataError(f"no track matches {wanted}; name the tracks with data.track_map")
    notes = {}
    for slot, tracks in selected.items():
        arrays = [array for array in (track.notes.numpy() for track in tracks) if len(array["time"])]
        if len(arrays) == 1:
            notes[slot] = SlotNotes(**arrays[0])
        elif arrays:
            notes[slot] = SlotNotes(**{field: np.concatenate([a[field] for a in arrays]) for field in _FIELDS})
    return notes
