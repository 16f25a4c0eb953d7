"""The pitch-weight correction: pitch tokens lose log(w) of logit, so "whether a note starts" is calibrated again."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from smdiff.diffusion.calibration import PitchWeightCorrection
from smdiff.diffusion.losses import pitch_answer_table
from smdiff.tokens import TokenSpec

SPEC = TokenSpec(channels=("melody", "bass"), vocab_sizes=(5, 4))
#: tokens 0, 1 are hold / rest; 2.. are pitches (as on the grid)
PITCHES = {0: np.array([-1, -1, 60, 62, 64]), 1: np.array([-1, -1, 36, 38])}


class FixedLogits(nn.Module):
    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = logits

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(tokens.shape[0], tokens.shape[1], -1)


def test_pitch_mass_shrinks_by_the_weight_and_which_pitch_is_unchanged() -> None:
    torch.manual_seed(0)
    logits = torch.randn(1, 1, 9)
    corrected = PitchWeightCorrection(FixedLogits(logits), pitch_answer_table(PITCHES, SPEC), SPEC, 3.0)
    out = corrected(torch.zeros(2, 3, 2, dtype=torch.long))
    assert out.shape == (2, 3, 9)
    for offset, size in zip(SPEC.offsets, SPEC.vocab_sizes, strict=True):
        before, after = logits[0, 0, offset : offset + size], out[0, 0, offset : offset + size]
        odds_before = before[2:].exp().sum() / before[:2].exp().sum()
        odds_after = after[2:].exp().sum() / after[:2].exp().sum()
        assert math.isclose(float(odds_after), float(odds_before) / 3.0, rel_tol=1e-5)
        assert torch.allclose(before[2:].softmax(-1), after[2:].softmax(-1), atol=1e-6)
        assert torch.equal(before[:2], after[:2])
