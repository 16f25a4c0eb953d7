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


@pytest.fixture(scope="module")
def lead_windows(pop909):
    """16 bars of 12 real songs with their annotated chords written in as a CHORDS track, as the chord grid decodes."""
    from smdiff import with_chords

    tables = []
    for path in sorted(pop909.glob("*/*.mid"))[:12]:
        score = symusic.Score(str(path))
        chords = beat_chords(score, path)
        ticks = chords.beat_ticks.astype(int)
        spans = [(int(a), int(b), chord) for a, b, chord in zip(ticks[:-1], ticks[1:], chords.chords, strict=True)]
        table = NoteTable.from_score(with_chords(score, 0, int(ticks[-1]), spans), source_path=path)
        assert [name.upper() for name in table.track_names] == ["MELODY", "BRIDGE", "PIANO", "CHORDS"]
        tables.append(table.excerpt(int(table.bar[table.track == 0].min()) + 4, 16))
    return tables


def gap_evaluation(tables, tracks: tuple[int, ...], change=None):
    """Bars 4-12 of ``tracks`` infilled: by the original itself, or by ``change`` of the gap's notes."""
    import attrs

    from smdiff import Evaluation, Gap, InfillPair

    gap, unused = Gap(4, 12, tracks), np.zeros((1, 1), dtype=np.int64)
    pairs = []
    for table in tables:
        generated = table
        if change is not None:
            inside = gap.contains(table)
            generated = attrs.evolve(table, pitch=np.where(inside, change(table.pitch), table.pitch))
        pairs.append(InfillPair(table, generated, gap, unused, unused, unused.astype(bool)))
    return Evaluation("accompany", [p.generated for p in pairs], [], [True] * len(pairs), pairs)


def test_gap_chord_accuracy_reads_the_window_s_chord_track_and_reports_its_baselines(lead_windows):
    from smdiff_metrics.infill_chords import chord_accuracy_metric

    real = chord_accuracy_metric().compute(gap_evaluation(lead_windows, (1, 2)))
    assert real.value == real.reference and real.value >= 0.75 and real.pieces == len(lead_windows)
    assert real.baselines["random_chords"] < real.value - 0.4 and real.baselines["chords_late"] < real.value - 0.3
    assert real.baselines["copy_previous"] < real.value  # another bar's accompaniment misses these chords
    tritone = chord_accuracy_metric().compute(gap_evaluation(lead_windows, (1, 2), lambda pitch: pitch + 6))
    assert tritone.value < 0.1 and tritone.reference == real.reference
    melody_only = chord_accuracy_metric().compute(gap_evaluation(lead_windows, (0,)))
    assert melody_only.pieces == 0  # no accompaniment was generated: nothing to score


def test_gap_chord_tone_ratio_and_harmonization_accuracy_tell_right_from_wrong(lead_windows):
    from smdiff_metrics.infill_chords import chord_tone_ratio_metric, harmonization_metric

    melody = chord_tone_ratio_metric().compute(gap_evaluation(lead_windows, (0,)))
    moved = chord_tone_ratio_metric().compute(gap_evaluation(lead_windows, (0,), lambda pitch: pitch + 1))
    assert melody.value == melody.reference and melody.value > moved.value + 0.3
    right = harmonization_metric().compute(gap_evaluation(lead_windows, (3,)))
    wrong = harmonization_metric().compute(gap_evaluation(lead_windows, (3,), lambda pitch: pitch + 6))
    assert right.value == 1.0 and wrong.value < 0.05
    assert right.baselines["random_chords"] < 0.5 and right.baselines["chords_late"] < 0.6
    assert harmonization_metric().compute(gap_evaluation(lead_windows, (1, 2))).pieces == 0
