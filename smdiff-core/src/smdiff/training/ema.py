"""Exponential moving average of model weights, used for validation and sampling."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """``shadow = rate · shadow + (1 − rate) · weights`` after every optimizer step."""

    def __init__(self, model: nn.Module, rate: float) -> None:
        self.rate = rate
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average towards ``model``'s current weights."""
        for shadow, current in zip(self.model.parameters(), model.parameters(), strict=True):
            shadow.lerp_(current.detach(), 1.0 - self.rate)
        for shadow, current in zip(self.model.buffers(), model.buffers(), strict=True):
            shadow.copy_(current)

    def state_dict(self) -> dict:
        """The averaged weights."""
        return self.model.state_dict()

    def load_state_dict(self, state: dict) -> None:
        """Restore averaged weights."""
        self.model.load_state_dict(state)
