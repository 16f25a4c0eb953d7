"""Undo the tilt that a pitch-weighted loss gives a denoiser's predictions, before sampling from them.

Training with ``diffusion.pitch_weight = w`` multiplies the loss of masked
elements whose answer is a pitch by ``w``. The minimiser of a class-weighted
cross-entropy is not the data distribution ``p`` but ``q(y) ∝ w_y p(y)``: the
model learns pitch better, and also says "a note starts here" ``w`` times too
often. Subtracting ``log w`` from every pitch logit gives back ``p``, so
sampling keeps the data's note density (measured in docs/benchmarks.md).
Which pitch is predicted — the probe's question — is unchanged.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from smdiff.tokens import TokenSpec


class PitchWeightCorrection(nn.Module):
    """``model`` with ``log(pitch_weight)`` taken off the logit of every pitch token of every channel."""

    def __init__(self, model: nn.Module, pitch_answers: torch.Tensor, token_spec: TokenSpec, pitch_weight: float):
        super().__init__()
        self.model = model
        bias = torch.zeros(sum(token_spec.vocab_sizes))
        for channel, (offset, size) in enumerate(zip(token_spec.offsets, token_spec.vocab_sizes, strict=True)):
            bias[offset : offset + size][pitch_answers[channel, :size]] = -math.log(pitch_weight)
        self.register_buffer("bias", bias, persistent=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """The wrapped model's logits ``[B, L, sum(vocab)]``, pitch logits lowered by ``log(pitch_weight)``."""
        return self.model(tokens) + self.bias
