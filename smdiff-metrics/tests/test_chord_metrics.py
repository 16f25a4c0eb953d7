"""Chord metrics on real POP909 songs: the real accompaniment plays its annotated chords, a random progression in
the key does not; the real melody sits on its chords more than on random ones or on the chords a bar late."""

from __future__ import annotations

import numpy as np
import pytest
import symusic

from smdiff import Key, NoteTable, beat_chords
from smdiff.data.keys import score_key
from smdiff_metrics.chords import chord_accuracy, chord_tone_ratio, previous_bar_chords, random_chords_in_key


@pytest.fixture(scope="module")
def annotated(pop909):
    """(melody, accompaniment, beats in quarters, annotated chords, key) of 20 real songs."""
    pieces = []
    for path in sorted(pop909.glob("*/*.mid"))[:20]:
        score = symusic.Score(str(path))
        chords = beat_chords(score, path)
        table = NoteTable.from_score(score)
        melody = table.select(table.track == table.melody_track())
        accompaniment = table.select(table.track != table.melody_track())
        key = score_key(score) or Key(0)
        pieces.append((melody, accompaniment, chords.beat_ticks / score.ticks_per_quarter, chords.chords, key))
    return pieces


def test_chord_accuracy_tells_the_real_accompaniment_from_random_and_late_chords(annotated):
    rng = np.random.default_rng(0)
    real, random, late = [], [], []
    for _, accompaniment, beats, chords, key in annotated:
        real.append(chord_accuracy(accompaniment, beats, chords))
        random.append(chord_accuracy(accompaniment, beats, random_chords_in_key(chords, key, rng)))
        late.append(chord_accuracy(accompaniment, beats, previous_bar_chords(chords, 4)))
    assert np.median(real) >= 0.8
    assert np.median(real) > np.median(late) + 0.2 and np.median(real) > np.median(random) + 0.4


def test_the_melody_sits_on_its_chords_more_than_on_random_or_late_ones(annotated):
    rng = np.random.default_rng(0)
    real, random, late = [], [], []
    for melody, _, beats, chords, key in annotated:
        real.append(chord_tone_ratio(melody, beats, chords))
        random.append(chord_tone_ratio(melody, beats, random_chords_in_key(chords, key, rng)))
        late.append(chord_tone_ratio(melody, beats, previous_bar_chords(chords, 4)))
    assert np.median(real) > np.median(late) + 0.05 and np.median(real) > np.median(random) + 0.1
