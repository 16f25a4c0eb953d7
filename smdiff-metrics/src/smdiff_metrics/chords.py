"""Music against given chords, per piece: does an accompaniment play them, does a melody sit on them?

Chords are given per beat (``smdiff.beat_chords``: POP909's annotation, or
recognised from a song's notes). Beats and notes are in quarter notes.

- :func:`chord_accuracy`: the chords recognised from the accompaniment's own
  notes (``smdiff.chords_of_profiles``) against the given ones, by root and
  major/minor, over the beats whose given chord is of either family.
- :func:`chord_tone_ratio`: the share of the melody's sounding time, over beats
  with a chord, on the chord's tones.

Baselines on the same pieces, to read any number against (:func:`random_chords_in_key`,
:func:`previous_bar_chords`): chords drawn at random from the triads of the
key, with the given chords' rhythm; and the given chords one bar late. What
fools them: an accompaniment of sustained triads of the right chords scores
1 on accuracy however dull it is; a melody of chord tones only scores 1 on
the ratio while passing tones and suspensions are music; both read only
pitch classes, not voicing or register.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from smdiff import Chord, Key, NoteTable, beat_profiles, chords_of_profiles

#: the triads of a major key by scale degree (semitones above the tonic, quality); minor keys use the relative major
DIATONIC_TRIADS = ((0, "maj"), (2, "min"), (4, "min"), (5, "maj"), (7, "maj"), (9, "min"))


def recognised(notes: NoteTable, beats: np.ndarray) -> list[Chord]:
    """The chord recognised in each beat from ``notes``."""
    profiles, bass = beat_profiles(notes.onset, notes.onset + notes.duration, notes.pitch, beats)
    return chords_of_profiles(profiles, bass)


def chord_accuracy(accompaniment: NoteTable, beats: np.ndarray, given: Sequence[Chord]) -> float:
    """Share of beats (with a major- or minor-family given chord) where the accompaniment plays its root and
    family; NaN when no beat has one."""
    found = recognised(accompaniment, beats)
    pairs = [(chord.majmin, heard.majmin) for chord, heard in zip(given, found, strict=False) if chord.majmin]
    return float(np.mean([want == got for want, got in pairs])) if pairs else float("nan")


def chord_tone_ratio(melody: NoteTable, beats: np.ndarray, given: Sequence[Chord]) -> float:
    """Share of the melody's sounding time, in beats with a chord, on that chord's tones; NaN without any."""
    profiles, _ = beat_profiles(melody.onset, melody.onset + melody.duration, melody.pitch, beats)
    tones = np.zeros((len(profiles), 12))
    for beat, chord in enumerate(given[: len(profiles)]):
        tones[beat, list(chord.pitch_classes)] = 1.0
    with_chord = tones.any(axis=1)
    total = profiles[with_chord].sum()
    return float((profiles * tones)[with_chord].sum() / total) if total > 0 else float("nan")


def random_chords_in_key(given: Sequence[Chord], key: Key, rng: np.random.Generator) -> list[Chord]:
    """A triad of ``key`` drawn at random for each span of equal given chords (``N`` stays ``N``)."""
    tonic = key.tonic if not key.minor else (key.tonic + 3) % 12
    out: list[Chord] = []
    for index, chord in enumerate(given):
        if chord.root is None:
            out.append(chord)
        elif index and given[index - 1] == chord and out[-1].root is not None:
            out.append(out[-1])
        else:
            degree, quality = DIATONIC_TRIADS[rng.integers(len(DIATONIC_TRIADS))]
            out.append(Chord((tonic + degree) % 12, quality))
    return out


def previous_bar_chords(given: Sequence[Chord], beats_per_bar: int) -> list[Chord]:
    """The given chords one bar late (``N`` for the first bar)."""
    return [Chord(None)] * beats_per_bar + list(given[: len(given) - beats_per_bar])
