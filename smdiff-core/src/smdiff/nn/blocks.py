"""Transformer blocks with fused attention, and the per-channel embeddings and heads of the token contract.

Attention runs through :func:`smdiff.nn.dropout.attention` (SDPA, or on the
CPU with dropout a materialised attention with a cheap dropout mask), and every
dropout layer is :class:`smdiff.nn.dropout.Dropout`.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import torch
from torch import nn

from smdiff.nn.dropout import Dropout, attention
from smdiff.tokens import TokenSpec

if TYPE_CHECKING:
    from smdiff.config.schema import ModelConfig


class SelfAttention(nn.Module):
    """Bidirectional multi-head self-attention: one fused QKV projection and SDPA, optionally rotary.

    ``relative_bias`` adds a learned score per head for every distance ``i − j``
    between query and key (T5's relative bias without buckets; zero at first):
    a head can learn to look exactly one, two, four or eight bars back, which
    is where a song's repeats are (Museformer attends by bar offsets for this).
    """

    def __init__(
        self, width: int, heads: int, dropout: float, rotary: bool = False, relative_bias: int | None = None
    ) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(f"model width {width} is not divisible by {heads} heads")
        if rotary and (width // heads) % 2:
            raise ValueError(f"rotary positions need an even head width; {width} / {heads} heads is odd")
        self.heads = heads
        self.dropout = dropout
        self.rotary = rotary
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.resid_drop = Dropout(dropout)
        self.distance_scores = nn.Parameter(torch.zeros(heads, 2 * relative_bias - 1)) if relative_bias else None

    def _bias(self, length: int, device: torch.device) -> torch.Tensor | None:
        """``[1, H, L, L]`` learned scores of each query–key distance (``None`` without a relative bias)."""
        if self.distance_scores is None:
            return None
        positions = torch.arange(length, device=device)
        distance = positions.view(-1, 1) - positions.view(1, -1) + (self.distance_scores.shape[1] // 2)
        return self.distance_scores[:, distance].unsqueeze(0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, L, D]`` → ``[B, L, D]``."""
        batch, length, width = x.shape
        q, k, v = self.qkv(x).view(batch, length, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        if self.rotary:
            q, k = rotate(q), rotate(k)
        bias = self._bias(length, x.device)
        y = attention(q, k, v, self.dropout if self.training else 0.0, None if bias is None else bias.to(q.dtype))
        return self.resid_drop(self.proj(y.transpose(1, 2).reshape(batch, length, width)))


@functools.lru_cache(maxsize=16)
def _rotary_angles(length: int, dim: int, device: torch.device, base: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``cos`` and ``sin`` ``[length, dim / 2]`` of the rotary angles (made once per length, width and device)."""
    inverse = base ** (-torch.arange(0, dim, 2, device=device, dtype=torch.float32) / dim)
    angles = torch.arange(length, device=device, dtype=torch.float32)[:, None] * inverse[None, :]
    return angles.cos(), angles.sin()


def rotate(x: torch.Tensor, base: float = 10_000.0) -> torch.Tensor:
    """Rotary position embedding (RoFormer) of ``[B, H, L, d]`` queries or keys.

    Pairs of features are rotated by an angle proportional to the position, so
    a query–key product depends on how far apart two positions are, not where
    they are: "the same beat two bars earlier" looks alike anywhere in a window.
    """
    cos, sin = (table.to(x.dtype) for table in _rotary_angles(x.shape[-2], x.shape[-1], x.device, base))
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    """Pre-norm transformer block: attention and a GELU MLP, each with a residual."""

    def __init__(
        self,
        width: int,
        heads: int,
        ffn_mult: int,
        dropout: float,
        rotary: bool = False,
        relative_bias: int | None = None,
    ) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.ln2 = nn.LayerNorm(width)
        self.attn = SelfAttention(width, heads, dropout, rotary, relative_bias)
        self.mlp = nn.Sequential(
            nn.Linear(width, ffn_mult * width), nn.GELU(), nn.Linear(ffn_mult * width, width), Dropout(dropout)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, L, D]`` → ``[B, L, D]``."""
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class TransformerStack(nn.Module):
    """``depth`` blocks with a learned absolute position embedding and a final LayerNorm.

    ``rotary`` adds rotary (relative) positions inside every attention layer;
    ``relative_bias`` a learned score per head and query–key distance.
    """

    def __init__(
        self,
        width: int,
        depth: int,
        heads: int,
        ffn_mult: int,
        dropout: float,
        max_length: int,
        rotary: bool = False,
        relative_bias: bool = False,
    ) -> None:
        super().__init__()
        self.pos_emb = nn.Parameter(torch.zeros(1, max_length, width))
        self.drop = Dropout(dropout)
        distances = max_length if relative_bias else None
        self.blocks = nn.ModuleList(Block(width, heads, ffn_mult, dropout, rotary, distances) for _ in range(depth))
        self.ln_f = nn.LayerNorm(width)

    @classmethod
    def of(cls, config: ModelConfig, width: int, max_length: int) -> TransformerStack:
        """The stack a model's settings describe (depth, heads, FFN, dropout, rotary, relative bias) at ``width``."""
        return cls(width, config.depth, config.heads, config.ffn_mult, config.dropout, max_length, config.rotary,
                   config.relative_bias)  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, L, D]`` → ``[B, L, D]``; ``L`` may not exceed ``max_length``."""
        if x.shape[1] > self.pos_emb.shape[1]:
            raise ValueError(f"sequence of {x.shape[1]} exceeds the model's maximum length {self.pos_emb.shape[1]}")
        x = self.drop(x + self.pos_emb[:, : x.shape[1]])
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x)


class ChannelEmbedding(nn.Module):
    """One embedding table per channel (real tokens plus the mask id)."""

    def __init__(self, token_spec: TokenSpec, width: int) -> None:
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(size + 1, width) for size in token_spec.vocab_sizes)

    def forward(self, tokens: torch.Tensor) -> list[torch.Tensor]:
        """``[B, L, C]`` → ``C`` tensors ``[B, L, width]``."""
        return [table(tokens[..., channel]) for channel, table in enumerate(self.tables)]


class ChannelHeads(nn.Module):
    """One linear head per channel; logits concatenated to ``[B, L, sum(vocab)]`` (no mask logit)."""

    def __init__(self, token_spec: TokenSpec, width: int, shared_input: bool = True) -> None:
        super().__init__()
        self.shared_input = shared_input
        self.heads = nn.ModuleList(nn.Linear(width, size, bias=False) for size in token_spec.vocab_sizes)

    def forward(self, features: torch.Tensor | list[torch.Tensor]) -> torch.Tensor:
        """One ``[B, L, width]`` for all channels (or one per channel) → ``[B, L, sum(vocab)]``."""
        if self.shared_input:
            return torch.cat([head(features) for head in self.heads], dim=-1)
        return torch.cat([head(x) for head, x in zip(self.heads, features, strict=True)], dim=-1)


def init_weights(module: nn.Module) -> None:
    """GPT-style initialisation: normal(0, 0.02) weights, zero biases, unit LayerNorms."""
    for sub in module.modules():
        if isinstance(sub, (nn.Linear, nn.Embedding, nn.Conv1d, nn.ConvTranspose1d)):
            nn.init.normal_(sub.weight, std=0.02)
            if getattr(sub, "bias", None) is not None:
                nn.init.zeros_(sub.bias)
        elif isinstance(sub, nn.LayerNorm):
            nn.init.ones_(sub.weight)
            nn.init.zeros_(sub.bias)
