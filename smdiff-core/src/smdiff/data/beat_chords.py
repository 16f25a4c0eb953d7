"""The chord at every beat of a song: from its chord track where one sounds, else its annotation (POP909), else
recognised from its notes."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import attrs
import numpy as np
import symusic

from smdiff.data.bars import BarGrid
from smdiff.data.chord_recognition import beat_profiles, chords_of_profiles, recognise_chords, score_notes
from smdiff.data.chord_track import chord_track_indices
from smdiff.data.chords import CHORD_ANNOTATION_FILE, Chord, chords_at, read_chord_annotation
from smdiff.data.tempo import ticks_to_seconds

#: a chord track gives a beat's chord when one of its notes sounds over at least this share of the beat
COVERED = 0.5
ChordSource = Literal["chord track", "annotation", "recognised"]


@attrs.frozen
class BeatChords:
    """``chords[i]`` sounds over beat ``[beat_ticks[i], beat_ticks[i + 1])``; ``source`` says where they came from."""

    beat_ticks: np.ndarray = attrs.field(eq=False)
    chords: tuple[Chord, ...]
    source: ChordSource

    def transposed(self, semitones: int) -> BeatChords:
        """Every chord ``semitones`` higher (key normalisation moves chords with the notes)."""
        return attrs.evolve(self, chords=tuple(chord.transposed(semitones) for chord in self.chords))


def annotation_beside(source_path: str | Path | None) -> Path | None:
    """The ``chord_midi.txt`` beside a MIDI file, if there is one."""
    if source_path is None:
        return None
    path = Path(source_path).with_name(CHORD_ANNOTATION_FILE)
    return path if path.is_file() else None


def beat_chords(score: symusic.Score, source_path: str | Path | None = None, grid: BarGrid | None = None) -> BeatChords:
    """The chord of every beat of ``score`` (beats from ``grid``, else its bar grid: annotated beats for POP909).

    Beats a chord track (:mod:`smdiff.data.chord_track`) sounds over (half of each, at least) take its
    chords; the others take the annotation beside ``source_path`` when there is
    one, else chords recognised from all the notes. ``source`` names the first
    of these that gave any beat.
    """
    grid = grid if grid is not None else BarGrid.for_score(score, source_path=source_path)
    beats = np.asarray(grid.beat_ticks, dtype=np.float64)
    annotation = annotation_beside(source_path)
    if annotation is not None:
        middles = ticks_to_seconds(score, (beats[:-1] + beats[1:]) / 2)
        found = BeatChords(beats, tuple(chords_at(read_chord_annotation(annotation), middles)), "annotation")
    else:
        found = BeatChords(beats, tuple(recognise_chords(score, beats)), "recognised")
    start, end, pitch = score_notes(score, chord_track_indices(score))
    if not len(pitch):
        return found
    profiles, bass = beat_profiles(start, end, pitch, beats)
    given = chords_of_profiles(profiles, bass)
    covered = profiles.max(axis=1, initial=0.0) >= COVERED * np.diff(beats)
    merged = tuple(
        mine if here and mine.root is not None else other
        for mine, other, here in zip(given, found.chords, covered, strict=True)
    )
    return BeatChords(beats, merged, "chord track")
