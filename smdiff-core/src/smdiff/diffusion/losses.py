"""SCHmUBERT's losses on masked elements, in bits per token.

With masking rate ``t`` and ``N`` elements per row, the ELBO term of a row is
``CE_masked / (t · N · ln 2)`` bits per element; the reweighted ELBO
(SCHmUBERT's default) weights the summed cross-entropy by ``(1 − t)`` instead
of ``1/t``, which lowers variance at small ``t``. Only masked elements count,
and the mask token never has a logit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
import torch

from smdiff.tokens import TokenSpec

LossName = Literal["elbo", "reweighted_elbo"]


def loss_weights(rates: torch.Tensor, loss: LossName, elements: int) -> torch.Tensor:
    """Per-row factor turning a summed masked cross-entropy (nats) into the loss (bits per element)."""
    base = 1.0 / (elements * math.log(2))
    if loss == "elbo":
        return base / rates
    if loss == "reweighted_elbo":
        return base * (1.0 - rates)
    raise ValueError(f"unknown loss {loss!r}; use 'elbo' or 'reweighted_elbo'")


def elbo_bits(ce_sum: torch.Tensor, rates: torch.Tensor, elements: int) -> torch.Tensor:
    """The ELBO estimate in bits per element for each row (what validation reports)."""
    return ce_sum * loss_weights(rates, "elbo", elements)


def pitch_answer_table(pitch_tokens: Mapping[int, np.ndarray], token_spec: TokenSpec) -> torch.Tensor | None:
    """``[channels, max vocab]`` booleans: true where a channel's token is a pitch (note-on); ``None`` without pitches.

    ``pitch_tokens`` is :meth:`Tokenizer.pitch_tokens` (MIDI pitch per token, ``-1`` for others).
    """
    if not pitch_tokens:
        return None
    table = torch.zeros(token_spec.n_channels, max(token_spec.vocab_sizes), dtype=torch.bool)
    for channel, pitches in pitch_tokens.items():
        table[channel, : len(pitches)] = torch.from_numpy(np.asarray(pitches) >= 0)
    return table


def pitch_answers(table: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
    """Booleans shaped like ``clean`` ``[B, L, C]``: true where the clean token is a pitch (see :func:`pitch_answer_table`).

    ``table`` must be on ``clean``'s device.
    """
    channels = torch.arange(clean.shape[-1], device=clean.device)
    return table[channels, clean.long()]
