"""Exponential moving average of model weights, used for validation and sampling (torch's ``AveragedModel``)."""

from __future__ import annotations

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


class EMA:
    """``average = rate · average + (1 − rate) · weights`` after every optimizer step; buffers are averaged too.

    Checkpoints hold the averaged module's plain ``state_dict`` (the same keys as
    the model's), so checkpoints written before this used ``AveragedModel`` load
    unchanged and sampling loads the averaged weights into a bare model.
    """

    def __init__(self, model: nn.Module, rate: float) -> None:
        self.rate = rate
        self.averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(rate), use_buffers=True)
        self.averaged.requires_grad_(False).eval()

    @property
    def model(self) -> nn.Module:
        """The averaged copy of the model."""
        return self.averaged.module

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average towards ``model``'s current weights (the first update takes them as they are)."""
        self.averaged.update_parameters(model)

    def state_dict(self) -> dict:
        """The averaged weights."""
        return self.averaged.module.state_dict()

    def load_state_dict(self, state: dict) -> None:
        """Restore averaged weights; later updates continue the average rather than restart it."""
        self.averaged.module.load_state_dict(state)
        self.averaged.n_averaged.fill_(1)
