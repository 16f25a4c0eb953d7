"""Melodic motion on real POP909 melodies, against the controls a metric of melody must catch."""

from __future__ import annotations

import numpy as np
import pytest

from smdiff.evaluation.core import Evaluation
from smdiff.notes import NoteTable
from smdiff.testing import make_score
from smdiff_metrics import controls, motion, structure, tonality
from smdiff_metrics.per_piece import PerPieceMetric


def line(pitches: list[int], name: str = "MELODY") -> NoteTable:
    return NoteTable.from_score(make_score({name: [(i * 480, 480, p, 90) for i, p in enumerate(pitches)]}), n_bars=2)


def test_motion_of_a_hand_made_line():
    piece = line([60, 62, 64, 65, 72, 71, 60, 60])  # intervals 2, 2, 1, 7, -1, -11, 0
    assert motion.avg_pitch_shift([piece])[0] == pytest.approx(24 / 7)
    assert motion.step_share([piece])[0] == pytest.approx(5 / 7)
    assert motion.leap_share([piece])[0] == pytest.approx(2 / 7)
    histogram = motion.interval_histogram([piece])
    assert histogram.sum() == 7 and histogram[motion.INTERVAL_LABELS.index("+7")] == 1
    assert histogram[motion.INTERVAL_LABELS.index("-11")] == 1
    assert np.isnan(motion.avg_pitch_shift([line([60])])[0])  # one note has no interval


def test_the_lead_line_is_the_melody_s_top_line_and_drums_are_left_out():
    melody = [(i * 480, 480, 60 + i, 90) for i in range(4)] + [(0, 480, 55, 90)]  # a lower note under the first
    piano = [(i * 480, 480, 40, 90) for i in range(4)]
    song = NoteTable.from_score(make_score({"MELODY": melody, "PIANO": piano}), n_bars=1)
    np.testing.assert_array_equal(motion.lead_line(song), [60, 61, 62, 63])
    band = NoteTable.from_score(make_score({"BASS": piano, "DRUMS": [(i * 240, 120, 36, 90) for i in range(8)]}))
    np.testing.assert_array_equal(motion.lead_line(band), [40, 40, 40, 40])
    assert motion.pitched_tracks(band) == [0]


def test_motion_separates_real_melodies_from_random_notes_of_their_own_scale(melodies):
    """Random notes of the song's scale pass the tonality metrics; the motion metrics catch them."""
    random = controls.controlled(melodies, "scale_random")
    assert np.nanmedian(tonality.scale_consistency(random)) == 1.0  # they pass scale consistency
    real_steps, random_steps = motion.step_share(melodies), motion.step_share(random)
    assert np.nanmedian(real_steps) > 0.55 > np.nanmedian(random_steps) + 0.2
    assert np.nanmedian(motion.leap_share(melodies)) < 0.15 < np.nanmedian(motion.leap_share(random))
    assert np.nanmedian(motion.avg_pitch_shift(melodies)) + 2 < np.nanmedian(motion.avg_pitch_shift(random))


def test_repetition_catches_bars_shuffled_within_the_song_and_motion_does_not(melodies):
    shuffled = controls.controlled(melodies, "bars_shuffled")
    assert sorted(shuffled[0].pitch.tolist()) == sorted(melodies[0].pitch.tolist())  # the song's own notes
    assert np.median(structure.repetition(melodies)) > np.median(structure.repetition(shuffled)) + 0.05
    # intervals inside bars survive, only those across bar lines change: motion moves far less than for random notes
    real, moved = np.nanmedian(motion.step_share(melodies)), np.nanmedian(motion.step_share(shuffled))
    random = np.nanmedian(motion.step_share(controls.controlled(melodies, "scale_random")))
    assert abs(real - moved) < (real - random) / 2


def test_per_piece_metrics_report_the_controls_beside_the_reference(melodies):
    metric = PerPieceMetric("step_share", motion.step_share)
    result = metric.compute(Evaluation("uncond", melodies, melodies, [True] * len(melodies)))
    assert set(result.baselines) == {"scale_random", "bars_shuffled"}
    assert result.baselines["scale_random"] < result.reference - 0.2
