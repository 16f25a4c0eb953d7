"""Every random state a run depends on, captured and restored exactly (``weights_only``-loadable)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


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
    """Put every random state back as :func:`capture_rng` found it."""
    random.setstate(_tuples(state["python"]))
    name, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, gauss))
    augment.bit_generator.state = state["augment"]
    torch.set_rng_state(state["torch"])
    for key, generator in generators.items():
        if key in state["generators"]:  # a generator added since the checkpoint was written keeps its seed
            generator.set_state(state["generators"][key])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _tuples(value: Any) -> Any:
    return tuple(_tuples(item) for item in value) if isinstance(value, (list, tuple)) else value
