"""``octuple_ddpm``: the Octuple denoiser.

Each of a note's eight fields has its own embedding; the eight vectors are
concatenated and projected to one vector per note (MusicBERT's compound
embedding), a bidirectional transformer runs over the notes, and one head per
field predicts that field's logits.
"""

from __future__ import annotations

import torch
from torch import nn

from smdiff import ChannelEmbedding, ChannelHeads, ModelConfig, TokenSpec, TransformerStack, init_weights


class OctupleDenoiser(nn.Module):
    """Compound field embedding → transformer over notes → per-field heads."""

    def __init__(self, token_spec: TokenSpec, config: ModelConfig, max_length: int) -> None:
        super().__init__()
        self.embed = ChannelEmbedding(token_spec, config.width)
        self.combine = nn.Linear(config.width * token_spec.n_channels, config.width)
        self.transformer = TransformerStack.of(config, config.width, max_length)
        self.heads = ChannelHeads(token_spec, config.width)
        init_weights(self)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``[B, notes, 8]`` → ``[B, notes, sum(vocab)]``."""
        return self.heads(self.transformer(self.combine(torch.cat(self.embed(tokens), dim=-1))))
