"""Grid denoisers: SCHmUBERT's ConVormer (``schmu_conv``) and a plain bidirectional transformer (``schmu_tx``).

Both map ``[B, L, C]`` tokens (mask id = vocab size) to logits
``[B, L, sum(vocab)]``. The ConVormer embeds each track's 16th-note steps with
their position inside the beat, folds every beat (4 steps) into one vector with
a strided convolution, runs the transformer over beats (a quarter of the
length), and unfolds back to steps with a transposed convolution per track.
"""

from __future__ import annotations

import torch
from torch import nn

from smdiff import ChannelEmbedding, ChannelHeads, ConfigError, ModelConfig, TokenSpec, TransformerStack, init_weights
from smdiff_onehot.bar_echoes import CopyLogits, EchoEmbedding
from smdiff_onehot.pitch_context import IntervalLogits, NeighbourPitches

STEPS_PER_BEAT = 4


class ConVormer(nn.Module):
    """Conv down by a beat → transformer over beats → transposed conv up, per track."""

    def __init__(self, token_spec: TokenSpec, config: ModelConfig, max_length: int) -> None:
        super().__init__()
        width, fold = config.width, STEPS_PER_BEAT
        if max_length % fold or width % fold:
            raise ConfigError(
                f"schmu_conv needs a length and model.width divisible by {fold}; got {max_length} and {width}"
            )
        self.token_spec = token_spec
        self.embed = ChannelEmbedding(token_spec, width // fold)
        self.beat_pos = nn.Parameter(torch.zeros(fold, width // fold))
        self.down = nn.ModuleList(
            nn.Sequential(nn.Conv1d(width // fold, width, fold, stride=fold), nn.ReLU()) for _ in token_spec.channels
        )
        self.merge = nn.Sequential(nn.Linear(width * token_spec.n_channels, width), nn.ReLU())
        self.transformer = TransformerStack.of(config, width, max_length // fold)
        self.up = nn.ModuleList(
            nn.Sequential(nn.ConvTranspose1d(width, width // fold, fold, stride=fold), nn.ReLU())
            for _ in token_spec.channels
        )
        self.heads = ChannelHeads(token_spec, width // fold, shared_input=False)
        self.context = GridContext(token_spec, width // fold, config)
        init_weights(self)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``[B, L, C]`` → ``[B, L, sum(vocab)]``."""
        length = tokens.shape[1]
        beat_pos = self.beat_pos.repeat(length // STEPS_PER_BEAT, 1)
        embedded = self.context.inputs(tokens, self.embed(tokens))
        tracks = [
            down((emb + beat_pos).transpose(1, 2)).transpose(1, 2)
            for emb, down in zip(embedded, self.down, strict=True)
        ]
        x = self.transformer(self.merge(torch.cat(tracks, dim=-1))).transpose(1, 2)
        features = [up(x).transpose(1, 2) for up in self.up]
        return self.context.outputs(tokens, features, self.heads(features))


class GridTransformer(nn.Module):
    """Summed per-track embeddings → bidirectional transformer over every step → per-track heads."""

    def __init__(self, token_spec: TokenSpec, config: ModelConfig, max_length: int) -> None:
        super().__init__()
        self.embed = ChannelEmbedding(token_spec, config.width)
        self.transformer = TransformerStack.of(config, config.width, max_length)
        self.heads = ChannelHeads(token_spec, config.width)
        self.context = GridContext(token_spec, config.width, config)
        init_weights(self)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``[B, L, C]`` → ``[B, L, sum(vocab)]``."""
        embedded = self.context.inputs(tokens, self.embed(tokens))
        features = self.transformer(torch.stack(embedded).sum(0))
        return self.context.outputs(tokens, [features] * tokens.shape[-1], self.heads(features))


class GridContext(nn.Module):
    """The optional context a grid model gets beside its tokens: neighbouring pitches, and echoes of other bars.

    ``model.pitch_context`` adds :mod:`smdiff_onehot.pitch_context` (visible
    neighbouring pitches in, interval scores out); ``model.bar_echoes`` adds
    :mod:`smdiff_onehot.bar_echoes` (the same step in other bars in, copy scores
    out). Without either, both methods return what they are given.
    """

    def __init__(self, token_spec: TokenSpec, width: int, config: ModelConfig) -> None:
        super().__init__()
        self.neighbours = NeighbourPitches(token_spec, width) if config.pitch_context else None
        self.intervals = IntervalLogits(token_spec, width) if config.pitch_context else None
        self.echoes = EchoEmbedding(token_spec, width) if config.bar_echoes else None
        self.copies = CopyLogits(token_spec, width) if config.bar_echoes else None

    def inputs(self, tokens: torch.Tensor, embedded: list[torch.Tensor]) -> list[torch.Tensor]:
        """Each channel's ``[B, L, width]`` input embedding, with the context's embeddings added."""
        for module in (self.neighbours, self.echoes):
            if module is not None:
                embedded = module(tokens, embedded)
        return embedded

    def outputs(self, tokens: torch.Tensor, features: list[torch.Tensor], logits: torch.Tensor) -> torch.Tensor:
        """``logits`` with the context's scores added (``features``: what each channel's head reads)."""
        for module in (self.intervals, self.copies):
            if module is not None:
                logits = module(tokens, features, logits)
        return logits
