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
    before any model is built. Operations without a deterministic implementation
    warn instead of failing the run.
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
