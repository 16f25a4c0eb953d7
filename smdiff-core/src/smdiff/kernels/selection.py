"""Choosing the kernel backend a run uses, from the registered ones (``kernels.backend``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from smdiff.errors import ConfigError, UnknownIdError
from smdiff.kernels import KernelBackend

if TYPE_CHECKING:
    from smdiff.registry import Registries


def select_kernel(choice: str, registries: Registries, device: torch.device) -> KernelBackend:
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
