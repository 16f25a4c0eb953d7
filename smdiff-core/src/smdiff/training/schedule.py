"""Learning-rate schedule: linear warmup, then constant or cosine decay."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal


def lr_factor(warmup_steps: int, total_steps: int, kind: Literal["constant", "cosine"]) -> Callable[[int], float]:
    """Multiplier of the base learning rate at each optimizer step (for ``LambdaLR``)."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        if kind == "constant":
            return 1.0
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))

    return factor
