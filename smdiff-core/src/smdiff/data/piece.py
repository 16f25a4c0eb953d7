"""A piece read for tokenizing: its score, its bar grid, and its notes per track slot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs
import numpy as np
import symusic

from smdiff.data.bars import BarGrid, bar_grids
from smdiff.data.keys import normalising_shift
from smdiff.data.roles import RoleChoice, assign_roles, skyline_indices
from smdiff.data.tempo import tempo_map
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

    @classmethod
    def of_tracks(cls, score: symusic.Score, choice: RoleChoice) -> SlotNotes | None:
        """The notes of the chosen tracks (only their top line when ``choice.skyline``); ``None`` when there are none."""
        arrays = [array for array in (score.tracks[i].notes.numpy() for i in choice.tracks) if len(array["time"])]
        if not arrays:
            return None
        notes = (
            cls(**arrays[0])
            if len(arrays) == 1
            else cls(**{f: np.concatenate([a[f] for a in arrays]) for f in _FIELDS})
        )
        return notes.top_line() if choice.skyline else notes

    def top_line(self) -> SlotNotes:
        """The highest note at each onset, each cut where the next one starts (a monophonic line)."""
        keep = skyline_indices(self.time, self.pitch)
        time, duration = self.time[keep], self.duration[keep]
        next_onset = np.append(time[1:], np.iinfo(time.dtype).max).astype(np.int64)
        cut = np.minimum(time.astype(np.int64) + duration, next_onset) - time
        return SlotNotes(time, cut.astype(duration.dtype), self.pitch[keep], self.velocity[keep])

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
    #: the rule that filled each slot (:mod:`smdiff.data.roles`: ``track_map``, ``name``, ``skyline``, …)
    roles: dict[str, str] = attrs.field(factory=dict)
    #: the file it was read from, when known: annotations beside it (beats, chords) are found through it
    source: str | Path | None = None

    @classmethod
    def read(
        cls,
        midi: MidiLike,
        *,
        slots: Sequence[str] | None = None,
        track_map: Mapping[str, str] | None = None,
        time_signature: str | None = None,
        source: str | Path | None = None,
        normalise_key: bool = False,
    ) -> Piece:
        """Read ``midi``; an unreadable file, or one where no track fits any slot, is a :class:`DataError`."""
        piece = cls.read_many(
            [midi], slots=slots, track_map=track_map, time_signature=time_signature, sources=[source],
            normalise_key=normalise_key,
        )[0]  # fmt: skip
        if isinstance(piece, Exception):
            raise piece
        return piece

    @classmethod
    def read_many(
        cls,
        midis: Sequence[MidiLike],
        *,
        slots: Sequence[str] | None = None,
        track_map: Mapping[str, str] | None = None,
        time_signature: str | None = None,
        sources: Sequence[str | Path | None] | None = None,
        normalise_key: bool = False,
    ) -> list[Piece | Exception]:
        """:meth:`read` each of ``midis``, returning the error in place of a piece that fails.

        ``slots`` (default: ``track_map``'s) are filled by ``track_map``'s selectors
        where it names them and automatically otherwise (:func:`assign_roles`).
        Files are parsed one by one; their bar grids are built together (see :func:`bar_grids`).
        With ``normalise_key`` each piece's slot notes are transposed into C major
        or A minor (:mod:`smdiff.data.keys`, estimated from all its pitched tracks).
        """
        track_map = dict(track_map or {})
        slots = tuple(slots if slots is not None else track_map)
        read: list[tuple[symusic.Score, str | Path | None, dict[str, SlotNotes], int, dict[str, str]] | Exception] = []
        for midi, source in zip(midis, sources or [None] * len(midis), strict=True):
            try:
                score = load_score(midi)
                notes, roles, drums = _slot_notes(score, slots, track_map)
                shift = normalising_shift(score) if normalise_key else 0
            except Exception as error:  # one bad file must never end the batch
                read.append(error)
                continue
            if shift:  # a drum note's pitch names an instrument: keys move pitched slots only
                notes = {slot: found if slot in drums else found.transposed(shift) for slot, found in notes.items()}
            path = midi if source is None and isinstance(midi, (str, Path)) else source
            read.append((score, path, notes, shift, roles))
        loaded = [item for item in read if not isinstance(item, Exception)]
        tempos = [tempo_map(score) for score, *_ in loaded]
        grids = bar_grids(
            [score for score, *_ in loaded],
            [path for _, path, *_ in loaded],
            time_signature=time_signature,
            tempo_maps=tempos,
        )
        pieces = iter(
            cls(score, grid, notes, tempo, shift, roles, path)
            for (score, path, notes, shift, roles), grid, tempo in zip(loaded, grids, tempos, strict=True)
        )
        return [item if isinstance(item, Exception) else next(pieces) for item in read]


def _slot_notes(
    score: symusic.Score, slots: Sequence[str], track_map: Mapping[str, str]
) -> tuple[dict[str, SlotNotes], dict[str, str], set[str]]:
    """The notes of each slot's tracks (slots without notes are left out), the rule that chose them, the drum slots."""
    choices = assign_roles(score, slots, track_map)
    notes = {slot: found for slot, choice in choices.items() if (found := SlotNotes.of_tracks(score, choice))}
    if not notes:
        names = ", ".join(repr(track.name.strip()) for track in score.tracks if len(track.notes)) or "none with notes"
        wanted = ", ".join(f"{slot} ({track_map[slot]})" if slot in track_map else slot for slot in slots)
        raise DataError(
            f"no track fits {wanted} (tracks: {names}); choose them with data.track_map, "
            f"e.g. --set data.track_map.{slots[0]}=program:0-127"
        )
    drums = {slot for slot in notes if all(score.tracks[index].is_drum for index in choices[slot].tracks)}
    return notes, {slot: choices[slot].rule for slot in notes}, drums
