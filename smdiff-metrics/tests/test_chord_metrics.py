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


def against_baselines(annotated, metric, part: int) -> tuple[float, float, float]:
    """Median over songs of ``metric`` on part ``part`` (0 melody, 1 accompaniment): with the annotated chords,
    random triads of the key, and the chords a bar late."""
    rng = np.random.default_rng(0)
    real, random, late = [], [], []
    for *parts, beats, chords, key in annotated:
        real.append(metric(parts[part], beats, chords))
        random.append(metric(parts[part], beats, random_chords_in_key(chords, key, rng)))
        late.append(metric(parts[part], beats, previous_bar_chords(chords, 4)))
    return float(np.median(real)), float(np.median(random)), float(np.median(late))


def test_chord_accuracy_tells_the_real_accompaniment_from_random_and_late_chords(annotated):
    real, random, late = against_baselines(annotated, chord_accuracy, 1)
    assert real >= 0.8 and real > late + 0.2 and real > random + 0.4


def test_the_melody_sits_on_its_chords_more_than_on_random_or_late_ones(annotated):
    real, random, late = against_baselines(annotated, chord_tone_ratio, 0)
    assert real > late + 0.05 and real > random + 0.1
