"""Which device a run uses and how deterministic its kernels are: shared by training and inference."""

from __future__ import annotations

import os

import torch

from smdiff.errors import ConfigError


def resolve_device(choice: str) -> torch.device:
    """``auto`` → CUDA when present, else CPU; anything else is passed to ``torch.device``."""
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(choice)
    except RuntimeError:
        raise ConfigError(f"train.device={choice!r} is not a torch device; use auto, cpu or cuda") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("train.device=cuda but no CUDA GPU is visible; use train.device=cpu")
    return device


def use_deterministic_kernels() -> None:
    """Deterministic CUDA kernels, so a run resumed on a GPU repeats the uninterrupted one bit for bit.

    cuBLAS reads its workspace setting when its first handle is made, so this runs
    before any model is built. An operation without a deterministic
    implementation raises (``warn_only=False``): with ``warn_only=True`` torch
    only warns, and the attention backward keeps its faster non-deterministic
    path, so the promise of an exact resume would silently not hold. The cost:
    slower attention backward and cuBLAS workspace (docs/training.md).
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=False)
    torch.backends.cudnn.benchmark = False


def use_tensor_cores(device: torch.device, tf32: bool) -> None:
    """On a CUDA device, float32 matrix products on TF32 tensor cores (``tf32``) or in full float32.

    PyTorch computes float32 matmuls in full precision unless told otherwise,
    several times slower than TF32 on Ampere and later GPUs; TF32 keeps float32's
    range with a 10-bit mantissa, which training tolerates (it is PyTorch's own
    recommendation for training). CPUs are left as they are.
    """
    if device.type == "cuda":
        torch.set_float32_matmul_precision("high" if tf32 else "highest")
