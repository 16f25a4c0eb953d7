"""Chords written into a MIDI file as a track of block chords, and read back from one.

A track named ``CHORDS`` (any case; ``Chord`` too) holds a song's chords as
block chords in root position from C3: what chord-channel tokenizers write on
the way out, what the studio's chord lane writes when a musician edits chords,
and what a lead sheet exported from another tool may carry. Reading a song's
chords (:func:`smdiff.beat_chords`) takes them from this track first, wherever
it sounds, so chords given in the file win over annotation and recognition.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import symusic

from smdiff.data.chords import Chord
from smdiff.midi import note_rows, set_note_rows

CHORD_TRACK_NAME = "CHORDS"
#: lower-case words of a track name that make it a chord track
CHORD_TRACK_WORDS = frozenset({"chords", "chord"})
#: block chords are voiced in root position from this pitch (C3) upwards
CHORD_LOW = 48
CHORD_VELOCITY = 40


def is_chord_track(track: symusic.Track) -> bool:
    """Whether ``track`` is a chord track: pitched, and named ``CHORDS`` or ``Chord`` (words, any case)."""
    words = {word for word in "".join(c if c.isalpha() else " " for c in track.name.lower()).split()}
    return not track.is_drum and bool(words & CHORD_TRACK_WORDS)


def chord_track_indices(score: symusic.Score) -> list[int]:
    """Indices of the chord tracks of ``score``."""
    return [index for index, track in enumerate(score.tracks) if is_chord_track(track)]


def block_chord(chord: Chord) -> list[int]:
    """The pitches of ``chord`` as a block chord in root position from :data:`CHORD_LOW` (none for ``N``)."""
    if chord.root is None:
        return []
    return sorted(CHORD_LOW + chord.root + (tone - chord.root) % 12 for tone in chord.pitch_classes)


def chord_rows(spans: Sequence[tuple[int, int, Chord]]) -> np.ndarray:
    """The block chords of (start, end, chord) spans as note rows (:func:`smdiff.midi.note_rows`)."""
    rows = [(start, end, pitch, CHORD_VELOCITY)
            for start, end, chord in spans if end > start for pitch in block_chord(chord)]  # fmt: skip
    return np.array(rows, dtype=np.int64).reshape(-1, 4)


def chord_note_track(spans: Sequence[tuple[int, int, Chord]], name: str = CHORD_TRACK_NAME) -> symusic.Track:
    """A new track of block chords for (start tick, end tick, chord) spans."""
    track = symusic.Track(name, 0, False)
    set_note_rows(track, chord_rows(spans))
    return track


def with_chords(score: symusic.Score, start: int, end: int, spans: Sequence[tuple[int, int, Chord]]) -> symusic.Score:
    """A copy of ``score`` whose chord track holds ``spans`` in ticks ``[start, end)`` and is unchanged elsewhere.

    Chord notes sounding into ``start`` are cut there; the song's first chord
    track is used, or a new ``CHORDS`` track is added after the others.
    """
    out = score.copy()
    indices = chord_track_indices(out)
    if not indices:
        out.tracks.append(symusic.Track(CHORD_TRACK_NAME, 0, False))
        indices = [len(out.tracks) - 1]
    track = out.tracks[indices[0]]
    rows = note_rows(track)
    rows = rows[(rows[:, 0] < start) | (rows[:, 0] >= end)]
    rows[(rows[:, 0] < start) & (rows[:, 1] > start), 1] = start
    clipped = [(max(a, start), min(b, end), chord) for a, b, chord in spans]
    set_note_rows(track, np.concatenate([rows, chord_rows(clipped)]))
    return out
