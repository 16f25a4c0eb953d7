"""The masked-pitch probe gives the bits its definition says, for models whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from smdiff.diffusion.probe import PitchStatistics, pitch_probe
from smdiff.tokens import TokenSpec

VOCAB = 6  # 0 = hold, 1 = rest, 2..5 = pitches 60..63
SPEC = TokenSpec(channels=("melody",), vocab_sizes=(VOCAB,))
PITCHES = {0: np.array([-1, -1, 60, 61, 62, 63])}


class ConstantLogits(torch.nn.Module):
    """Logits that ignore the input: the same distribution at every position."""

    def __init__(self, logits: list[float]) -> None:
        super().__init__()
        self.logits = torch.tensor(logits)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(*tokens.shape[:2], VOCAB).clone()


class Oracle(torch.nn.Module):
    """Knows the clean windows: puts (almost) all mass on the true token wherever the input is masked."""

    def __init__(self, clean: np.ndarray) -> None:
        super().__init__()
        self.clean = torch.from_numpy(clean)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.one_hot(self.clean[: len(tokens), :, 0], VOCAB).float() * 100.0


def windows(count: int = 8, length: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.choice([0, 0, 1, 2, 2, 2, 3, 4], size=(count, length, 1)).astype(np.int64)


def test_a_uniform_model_needs_two_bits_for_four_pitches_and_an_oracle_none():
    data = windows()
    unigram = PitchStatistics.of(data, PITCHES)
    uniform = pitch_probe(ConstantLogits([0.0] * VOCAB), data, SPEC, PITCHES, unigram, rates=(0.5,))[0]
    assert uniform.model_bits == pytest.approx(2.0) and uniform.positions > 0
    # hold and rest logits do not count: the probe asks which pitch, not whether a note starts
    skewed = pitch_probe(ConstantLogits([9.0, 9.0, 0, 0, 0, 0]), data, SPEC, PITCHES, unigram, rates=(0.5,))[0]
    assert skewed.model_bits == pytest.approx(2.0)
    oracle = pitch_probe(Oracle(data), data, SPEC, PITCHES, unigram, rates=(0.2, 0.8))
    assert all(r.model_bits < 1e-6 for r in oracle)


def test_the_unigram_baseline_is_the_cross_entropy_of_the_training_histogram():
    data = windows()
    train = windows(seed=1)
    unigram = PitchStatistics.of(train, PITCHES, rates=(1.0,))
    counts = np.bincount(train[train >= 2] - 2 + 60, minlength=128)[60:64] + 1.0
    expected_p = counts / counts.sum()
    result = pitch_probe(ConstantLogits([0.0] * VOCAB), data, SPEC, PITCHES, unigram, rates=(1.0,))[0]
    truth = data[data >= 2] - 2  # every element is masked at rate 1
    assert result.unigram_bits == pytest.approx(float(np.mean(-np.log2(expected_p[truth]))))
    # with nothing visible, the context histogram and the neighbour baseline are the unigram itself
    assert result.context_bits == pytest.approx(result.unigram_bits)
    assert result.neighbour_bits == pytest.approx(result.unigram_bits)


def test_the_context_baseline_uses_the_window_s_own_visible_pitches():
    # a window that plays only pitch 60: its visible notes predict the masked ones far better than the unigram
    data = np.where(windows() >= 2, 2, windows())
    unigram = PitchStatistics.of(windows(seed=1), PITCHES)
    result = pitch_probe(ConstantLogits([0.0] * VOCAB), data, SPEC, PITCHES, unigram, rates=(0.5,))[0]
    assert result.context_bits < 0.1 < result.unigram_bits


def test_the_same_windows_get_the_same_masks_at_every_call():
    data, unigram = windows(), PitchStatistics.of(windows(seed=1), PITCHES)
    model = ConstantLogits([0.0, 0.0, 1.0, 0.5, 0.0, -1.0])
    first = pitch_probe(model, data, SPEC, PITCHES, unigram, seed=3)
    assert first == pitch_probe(model, data, SPEC, PITCHES, unigram, seed=3)
    assert [r.rate for r in first] == [0.2, 0.5, 0.8]


def test_the_neighbour_intervals_at_a_low_rate_are_those_between_consecutive_pitches():
    line = np.tile(np.array([[2], [0], [3], [1], [5], [0]]), (2000, 1, 1))  # 60, 61, 63: rises of 1 and 2
    before, after = PitchStatistics.of(line, PITCHES, rates=(0.05,)).intervals[0.05]
    assert min(before[127 + 1], before[127 + 2]) > 10 * max(before[127], before[127 + 3], before[127 - 1])
    assert min(after[127 + 1], after[127 + 2]) > 10 * max(after[127], after[127 + 3], after[127 - 1])
    assert before.sum() == pytest.approx(1.0) and after.sum() == pytest.approx(1.0)


def test_the_neighbour_baseline_predicts_a_masked_pitch_from_the_visible_pitches_beside_it():
    """Scales that walk by semitones: the neighbours pin every masked note; the window's histogram cannot."""
    rng = np.random.default_rng(0)
    data = np.zeros((128, 64, 1), dtype=np.int64)
    for row in data:
        start = rng.integers(0, 4)
        walk = start + np.cumsum(rng.choice([-1, 1], size=32))
        row[::2, 0] = 2 + np.abs((walk % 6) - 3)  # pitches 60..63, moving by one semitone at each onset
    statistics = PitchStatistics.of(data, PITCHES, seed=2)
    low, half, high = pitch_probe(ConstantLogits([0.0] * VOCAB), data, SPEC, PITCHES, statistics, seed=1)
    assert low.neighbour_bits < low.context_bits - 0.5 and half.neighbour_bits < half.context_bits - 0.3
    # at 80 % the visible neighbours lie several notes away: the baseline falls back towards the unigram, no worse
    assert high.neighbour_bits < high.unigram_bits + 0.1
