"""Dropout and attention dropout that are cheap on the CPU.

PyTorch's CPU dropout draws one Bernoulli variate per element from a
sequential generator, which costs as much as a matrix product in a CPU
training step of the paper-size ConVormer. Here one 64-bit draw of the same
global generator yields four 16-bit uniforms, each compared with the drop
threshold: the drop probability is ``p`` rounded to a multiple of 1/65536
(at most 7.6e-6 off), the mask is a boolean tensor, and the stream is seeded
and checkpointed like every other use of ``torch``'s default generator.

On other devices (CUDA's fused kernels are already cheap) both functions fall
back to ``torch.nn.functional.dropout`` and SDPA's own attention dropout.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

_LANES = 4  # 16-bit uniforms per 64-bit draw
_SPAN = 1 << 16


def keep_mask(shape: torch.Size | tuple[int, ...], p: float, device: torch.device | str = "cpu") -> torch.Tensor:
    """A boolean mask of ``shape`` whose elements are ``False`` with probability ``p`` (to 1/65536)."""
    if p <= 0.0 or p >= 1.0:
        return torch.full(tuple(shape), p <= 0.0, dtype=torch.bool, device=device)
    count = math.prod(shape)
    words = torch.empty(-(-count // _LANES), dtype=torch.int64, device=device).random_(-(1 << 63), None)
    uniforms = words.view(torch.int16)[:count].view(shape)
    return uniforms >= round(p * _SPAN) - _SPAN // 2


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Inverted dropout of ``x``: zero each element with probability ``p``, scale the rest by ``1/(1-p)``."""
    if not training or p == 0.0:
        return x
    if x.device.type != "cpu" or p >= 1.0:
        return F.dropout(x, p, training=True)
    return x * keep_mask(x.shape, p, x.device) * (1.0 / (1.0 - p))


def attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, dropout_p: float, bias: torch.Tensor | None = None
) -> torch.Tensor:
    """Bidirectional scaled dot-product attention of ``[B, H, L, d]`` tensors with dropout on the probabilities.

    ``bias`` (broadcastable to ``[B, H, L, L]``) is added to the scores before the
    softmax. Without dropout, or off the CPU, this is SDPA. With dropout on the
    CPU, where SDPA falls back to materialising the probabilities and drawing a
    Bernoulli variate for each, the probabilities are materialised here too but
    dropped with :func:`keep_mask`, and the ``1/(1-p)`` scale is applied to the
    (smaller) values instead of the ``L × L`` matrix.
    """
    if dropout_p == 0.0 or q.device.type != "cpu":
        return F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=dropout_p)
    scores = (q * (1.0 / math.sqrt(q.shape[-1]))) @ k.transpose(-2, -1)
    probs = (scores if bias is None else scores + bias).softmax(dim=-1)
    return (probs * keep_mask(probs.shape, dropout_p, q.device)) @ (v * (1.0 / (1.0 - dropout_p)))


class Dropout(nn.Module):
    """``nn.Dropout`` with :func:`dropout`'s cheap CPU mask."""

    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Drop elements of ``x`` in training mode; the identity in evaluation mode."""
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        """``p=…`` in the module's repr."""
        return f"p={self.p}"
