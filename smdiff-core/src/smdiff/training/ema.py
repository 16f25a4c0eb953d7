"""Exponential moving average of model weights, used for validation and sampling."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """``average = rate · average + (1 − rate) · weights`` after every optimizer step; buffers are averaged too.

    One ``torch._foreach_lerp_`` over the floating-point tensors, on their own
    device. torch's ``AveragedModel`` (used before) keeps its update counter on
    the CPU and copies it to the GPU at every update, which makes the host wait
    for the GPU once per training step; here whether an update is the first is
    a Python flag. The arithmetic is ``AveragedModel``'s EMA (``lerp`` by
    ``1 − rate``), and checkpoints hold the averaged module's plain
    ``state_dict`` (the same keys as the model's), so older checkpoints load
    unchanged and sampling loads the averaged weights into a bare model.
    """

    def __init__(self, model: nn.Module, rate: float) -> None:
        self.rate = rate
        self.averaged = copy.deepcopy(model).requires_grad_(False).eval()
        self.started = False

    @property
    def model(self) -> nn.Module:
        """The averaged copy of the model."""
        return self.averaged

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average towards ``model``'s current weights (the first update takes them as they are)."""
        pairs = list(zip(_tensors(self.averaged), _tensors(model), strict=True))
        floating = [(mine, theirs) for mine, theirs in pairs if mine.is_floating_point()]
        if not self.started:
            torch._foreach_copy_([mine for mine, _ in pairs], [theirs for _, theirs in pairs])
            self.started = True
            return
        if floating:
            torch._foreach_lerp_([mine for mine, _ in floating], [theirs for _, theirs in floating], 1.0 - self.rate)
        for mine, theirs in pairs:
            if not mine.is_floating_point():  # counters and other integer buffers follow the model
                mine.copy_(theirs)

    def state_dict(self) -> dict:
        """The averaged weights."""
        return self.averaged.state_dict()

    def load_state_dict(self, state: dict) -> None:
        """Restore averaged weights; later updates continue the average rather than restart it."""
        self.averaged.load_state_dict(state)
        self.started = True


def _tensors(model: nn.Module) -> list[torch.Tensor]:
    return [*model.parameters(), *model.buffers()]
