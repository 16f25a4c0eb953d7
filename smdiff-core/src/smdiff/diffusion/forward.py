"""The absorbing forward process: sample a masking rate per row, then mask.

At rate ``t`` each unit is replaced by its channel's mask id with probability
``t`` — a unit is one element ``(position, channel)`` (SCHmUBERT) or one whole
token (every channel of a position; the Octuple default).
"""

from __future__ import annotations

import functools
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


def mask_ids(
    token_spec: TokenSpec, device: torch.device | str = "cpu", dtype: torch.dtype = torch.long
) -> torch.Tensor:
    """The mask id of each channel as a ``[C]`` tensor on ``device`` (made once per device; never write to it)."""
    return constant_tensor(token_spec.mask_ids, dtype, device)


def constant_tensor(values: tuple[int, ...], dtype: torch.dtype, device: torch.device | str) -> torch.Tensor:
    """``values`` as a tensor on ``device``, made once and then reused (read-only).

    Building a tensor from a Python list copies it from the host, and on a GPU
    such a copy makes the host wait for every queued kernel: the token spec's
    small constants (mask ids, segment offsets and sizes) are made once per
    device instead of at every training and sampling step.
    """
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:  # "cuda" and "cuda:0" name one device: one cache entry
        device = torch.device("cuda", torch.cuda.current_device())
    return _constant_tensor(values, dtype, device)


@functools.cache
def _constant_tensor(values: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype, device=device)


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
