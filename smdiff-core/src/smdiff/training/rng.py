"""Every random state a run depends on, captured and restored exactly (``weights_only``-loadable)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from smdiff.progress import warn


def capture_rng(generators: dict[str, torch.Generator], augment: np.random.Generator) -> dict[str, Any]:
    """Python, NumPy (global and augmentation), torch CPU/CUDA and the run's private torch generators."""
    legacy = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": [legacy[0], legacy[1].tolist(), int(legacy[2]), int(legacy[3]), float(legacy[4])],
        "augment": augment.bit_generator.state,
        "torch": torch.get_rng_state(),
        "generators": {name: generator.get_state() for name, generator in generators.items()},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any], generators: dict[str, torch.Generator], augment: np.random.Generator) -> None:
    """Put every random state back as :func:`capture_rng` found it.

    torch takes random states only as CPU byte tensors, so states that reach
    here on another device (a checkpoint mapped to a GPU) are brought back first.
    """
    random.setstate(_tuples(state["python"]))
    name, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, gauss))
    augment.bit_generator.state = state["augment"]
    torch.set_rng_state(cpu_state(state["torch"]))
    for key, generator in generators.items():
        if key in state["generators"]:  # a generator added since the checkpoint was written keeps its seed
            generator.set_state(cpu_state(state["generators"][key]))
    if "cuda" in state and torch.cuda.is_available():
        restored, message = matching_cuda_states(state["cuda"], torch.cuda.device_count())
        for device, device_state in enumerate(restored):
            torch.cuda.set_rng_state(cpu_state(device_state), device)
        if message:
            warn(message)


def cpu_state(state: torch.Tensor) -> torch.Tensor:
    """A random state as the CPU ``uint8`` tensor torch's setters require."""
    return state.to(device="cpu", dtype=torch.uint8)


def matching_cuda_states(saved: Sequence[torch.Tensor], visible: int) -> tuple[list[torch.Tensor], str | None]:
    """The saved per-GPU states this process can restore (one per visible GPU), and a warning when the counts differ.

    ``torch.cuda.set_rng_state_all`` fails with an ``IndexError`` when a run
    resumes with fewer visible GPUs than it saved; here the GPUs both have are
    restored and the rest keep their seeds, which is said, because a resume is
    then exact only on GPUs whose states were saved.
    """
    restored = list(saved[:visible])
    if len(saved) == visible:
        return restored, None
    return restored, (
        f"the checkpoint holds the random states of {len(saved)} GPU(s) and this process sees {visible}: "
        f"the first {len(restored)} are restored, the others keep their seeds (a resume is exact only with the same "
        "GPUs visible; set CUDA_VISIBLE_DEVICES as the saved run had it)"
    )


def _tuples(value: Any) -> Any:
    return tuple(_tuples(item) for item in value) if isinstance(value, (list, tuple)) else value
