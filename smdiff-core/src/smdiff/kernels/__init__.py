"""The hot operations of training and sampling, behind the kernel hook.

Every backend offers the same operations with the same results (within
floating-point tolerance); ``torch`` is the reference, ``triton`` the fused GPU
path. :func:`select_kernel` picks one from ``kernels.backend``.
"""

from __future__ import annotations

from typing import Any, Protocol

import torch

from smdiff.errors import ConfigError, UnknownIdError
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


def select_kernel(choice: str, registries: Any, device: torch.device) -> KernelBackend:
    """The backend ``choice`` names (any registered id), or for ``auto`` the best available one for ``device``."""
    if choice == "auto":
        usable = [spec for spec in registries.kernels if device.type in spec.devices and spec.is_available()]
        if not usable:
            raise ConfigError(
                f"no kernel backend is available for {device.type}; install smdiff-core (it provides 'torch')"
            )
        return max(usable, key=lambda spec: spec.priority).factory()
    try:
        spec = registries.kernels.get(choice)
    except UnknownIdError as error:
        raise ConfigError(f"kernels.backend: {error}") from None
    if not spec.is_available():
        raise ConfigError(f"kernels.backend={choice} is not available here; use kernels.backend=auto")
    return spec.factory()
