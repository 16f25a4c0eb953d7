"""Skipping optimizer updates whose gradients are not finite, decided on the device.

Checking ``math.isfinite(float(norm))`` every step makes the host wait for the
GPU. Instead the skip flag stays a device tensor: PyTorch's fused Adam/AdamW
take it as ``found_inf`` and leave weights and moments untouched (the way
``GradScaler`` skips fp16 overflow steps), and the counters the divergence check
needs are read only when the loop reads its logged values anyway.
"""

from __future__ import annotations

import torch


class NonFiniteGuard:
    """Applies an optimizer step only where the gradient norm is finite, counting skipped steps on the device.

    The gradient norm is computed after DDP has averaged the gradients, so it
    is the same on every rank: every rank skips the same steps, no collective needed.
    """

    def __init__(self, device: torch.device) -> None:
        self.in_row = torch.zeros((), dtype=torch.int64, device=device)
        self.longest_run = torch.zeros((), dtype=torch.int64, device=device)
        self.skipped = torch.zeros((), dtype=torch.int64, device=device)

    def step(self, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler, norm: torch.Tensor) -> None:
        """Step ``optimizer`` (through ``scaler``) unless ``norm`` is inf or NaN, and update the counters."""
        finite = torch.isfinite(norm)
        self.in_row = torch.where(finite, 0, self.in_row + 1)
        self.longest_run = torch.maximum(self.longest_run, self.in_row)
        self.skipped = self.skipped + (~finite).long()
        if scaler.is_enabled():  # fp16: the scaler finds non-finite gradients itself and skips
            scaler.step(optimizer)
            scaler.update()
        elif _skips_on_device(optimizer):
            optimizer.found_inf = (~finite).float()  # type: ignore[attr-defined]
            try:
                optimizer.step()
            finally:
                del optimizer.found_inf  # type: ignore[attr-defined]
        elif bool(finite):  # an unfused optimizer cannot skip on the device: read the flag
            optimizer.step()

    def pending(self) -> torch.Tensor:
        """``[longest run of skipped steps, steps skipped]`` since the last :meth:`clear`, on the device."""
        return torch.stack([self.longest_run, self.skipped])

    def clear(self) -> None:
        """Start counting anew (a run still going on is continued by ``in_row``)."""
        self.longest_run = torch.zeros_like(self.longest_run)
        self.skipped = torch.zeros_like(self.skipped)

    def read(self) -> tuple[int, int]:
        """:meth:`pending` as integers (one host read), then :meth:`clear`."""
        longest, skipped = self.pending().tolist()
        self.clear()
        return longest, skipped


def _skips_on_device(optimizer: torch.optim.Optimizer) -> bool:
    """Whether ``optimizer`` honours a ``found_inf`` tensor (PyTorch's fused implementations do)."""
    return bool(getattr(optimizer, "_step_supports_amp_scaling", False)) and all(
        group.get("fused") for group in optimizer.param_groups
    )
