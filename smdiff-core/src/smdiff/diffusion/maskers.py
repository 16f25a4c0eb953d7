"""Maskers decide which units of a clean batch are absorbed at a given rate.

A masker is a callable ``masker(tokens, rates, generator) -> bool [B, L, C]``.
The kernel's ``random`` masker draws every unit independently; plugins add
structured maskers (whole bars, bar attributes) through the masker hook.
"""

from __future__ import annotations

from typing import Literal, Protocol

import torch

from smdiff.diffusion.forward import random_mask
from smdiff.tokens import TokenSpec


class Masker(Protocol):
    """Chooses the elements to absorb for each row at that row's masking rate.

    ``kernel_unit`` is ``"element"`` or ``"token"`` when the masker is the plain
    absorbing mask of that unit, which kernel backends fuse with keyed noise
    (then training calls :meth:`KernelBackend.corrupt` instead of the masker,
    so data-parallel ranks mask only their own rows); ``None`` for structured
    maskers, which training calls with the run's generator.
    """

    kernel_unit: str | None

    def __call__(self, tokens: torch.Tensor, rates: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """A boolean mask shaped like ``tokens``; on average a ``rates[b]`` share of row ``b`` is true."""


class RandomMasker:
    """SCHmUBERT's absorbing mask: each unit (element, or whole token) independently with probability ``t``."""

    def __init__(self, token_spec: TokenSpec, unit: Literal["element", "token"]) -> None:
        self.token_spec = token_spec
        self.unit = unit
        self.kernel_unit: str | None = unit

    def __call__(self, tokens: torch.Tensor, rates: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Independent Bernoulli draws per unit."""
        return random_mask(tokens.shape, rates, self.unit, generator)
