"""The absorbing forward process: sample a masking rate per row, then mask.

At rate ``t`` each unit is replaced by its channel's mask id with probability
``t`` — a unit is one element ``(position, channel)`` (SCHmUBERT) or one whole
token (every channel of a position; the Octuple default).
"""

from __future__ import annotations

from typing import Literal

import torch

from smdiff.tokens import TokenSpec

MIN_RATE = 1e-3  # rates near zero make the ELBO weight 1/t explode on a single masked unit


def sample_rates(batch: int, mode: Literal["uniform", "antithetic"], generator: torch.Generator) -> torch.Tensor:
    """Masking rates in ``[MIN_RATE, 1]``, one per row, on the generator's device; ``antithetic`` spreads them evenly."""
    device = generator.device
    u = torch.rand(batch, generator=generator, dtype=torch.float64, device=device)
    if mode == "antithetic":
        u = (u[:1] + torch.arange(batch, dtype=torch.float64, device=device) / batch) % 1.0
        u = u[torch.randperm(batch, generator=generator, device=device)]
    return (MIN_RATE + (1 - MIN_RATE) * u).float()


def mask_ids(token_spec: TokenSpec, device: torch.device | str = "cpu") -> torch.Tensor:
    """The mask id of each channel as a ``[C]`` int64 tensor."""
    return torch.tensor(token_spec.mask_ids, dtype=torch.long, device=device)


def random_mask(
    shape: torch.Size | tuple[int, ...],
    rates: torch.Tensor,
    unit: Literal["element", "token"],
    generator: torch.Generator,
) -> torch.Tensor:
    """Bernoulli(rate) mask of ``shape`` ``[B, L, C]``, drawn per element or per position."""
    batch, length, channels = shape
    draw_shape = (batch, length, channels if unit == "element" else 1)
    mask = torch.rand(draw_shape, generator=generator, device=rates.device) < rates.view(-1, 1, 1)
    return mask.expand(batch, length, channels)


def apply_mask(tokens: torch.Tensor, mask: torch.Tensor, token_spec: TokenSpec) -> torch.Tensor:
    """``tokens`` with masked elements replaced by their channel's mask id."""
    return torch.where(mask, mask_ids(token_spec, tokens.device), tokens)
