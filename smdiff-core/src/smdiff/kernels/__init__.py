"""The hot operations of training and sampling, behind the kernel hook.

Every backend offers the same operations with the same results (within
floating-point tolerance); ``torch`` is the reference, ``triton`` the fused GPU
path. :func:`select_kernel` picks one from ``kernels.backend``.
"""

from __future__ import annotations

from typing import Protocol

import torch

from smdiff.tokens import TokenSpec


class KernelBackend(Protocol):
    """Operations every kernel backend implements."""

    name: str

    def masked_cross_entropy(
        self,
        logits: torch.Tensor,
        targets: torch.Tensor,
        mask: torch.Tensor,
        weights: torch.Tensor,
        token_spec: TokenSpec,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean over rows of ``weights[b] · CE_b`` (differentiable) and the per-row masked CE sums (nats, detached)."""

    def corrupt(
        self, tokens: torch.Tensor, rates: torch.Tensor, unit: str, token_spec: TokenSpec, key: int, first_row: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The absorbing forward process at per-row ``rates``: noisy tokens and the boolean mask.

        Unit ``u`` of row ``b`` is absorbed when ``keyed_uniforms(key, first_row + b)[u] < rates[b]``
        (:mod:`smdiff.diffusion.keyed_noise`): every backend on every device masks the same units,
        and ``first_row`` (this process's first row of the global batch) makes a shard's mask
        equal to the same rows of the whole batch's.
        """

    def sample_step(
        self,
        logits: torch.Tensor,
        tokens: torch.Tensor,
        unmask: torch.Tensor,
        token_spec: TokenSpec,
        temperature: float,
        generator: torch.Generator,
        noise: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw every element (Gumbel-max in float64) and write the draws where ``unmask`` is true.

        Returns the new tokens and a ``[B]`` boolean tensor: which rows changed.
        ``noise`` (float64 uniforms shaped like ``logits``) replaces the random
        draws, so backends can be compared bit for bit.
        """
