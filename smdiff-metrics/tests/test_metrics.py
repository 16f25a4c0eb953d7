"""Metrics give the values they must on sets with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from smdiff.evaluation.core import Evaluation, Gap, InfillPair
from smdiff.notes import NoteTable
from smdiff.plugins import build_plugin_host
from smdiff.testing import make_score
from smdiff_metrics import histograms, motion, overlap, unconditional
from smdiff_metrics.infill import BoundarySmoothness, DensityError, GapPitchClassKL, NoteAccuracy, TokenAccuracy

REGISTRIES = build_plugin_host().registries


def piece(seed: int, bars: int = 16) -> NoteTable:
    rng = np.random.default_rng(seed)
    notes = [(int(b * 1920 + s * 240), int(rng.choice([240, 480, 960])), int(rng.integers(55, 80)), int(rng.integers(40, 120)))
             for b in range(bars) for s in range(0, 8, 2)]  # fmt: skip
    return NoteTable.from_score(make_score({"MELODY": notes}), n_bars=bars)


def evaluate(samples, reference, task="uncond", pairs=()):
    return Evaluation(
        task=task, samples=list(samples), reference=list(reference), valid=[True] * len(samples), pairs=list(pairs)
    )


def values(evaluation):
    return {spec.id: spec.factory().compute(evaluation) for spec in REGISTRIES.metrics if spec.task == evaluation.task}


def test_plugin_registers_every_metric_through_the_host():
    ids = set(REGISTRIES.metrics.ids())
    assert {"oa_pitch_consistency", "oa_duration_variance", "kl_pitch_class", "kl_velocity", "self_similarity",
            "diversity", "valid_samples", "infill_pitch_accuracy", "infill_density_error"} <= ids  # fmt: skip
    assert REGISTRIES.metrics.provider("kl_pitch_class") == "metrics"


def test_a_set_scored_against_itself_is_perfect():
    pieces = [piece(seed) for seed in range(12)]
    results = values(evaluate(pieces, pieces))
    for name in ("kl_pitch_class", "kl_duration", "kl_velocity", "kl_notes_per_bar"):
        assert results[name].value == pytest.approx(0.0, abs=1e-12)
    for name in ("oa_pitch_consistency", "oa_pitch_variance", "oa_duration_consistency", "oa_duration_variance"):
        assert results[name].value == pytest.approx(1.0)
    for name in ("self_similarity", "pitch_range", "polyphony", "diversity", "step_share", "avg_pitch_shift"):
        assert results[name].value == pytest.approx(results[name].reference)


def test_gaussian_overlap_known_values():
    assert overlap.gaussian_overlap(0.0, 1.0, 0.0, 1.0) == pytest.approx(1.0)
    assert overlap.gaussian_overlap(0.0, 1.0, 2.0, 1.0) == pytest.approx(2 * 0.5 * (1 + math.erf(-1 / math.sqrt(2))))
    xs = np.linspace(-20, 20, 400001)
    pdf = lambda x, m, s: np.exp(-((x - m) ** 2) / (2 * s**2)) / (s * math.sqrt(2 * math.pi))  # noqa: E731
    numeric = np.trapezoid(np.minimum(pdf(xs, 1.0, 0.5), pdf(xs, 2.0, 2.0)), xs)
    assert overlap.gaussian_overlap(1.0, 0.5, 2.0, 2.0) == pytest.approx(numeric, abs=1e-6)
    assert overlap.gaussian_overlap(2.0, 2.0, 1.0, 0.5) == pytest.approx(numeric, abs=1e-6)


def test_consistency_and_variance_formula():
    reference = np.array([0.4, 0.6, 0.8])  # mean 0.6, variance 0.0266...
    generated = np.array([0.3, 0.3, 0.3])  # mean 0.3, variance 0
    consistency, variance = overlap.consistency_and_variance(generated, reference)
    assert consistency == pytest.approx(0.5) and variance == 0.0


def test_kl_of_known_histograms():
    reference, generated = np.array([3.0, 1.0]), np.array([1.0, 3.0])  # after +1 smoothing: 4/6, 2/6 vs 2/6, 4/6
    expected = 4 / 6 * math.log(2) + 2 / 6 * math.log(0.5)
    assert histograms.kl_divergence(reference, generated) == pytest.approx(expected)


def test_statistics_on_hand_made_pieces():
    chord = NoteTable.from_score(
        make_score({"A": [(0, 480, 60, 90), (0, 480, 64, 90), (0, 480, 67, 90), (480, 480, 72, 90)]}), n_bars=1
    )
    assert motion.pitch_range([chord])[0] == pytest.approx(0.9 * 5)  # top line 67, 72: its 5–95 % span
    assert unconditional.polyphony([chord]) == 2.0  # four notes on two onsets
    assert histograms.pitch_class_histogram([chord])[[0, 4, 7]].tolist() == [2, 1, 1]


def test_valid_share_counts_repaired_and_empty_samples():
    pieces = [piece(1), piece(2), NoteTable.from_score(make_score({"A": []}), n_bars=4)]
    evaluation = Evaluation("uncond", pieces, pieces, valid=[True, False, True])
    assert unconditional.ValidShare().compute(evaluation).value == pytest.approx(1 / 3)


def infill_pair(original: NoteTable, generated: NoteTable) -> InfillPair:
    tokens = np.arange(20).reshape(10, 2)
    region = np.zeros((10, 2), dtype=bool)
    region[3:6] = True
    changed = tokens.copy()
    if generated is not original:
        changed[region] += 1
    return InfillPair(original, generated, Gap(4, 8), tokens, changed, region)


def test_infilling_with_the_original_is_perfect():
    original = piece(5)
    evaluation = evaluate([original], [original], task="infill", pairs=[infill_pair(original, original)])
    assert NoteAccuracy("pitch").compute(evaluation).value == 1.0
    assert NoteAccuracy("duration").compute(evaluation).value == 1.0
    assert TokenAccuracy().compute(evaluation).value == 1.0
    assert DensityError().compute(evaluation).value == 0.0
    assert GapPitchClassKL().compute(evaluation).value == pytest.approx(0.0)
    assert BoundarySmoothness("pitch").compute(evaluation).value == 0.0
    assert BoundarySmoothness("density").compute(evaluation).value == 0.0


def test_infilling_with_other_music_scores_worse():
    original, other = piece(5), piece(6)
    evaluation = evaluate([other], [original], task="infill", pairs=[infill_pair(original, other)])
    assert NoteAccuracy("pitch").compute(evaluation).value < 0.5
    assert TokenAccuracy().compute(evaluation).value == 0.0
    assert GapPitchClassKL().compute(evaluation).value > 0.0


def test_histogram_metrics_draw_pictures(tmp_path):
    pieces = [piece(seed) for seed in range(4)]
    metric = REGISTRIES.metrics.get("kl_pitch_class").factory()
    [path] = metric.plot(evaluate(pieces, pieces), tmp_path)
    assert path.name == "pitch_class_uncond.png" and path.stat().st_size > 5000
