"""Built-in kernel backends: ``torch`` (reference)."""

from __future__ import annotations

from smdiff import hookimpl
from smdiff.specs import KernelSpec


def _torch_kernels():
    from smdiff.kernels.torch_ref import TorchKernels

    return TorchKernels()


def _triton_kernels():
    from smdiff.kernels.triton_kernels import TritonKernels

    return TritonKernels()


def _triton_available() -> bool:
    """Triton imports, and there is a CUDA GPU or the CPU interpreter is switched on."""
    import importlib.util
    import os

    if importlib.util.find_spec("triton") is None:
        return False
    if os.environ.get("TRITON_INTERPRET") == "1":
        return True
    import torch

    return torch.cuda.is_available()


@hookimpl
def smdiff_kernels() -> list[KernelSpec]:
    """Register the PyTorch reference kernels and the fused Triton kernels."""
    return [
        KernelSpec(id="torch", summary="eager PyTorch reference kernels (CPU and GPU)", factory=_torch_kernels),
        KernelSpec(
            id="triton",
            summary="fused Triton kernels (CUDA; CPU only under TRITON_INTERPRET=1)",
            factory=_triton_kernels,
            priority=10,
            is_available=_triton_available,
            devices=("cuda",),  # on a CPU the interpreter is for tests, far slower than the reference
        ),
    ]
