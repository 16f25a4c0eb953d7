"""Per-piece metrics tell real songs from their pitch-randomised copies, on real POP909 notes."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

from smdiff.evaluation.core import Evaluation
from smdiff.notes import NoteTable
from smdiff.testing import make_score
from smdiff_metrics import rhythm, structure, tonality
from smdiff_metrics.per_piece import PerPieceMetric


def randomised(tables: list[NoteTable], seed: int = 0) -> list[NoteTable]:
    """The same notes and rhythm with every pitch redrawn uniformly within the piece's range."""
    rng = np.random.default_rng(seed)
    return [attrs.evolve(t, pitch=rng.integers(t.pitch.min(), t.pitch.max() + 1, size=len(t))) for t in tables]


def test_scale_consistency_separates_real_melodies_from_random_pitches(melodies):
    real, random = tonality.scale_consistency(melodies), tonality.scale_consistency(randomised(melodies))
    assert np.median(real) >= 0.9
    assert np.median(random) <= 0.8


def test_pitch_class_entropy_is_lower_for_real_melodies(melodies):
    real, random = tonality.pitch_class_entropy(melodies), tonality.pitch_class_entropy(randomised(melodies))
    assert np.median(random) - np.median(real) > 0.4
    assert (random <= np.log2(12) + 1e-9).all()


def test_scale_consistency_and_entropy_on_hand_made_pieces():
    c_major = NoteTable.from_score(
        make_score({"A": [(i * 480, 480, p, 90) for i, p in enumerate([60, 62, 64, 65, 67, 69, 71])]})
    )
    chromatic = NoteTable.from_score(make_score({"A": [(i * 480, 480, 60 + i, 90) for i in range(12)]}))
    assert tonality.scale_consistency([c_major])[0] == 1.0
    assert tonality.scale_consistency([chromatic])[0] == pytest.approx(7 / 12)
    assert tonality.pitch_class_entropy([chromatic])[0] == pytest.approx(np.log2(12))
    assert tonality.pitch_class_entropy([c_major])[0] == pytest.approx(np.log2(7))
    assert tonality.SCALE_NAMES[tonality.best_scales(tonality.pitch_class_counts([c_major]))[0]] == "C major"


def test_chord_fit_is_higher_for_real_songs_than_for_a_melody_with_random_pitches(songs):
    real = tonality.chord_fit(songs)
    rng = np.random.default_rng(1)
    shuffled = []
    for song in songs:
        lead = song.track == song.melody_track()
        pitch = song.pitch.copy()
        pitch[lead] = rng.integers(pitch[lead].min(), pitch[lead].max() + 1, size=int(lead.sum()))
        shuffled.append(attrs.evolve(song, pitch=pitch))
    assert np.nanmedian(real) > np.nanmedian(tonality.chord_fit(shuffled)) + 0.2
    assert np.isnan(tonality.chord_fit([song.select(song.track == song.melody_track()) for song in songs[:3]])).all()


def test_groove_consistency_sees_rhythm_only(melodies):
    real = rhythm.groove_consistency(melodies)
    np.testing.assert_array_equal(real, rhythm.groove_consistency(randomised(melodies)))
    steady = NoteTable.from_score(
        make_score({"A": [(b * 1920 + s * 480, 240, 60, 90) for b in range(4) for s in range(4)]}), n_bars=4
    )
    assert rhythm.groove_consistency([steady])[0] == 1.0
    # bars alternate four quarters and eight eighths: 4 of 16 slots differ between neighbours
    notes = [
        (b * 1920 + s * (480 if b % 2 == 0 else 240), 200, 60, 90)
        for b in range(4)
        for s in range(4 if b % 2 == 0 else 8)
    ]
    assert rhythm.groove_consistency([NoteTable.from_score(make_score({"A": notes}), n_bars=4)])[0] == pytest.approx(
        0.75
    )


def test_empty_bar_rate_counts_bars_without_onsets():
    piece = NoteTable.from_score(make_score({"A": [(0, 3840, 60, 90), (2 * 1920, 480, 62, 90)]}), n_bars=4)
    assert rhythm.empty_bar_rate([piece])[0] == 0.5  # bar 1 only sounds (held note), bar 3 is silent


def test_repetition_counts_segments_repeating_earlier_ones(melodies):
    phrase = [(b * 1920 + s * 480, 480, 60 + (b * 4 + s) % 7, 90) for b in range(2) for s in range(4)]
    repeated = [(start + k * 2 * 1920, d, p, v) for k in range(4) for start, d, p, v in phrase]
    piece = NoteTable.from_score(make_score({"A": repeated}), n_bars=8)
    assert structure.repetition([piece])[0] == pytest.approx(3 / 4)  # every segment but the first repeats
    transposed = attrs.evolve(piece, pitch=piece.pitch + np.where(piece.bar >= 4, 2, 0))
    assert structure.repetition([transposed])[0] == pytest.approx(2 / 4)
    real = structure.repetition(melodies)
    assert np.median(real) > 0.1
    assert np.nanmax(structure.repetition(randomised(melodies))) < np.median(real)
    assert (structure.near_repetition(melodies) >= real - 1e-12).all()


def test_a_per_piece_metric_reports_median_and_spread_beside_the_reference(melodies):
    metric = PerPieceMetric("scale_consistency", tonality.scale_consistency)
    random = randomised(melodies)
    result = metric.compute(Evaluation("uncond", random, melodies, [True] * len(random)))
    values = tonality.scale_consistency(random)
    assert result.value == pytest.approx(np.median(values))
    assert result.spread == pytest.approx(tuple(np.percentile(values, [10, 90])))
    assert result.reference >= 0.9 > result.value and result.pieces == len(random)
    empty = NoteTable.from_score(make_score({"A": []}), n_bars=4)
    assert np.isnan(metric.compute(Evaluation("uncond", [empty], [empty], [True])).value)
