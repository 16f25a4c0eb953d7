"""Chords recognised from notes, one per beat: for any MIDI file, where no annotation says what they are.

Per beat, a profile of the twelve pitch classes weighted by how long each
sounds in the beat (drums left out), and the lowest sounding note. Each
candidate chord (every root × :data:`RECOGNISED` quality) scores the share of
the profile on its tones minus :data:`OUTSIDE_PENALTY` times the share off
them, plus :data:`BASS_BONUS` when the lowest note is its root. Chords change
slowly, so the sequence is chosen as a whole (Viterbi): each change costs
:data:`CHANGE_PENALTY`. A beat where nothing sounds is ``N``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import symusic

from smdiff.data.chords import NO_CHORD, Chord

#: the qualities the recogniser chooses among (sevenths only where the seventh sounds: they score on more tones)
RECOGNISED = ("maj", "min", "dim", "aug", "sus4", "7", "maj7", "min7")
OUTSIDE_PENALTY = 0.6
BASS_BONUS = 0.15
CHANGE_PENALTY = 0.25
#: a seventh chord must beat its triad by this much (four tones cover more of any profile)
SEVENTH_COST = 0.08


def _candidates() -> tuple[list[Chord], np.ndarray, np.ndarray]:
    """Every candidate chord, its tone template ``[n, 12]`` and its root ``[n]``."""
    chords = [Chord(root, quality) for quality in RECOGNISED for root in range(12)]
    templates = np.zeros((len(chords), 12))
    for index, chord in enumerate(chords):
        templates[index, list(chord.pitch_classes)] = 1.0
    return chords, templates, np.array([chord.root for chord in chords])


def beat_profiles(
    start: np.ndarray, end: np.ndarray, pitch: np.ndarray, beats: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``[beats, 12]`` time each pitch class sounds in each beat ``[beats[i], beats[i + 1])`` (any time unit, the
    notes' and the beats' the same), and the pitch class of the lowest note sounding in each beat (``-1``: none)."""
    count = len(beats) - 1
    profiles = np.zeros((max(count, 0), 12))
    lowest = np.full(max(count, 0), 128)
    if count <= 0 or not len(start):
        return profiles, np.full(max(count, 0), -1)
    first = np.clip(np.searchsorted(beats, start, side="right") - 1, 0, count - 1)
    last = np.clip(np.searchsorted(beats, end, side="left") - 1, 0, count - 1)
    spans = np.maximum(last - first + 1, 0)
    note = np.repeat(np.arange(len(start)), spans)
    beat = np.repeat(first, spans) + (np.arange(spans.sum()) - np.repeat(np.cumsum(spans) - spans, spans))
    overlap = np.minimum(end[note], beats[beat + 1]) - np.maximum(start[note], beats[beat])
    sounding = overlap > 0
    note, beat, overlap = note[sounding], beat[sounding], overlap[sounding]
    np.add.at(profiles, (beat, pitch[note] % 12), overlap)
    np.minimum.at(lowest, beat, pitch[note])
    return profiles, np.where(lowest < 128, lowest % 12, -1)


def score_notes(score: symusic.Score, tracks: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start and end ticks and pitches of every pitched (non-drum) note of ``score`` (of ``tracks``, when given)."""
    chosen = score.tracks if tracks is None else [score.tracks[index] for index in tracks]
    parts = [track.notes.numpy() for track in chosen if not track.is_drum and len(track.notes)]
    if not parts:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)
    start = np.concatenate([part["time"] for part in parts]).astype(np.float64)
    end = start + np.concatenate([part["duration"] for part in parts])
    return start, end, np.concatenate([part["pitch"] for part in parts]).astype(np.int64)


def recognise_chords(score: symusic.Score, beat_ticks: np.ndarray) -> list[Chord]:
    """The chord of every beat ``[beat_ticks[i], beat_ticks[i + 1])`` of ``score``."""
    profiles, bass = beat_profiles(*score_notes(score), np.asarray(beat_ticks, dtype=np.float64))
    return chords_of_profiles(profiles, bass)


def chords_of_profiles(profiles: np.ndarray, bass: np.ndarray) -> list[Chord]:
    """The Viterbi chord sequence of per-beat pitch-class ``profiles`` and lowest pitch classes ``bass``."""
    chords, templates, roots = _candidates()
    totals = profiles.sum(axis=1, keepdims=True)
    shares = np.divide(profiles, totals, out=np.zeros_like(profiles), where=totals > 0)
    inside = shares @ templates.T
    scores = inside - OUTSIDE_PENALTY * (1.0 - inside) + BASS_BONUS * (bass[:, None] == roots[None, :])
    scores -= SEVENTH_COST * (templates.sum(axis=1) > 3)[None, :]
    silent = totals[:, 0] == 0
    # state n (the last) is N: certain where nothing sounds, impossible elsewhere
    emissions = np.concatenate([np.where(silent[:, None], -1e9, scores), np.where(silent, 1.0, -1e9)[:, None]], axis=1)
    path = _viterbi(emissions, CHANGE_PENALTY)
    return [NO_CHORD if state == len(chords) else chords[state] for state in path]


def _viterbi(emissions: np.ndarray, change: float) -> np.ndarray:
    """The state sequence maximising the summed emissions minus ``change`` per change of state."""
    beats, states = emissions.shape
    if beats == 0:
        return np.zeros(0, dtype=np.int64)
    best = emissions[0].copy()
    back = np.zeros((beats, states), dtype=np.int64)
    for beat in range(1, beats):
        leader = int(np.argmax(best))
        switch = best[leader] - change
        stay = best >= switch
        back[beat] = np.where(stay, np.arange(states), leader)
        best = np.where(stay, best, switch) + emissions[beat]
    path = np.zeros(beats, dtype=np.int64)
    path[-1] = int(np.argmax(best))
    for beat in range(beats - 1, 0, -1):
        path[beat - 1] = back[beat, path[beat]]
    return path
