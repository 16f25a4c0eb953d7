"""Which tracks of a MIDI file play which role of a tokenizer (melody, bass, piano, drums, …), found automatically.

A tokenizer names its slots; ``data.track_map`` may give a selector for some of
them (it always wins). Every other slot is filled from the file itself, in
this order of evidence:

1. **names** — a track whose name holds a hint word for the slot, in any case and
   spacing (``Melody``, ``LEAD VOCAL``, ``E.Piano``, ``Acoustic Bass``, ``Drum Kit``); a ``CHORDS``
   track (block chords, :mod:`smdiff.data.chord_track`) fills a ``chords`` slot and never the melody;
2. **the drum channel** — drum tracks fill ``drums`` and never a pitched slot;
3. **General MIDI programs** — bass 32–39, pianos 0–7;
4. **note statistics** — the melody is the most melodic line (the highest mean
   pitch among tracks that mostly sound one note at a time); the bass is the
   lowest monophonic line; the piano (accompaniment) takes the pitched tracks left over.

A file with one pitched track is a melody. When the melody's track is not
monophonic (double stops, a pianist's right hand), or no line is, the melody is
the top line (skyline) of the most melodic track. Each slot's choice
carries the rule that made it, which ``smdiff prepare`` records per file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs
import numpy as np

from smdiff.data.chord_tokens import CHORD_SLOT
from smdiff.data.tracks import select_track_indices

if TYPE_CHECKING:
    import symusic

#: words in a track name that say its role, best first (a word is a run of letters, compared in lower case)
NAME_HINTS: dict[str, tuple[str, ...]] = {
    "melody": (
        "melody",
        "melodie",
        "melodia",
        "vocal",
        "vocals",
        "voice",
        "vox",
        "singer",
        "lead",
        "soprano",
        "tune",
        "cantus",
        "canto",
        "superius",
    ),
    "bridge": ("bridge",),
    "bass": ("bass", "contrabass", "basso"),
    "piano": ("piano", "pno", "pianoforte", "keys", "keyboard", "epiano", "rhodes"),
    "drums": ("drum", "drums", "percussion", "perc", "kit", "drumkit"),
    "chords": ("chords", "chord"),
}
BASS_PROGRAMS = range(32, 40)
PIANO_PROGRAMS = range(0, 8)
#: a track is a monophonic line when at most this share of its notes start while another still sounds
MONOPHONIC = 0.9
#: a track whose notes overlap less often than this can carry the melody (its top line is taken)
MOSTLY_MONOPHONIC = 0.5
#: notes a track needs before its statistics are trusted for a role
MIN_NOTES = 8
#: a monophonic line whose mean pitch is below this (F3) can be a bass found by statistics
BASS_MEAN_PITCH = 53
#: a slot named ``program_N`` holds the tracks playing General MIDI program N (a multi-instrument tokenizer's slots)
PROGRAM_SLOT = re.compile(r"program_(\d{1,3})")
#: the order slots are filled in, so that lines claimed by one role are not offered to the next
ROLE_ORDER = ("drums", "melody", "bridge", "bass", "chords", "piano")


@attrs.define(slots=False)
class TrackFacts:
    """What the role finder knows of one track with notes; the note statistics are computed on first use.

    Names settle most files (all of POP909), so reading every note of every
    track for statistics nobody asks for would cost a fifth of the encoding time.
    """

    index: int
    words: tuple[str, ...]
    program: int
    is_drum: bool
    notes: int
    track: symusic.Track = attrs.field(repr=False, eq=False)
    #: ticks by which consecutive notes may overlap and still count as one line (performed legato)
    tolerance: int = attrs.field(default=1, repr=False)

    def hint_rank(self, slot: str) -> int | None:
        """How early the best hint word for ``slot`` comes in :data:`NAME_HINTS` (``None``: the name does not hint it)."""
        hints = NAME_HINTS.get(slot, (slot,))
        ranks = [hints.index(word) for word in self.words if word in hints]
        return min(ranks) if ranks else None

    @functools.cached_property
    def mean_pitch(self) -> float:
        """The mean MIDI pitch of the track's notes."""
        return float(self.track.notes.numpy()["pitch"].mean())

    @functools.cached_property
    def monophony(self) -> float:
        """The share of notes that start after the note before them has ended (1.0: one note at a time)."""
        notes = self.track.notes.numpy()
        order = np.argsort(notes["time"], kind="stable")
        start = notes["time"][order].astype(np.int64)
        end = start + notes["duration"][order]
        # against the note just before (not every earlier one): one held pedal note must not make a line polyphonic
        overlapping = start[1:] < end[:-1] - self.tolerance
        return 1.0 - float(overlapping.mean()) if len(overlapping) else 1.0

    @property
    def is_line(self) -> bool:
        """Monophonic enough, with enough notes, to be a melody or bass line."""
        return self.notes >= MIN_NOTES and self.monophony >= MONOPHONIC


@attrs.frozen
class RoleChoice:
    """The tracks filling one slot and the rule that chose them; ``skyline``: keep only their top line."""

    tracks: tuple[int, ...]
    rule: str
    skyline: bool = False


def track_facts(score: symusic.Score) -> list[TrackFacts]:
    """Facts about every track of ``score`` that has notes."""
    tolerance = max(score.ticks_per_quarter // 8, 1)  # legato overlaps of performed MIDI are not polyphony
    return [
        TrackFacts(
            index=index,
            words=tuple(re.findall(r"[a-z]+", track.name.lower())),
            program=int(track.program),
            is_drum=bool(track.is_drum),
            notes=len(track.notes),
            track=track,
            tolerance=tolerance,
        )
        for index, track in enumerate(score.tracks)
        if len(track.notes)
    ]


def assign_roles(
    score: symusic.Score, slots: Sequence[str], track_map: Mapping[str, str] | None = None
) -> dict[str, RoleChoice]:
    """The tracks of ``score`` for each slot that gets any; ``track_map``'s selectors win for their slots."""
    explicit = {slot: selector for slot, selector in (track_map or {}).items() if slot in slots}
    choices = {
        slot: RoleChoice(tuple(indices), "track_map")
        for slot, indices in select_track_indices(score, explicit).items()
        if indices
    }
    claimed = {index for choice in choices.values() for index in choice.tracks}
    facts = track_facts(score)
    programs = {
        int(match.group(1)): slot for slot in slots if slot not in explicit and (match := PROGRAM_SLOT.fullmatch(slot))
    }
    automatic = sorted(
        (slot for slot in slots if slot not in explicit and slot not in programs.values()),
        key=lambda slot: ROLE_ORDER.index(slot) if slot in ROLE_ORDER else len(ROLE_ORDER),
    )
    for slot in automatic:
        free = [fact for fact in facts if fact.index not in claimed]
        choice = CHOOSERS.get(slot, _named)(slot, free, facts, tuple(slots))
        if choice is not None:
            choices[slot] = choice
            claimed.update(choice.tracks)
    choices.update(_by_program(programs, [fact for fact in facts if fact.index not in claimed]))
    return {slot: choices[slot] for slot in slots if slot in choices}


def _by_program(programs: dict[int, str], free: list[TrackFacts]) -> dict[str, RoleChoice]:
    """``program_N`` slots (``programs`` maps N to the slot): each gets the pitched tracks playing program N."""
    tracks: dict[str, list[int]] = {}
    for fact in free:
        if not fact.is_drum and fact.program in programs:
            tracks.setdefault(programs[fact.program], []).append(fact.index)
    return {slot: RoleChoice(tuple(indices), "program") for slot, indices in tracks.items()}


def _hinted(slot: str, tracks: list[TrackFacts]) -> RoleChoice | None:
    """The tracks whose names give the best hint for ``slot`` (several when they share it, as POP909's PIANO tracks)."""
    ranked = [(rank, fact) for fact in tracks if (rank := fact.hint_rank(slot)) is not None]
    if not ranked:
        return None
    best = min(rank for rank, _ in ranked)
    return RoleChoice(tuple(fact.index for rank, fact in ranked if rank == best), "name")


def _hints_any(fact: TrackFacts, slots: Sequence[str]) -> bool:
    return any(fact.hint_rank(slot) is not None for slot in slots)


def _named(slot: str, free: list[TrackFacts], facts: list[TrackFacts], slots: tuple[str, ...]) -> RoleChoice | None:
    """A slot with no rule of its own: tracks whose name is (or holds) the slot's name."""
    return _hinted(slot, free)


def _drums(slot: str, free: list[TrackFacts], facts: list[TrackFacts], slots: tuple[str, ...]) -> RoleChoice | None:
    drums = tuple(fact.index for fact in free if fact.is_drum)
    if drums:
        return RoleChoice(drums, "drum channel")
    return _hinted(slot, free)


def _melody(slot: str, free: list[TrackFacts], facts: list[TrackFacts], slots: tuple[str, ...]) -> RoleChoice | None:
    pitched = [fact for fact in free if not fact.is_drum and not _hints_any(fact, (CHORD_SLOT,))]
    named = _hinted(slot, pitched)
    if named is not None:
        return named
    tunes = [fact for fact in facts if not fact.is_drum and not _hints_any(fact, (CHORD_SLOT,))]
    if len(tunes) == 1 and pitched:  # one pitched track (beside chords): it is the tune
        only = pitched[0]
        return RoleChoice((only.index,), "single track", skyline=only.monophony < MONOPHONIC)
    usable = [
        fact
        for fact in pitched
        if fact.notes >= MIN_NOTES and fact.program not in BASS_PROGRAMS and not _hints_any(fact, ("bass", "drums"))
    ]
    # a track named for another slot of this tokenizer is left to it, unless no other track could carry the tune
    others = [other for other in slots if other != slot]
    candidates = [fact for fact in usable if not _hints_any(fact, others)] or usable
    if not candidates:
        return None
    lines = [fact for fact in candidates if fact.monophony >= MOSTLY_MONOPHONIC]
    best = max(lines or candidates, key=lambda fact: fact.mean_pitch)
    if best.monophony >= MONOPHONIC:
        return RoleChoice((best.index,), "most melodic line")
    return RoleChoice((best.index,), "skyline", skyline=True)  # double stops or chords: keep the top line


def _bridge(slot: str, free: list[TrackFacts], facts: list[TrackFacts], slots: tuple[str, ...]) -> RoleChoice | None:
    return _hinted(slot, [fact for fact in free if not fact.is_drum])


def _named_or_programmed(slot: str, pitched: list[TrackFacts], programs: range) -> RoleChoice | None:
    """Tracks whose names hint ``slot``, else tracks playing one of its General MIDI ``programs``."""
    named = _hinted(slot, pitched)
    if named is not None:
        return named
    by_program = tuple(fact.index for fact in pitched if fact.program in programs)
    return RoleChoice(by_program, "program") if by_program else None


def _bass(slot: str, free: list[TrackFacts], facts: list[TrackFacts], slots: tuple[str, ...]) -> RoleChoice | None:
    pitched = [fact for fact in free if not fact.is_drum]
    found = _named_or_programmed(slot, pitched, BASS_PROGRAMS)
    if found is not None:  # settled without reading any track's notes for statistics
        return found
    low_lines = [
        fact
        for fact in pitched
        if not _hints_any(fact, ("melody", "bridge", "drums")) and fact.is_line and fact.mean_pitch < BASS_MEAN_PITCH
    ]
    if not low_lines:
        return None
    return RoleChoice((min(low_lines, key=lambda fact: fact.mean_pitch).index,), "lowest line")


def _piano(slot: str, free: list[TrackFacts], facts: list[TrackFacts], slots: tuple[str, ...]) -> RoleChoice | None:
    pitched = [fact for fact in free if not fact.is_drum]
    found = _named_or_programmed(slot, pitched, PIANO_PROGRAMS)
    if found is None and pitched:
        found = RoleChoice(tuple(fact.index for fact in pitched), "accompaniment")
    return found


#: (slot, tracks not yet claimed, every track, the tokenizer's slots) → the choice, or ``None``
Chooser = Callable[[str, list[TrackFacts], list[TrackFacts], tuple[str, ...]], RoleChoice | None]
CHOOSERS: dict[str, Chooser] = {"drums": _drums, "melody": _melody, "bridge": _bridge, "bass": _bass, "piano": _piano}


def skyline_indices(time: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """Indices of the top line of some notes: the highest note at each onset, in time order."""
    order = np.lexsort((-pitch.astype(np.int16), time))  # by time, the highest pitch first within an onset
    first_of_onset = np.ones(len(order), dtype=bool)
    first_of_onset[1:] = time[order][1:] != time[order][:-1]
    return order[first_of_onset]
