"""What a grid model is told about form: the same step one, two, four and eight bars before and after.

Songs repeat: a bar is very often a copy of the bar four or eight bars
earlier. A transformer can learn to find those bars, but only after many steps
of training. On the grid a bar is always ``STEPS_PER_BAR`` steps, so the steps
that line up with step ``i`` in other bars are known in advance, and these two
modules hand them to the model:

- :class:`EchoEmbedding` — the tokens at ``i ± 1, 2, 4, 8`` bars (as they are
  in the noisy input: visible, masked, or outside the window), embedded per
  offset and added to the step's input;
- :class:`CopyLogits` — a score per offset, computed at step ``i``, added to the
  logit of the token visible at that offset: "copy the bar four bars back" is
  then one output, whatever the token is.

Holds and note-offs are echoed and copied like pitches, so a copied bar has
the rhythm of its model too.
"""

from __future__ import annotations

import torch
from torch import nn

from smdiff import TokenSpec
from smdiff_onehot.grid import STEPS_PER_BAR

ECHO_BARS = (-8, -4, -2, -1, 1, 2, 4, 8)


def echoes(tokens: torch.Tensor, outside: int) -> torch.Tensor:
    """``[B, L]`` tokens → ``[B, L, len(ECHO_BARS)]``: the token at each bar offset, ``outside`` past the window."""
    length = tokens.shape[1]
    shifted = []
    for bars in ECHO_BARS:
        steps = bars * STEPS_PER_BAR
        filler = torch.full_like(tokens[:, : min(abs(steps), length)], outside)
        if steps > 0:
            shifted.append(torch.cat([tokens[:, steps:], filler], dim=1))
        else:
            shifted.append(torch.cat([filler, tokens[:, : length + steps]], dim=1))
    return torch.stack(shifted, dim=-1)


class EchoEmbedding(nn.Module):
    """For every channel, the sum of the embeddings of its echoes (one table per channel and offset)."""

    def __init__(self, token_spec: TokenSpec, width: int) -> None:
        super().__init__()
        self.sizes = [size + 2 for size in token_spec.vocab_sizes]  # real tokens, the mask id, "outside the window"
        self.tables = nn.ModuleList(nn.Embedding(size * len(ECHO_BARS), width) for size in self.sizes)
        self.register_buffer("offsets", torch.arange(len(ECHO_BARS)), persistent=False)

    def forward(self, tokens: torch.Tensor, embedded: list[torch.Tensor]) -> list[torch.Tensor]:
        """``embedded`` (one ``[B, L, width]`` per channel) with each channel's echoes' embeddings added."""
        out = []
        for channel, (table, size) in enumerate(zip(self.tables, self.sizes, strict=True)):
            index = echoes(tokens[..., channel], outside=size - 1) + self.offsets * size
            out.append(embedded[channel] + table(index).sum(dim=-2))
        return out


class CopyLogits(nn.Module):
    """Per channel and step, a score per bar offset added to the logit of the token visible at that offset."""

    def __init__(self, token_spec: TokenSpec, width: int) -> None:
        super().__init__()
        self.token_spec = token_spec
        self.scores = nn.ModuleList(nn.Linear(width, len(ECHO_BARS)) for _ in token_spec.vocab_sizes)

    def forward(self, tokens: torch.Tensor, features: list[torch.Tensor], logits: torch.Tensor) -> torch.Tensor:
        """``logits`` ``[B, L, sum(vocab)]`` plus, for each echo that is a real token, its offset's score on it."""
        parts = []
        for channel, size in enumerate(self.token_spec.vocab_sizes):
            echoed = echoes(tokens[..., channel], outside=size + 1)  # mask id = size, outside = size + 1
            scores = self.scores[channel](features[channel]).to(logits.dtype)
            copied = logits.new_zeros(*logits.shape[:2], size + 2).scatter_add_(-1, echoed, scores)
            parts.append(copied[..., :size])
        return logits + torch.cat(parts, dim=-1)
