"""SCHmUBERT's losses on masked elements, in bits per token.

With masking rate ``t`` and ``N`` elements per row, the ELBO term of a row is
``CE_masked / (t · N · ln 2)`` bits per element; the reweighted ELBO
(SCHmUBERT's default) weights the summed cross-entropy by ``(1 − t)`` instead
of ``1/t``, which lowers variance at small ``t``. Only masked elements count,
and the mask token never has a logit.
"""

from __future__ import annotations

import math
from typing import Literal

import torch

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
