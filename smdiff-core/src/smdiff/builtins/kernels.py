"""Built-in kernel backends: ``torch`` (reference)."""

from __future__ import annotations

from smdiff import hookimpl
from smdiff.specs import KernelSpec


def _torch_kernels():
    from smdiff.kernels.torch_ref import TorchKernels

    return TorchKernels()


@hookimpl
def smdiff_kernels() -> list[KernelSpec]:
    """Register the PyTorch reference kernels."""
    return [KernelSpec(id="torch", summary="eager PyTorch reference kernels (CPU and GPU)", factory=_torch_kernels)]
