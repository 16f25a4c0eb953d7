"""What a grid model is told about pitch beyond token identities: the visible notes around each step, and intervals.

On the grid a note is one pitch token followed by hold tokens, so at most steps
nothing says which pitch sounds, and a masked note's neighbours can lie many
steps away; an embedding table per token knows nothing of pitch height either.
Melodies move by small intervals from the notes around them, which is what a
model must learn first and what these two modules hand it:

- :class:`NeighbourPitches` — for every step of a pitch channel, the nearest
  *visible* (unmasked) pitch before it and after it, embedded and added to the
  step's input: the previous and next note are in view at every step;
- :class:`IntervalLogits` — pitch logits relative to those neighbours: the
  score of pitch ``q`` gets ``r_before(q − a) + r_after(b − q)`` on top of its
  absolute logit, where ``a`` and ``b`` are the visible neighbours and ``r`` are
  interval scores the network computes at that step (±2 octaves, and one score
  for anything further). "A step up from the previous note" is then one output,
  the same in every register and key.

Pitch channels are those of the grid tokenizers (:mod:`smdiff_onehot.grid`):
``VOCAB`` tokens, the pitches from ``FIRST_PITCH_TOKEN``; other channels (drums)
are left as they are.
"""

from __future__ import annotations

import torch
from torch import nn

from smdiff import TokenSpec
from smdiff_onehot.grid import FIRST_PITCH_TOKEN, VOCAB

N_PITCHES = VOCAB - FIRST_PITCH_TOKEN
NO_PITCH = N_PITCHES  # the embedding index of "no visible pitch on that side"
MAX_INTERVAL = 24


def pitch_channels(token_spec: TokenSpec) -> list[int]:
    """The channels holding grid pitch tokens."""
    return [channel for channel, size in enumerate(token_spec.vocab_sizes) if size == VOCAB]


def neighbour_pitches(tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For ``[B, L]`` grid tokens of one channel: the nearest visible pitch strictly before and after every step.

    Pitches are ``0 … N_PITCHES − 1`` (token − ``FIRST_PITCH_TOKEN``), :data:`NO_PITCH`
    where that side has none. Mask ids, holds and note-offs are not pitches. No
    value is read back to the host and no shape depends on the data.
    """
    length = tokens.shape[1]
    is_pitch = (tokens >= FIRST_PITCH_TOKEN) & (tokens < VOCAB)
    index = torch.arange(length, device=tokens.device).expand_as(tokens)
    last = torch.cummax(torch.where(is_pitch, index, -1), dim=1).values  # the last pitch at or before each step
    first = torch.cummin(torch.where(is_pitch, index, length).flip(1), dim=1).values.flip(1)  # at or after
    before = torch.cat([torch.full_like(last[:, :1], -1), last[:, :-1]], dim=1)
    after = torch.cat([first[:, 1:], torch.full_like(first[:, :1], length)], dim=1)
    pitch = (tokens - FIRST_PITCH_TOKEN).clamp(0, N_PITCHES - 1)
    previous = torch.where(before >= 0, pitch.gather(1, before.clamp(min=0)), NO_PITCH)
    following = torch.where(after < length, pitch.gather(1, after.clamp(max=length - 1)), NO_PITCH)
    return previous, following


class NeighbourPitches(nn.Module):
    """Embeddings of each step's visible neighbouring pitches, one pair of tables per pitch channel."""

    def __init__(self, token_spec: TokenSpec, width: int) -> None:
        super().__init__()
        self.channels = pitch_channels(token_spec)
        self.before = nn.ModuleList(nn.Embedding(N_PITCHES + 1, width) for _ in self.channels)
        self.after = nn.ModuleList(nn.Embedding(N_PITCHES + 1, width) for _ in self.channels)

    def forward(self, tokens: torch.Tensor, embedded: list[torch.Tensor]) -> list[torch.Tensor]:
        """``embedded`` (one ``[B, L, width]`` per channel) with the neighbours' embeddings added on pitch channels."""
        out = list(embedded)
        for slot, channel in enumerate(self.channels):
            previous, following = neighbour_pitches(tokens[..., channel])
            out[channel] = out[channel] + self.before[slot](previous) + self.after[slot](following)
        return out


class IntervalLogits(nn.Module):
    """Interval scores relative to the visible neighbours, added to the pitch logits of every pitch channel."""

    def __init__(self, token_spec: TokenSpec, width: int) -> None:
        super().__init__()
        self.token_spec = token_spec
        self.channels = pitch_channels(token_spec)
        bins = 2 * MAX_INTERVAL + 2  # −24 … +24, and one bin for every larger interval
        self.before = nn.ModuleList(nn.Linear(width, bins, bias=False) for _ in self.channels)
        self.after = nn.ModuleList(nn.Linear(width, bins, bias=False) for _ in self.channels)
        self.register_buffer("candidates", torch.arange(N_PITCHES), persistent=False)

    def _scores(self, head: nn.Linear, features: torch.Tensor, intervals: torch.Tensor, known: torch.Tensor):
        far = 2 * MAX_INTERVAL + 1
        bins = torch.where(intervals.abs() <= MAX_INTERVAL, intervals + MAX_INTERVAL, far)
        return head(features).gather(-1, bins) * known.unsqueeze(-1)

    def forward(self, tokens: torch.Tensor, features: list[torch.Tensor], logits: torch.Tensor) -> torch.Tensor:
        """``logits`` ``[B, L, sum(vocab)]`` plus the interval scores of each candidate pitch on pitch channels.

        ``features`` holds the ``[B, L, width]`` each channel's head reads.
        """
        parts = []
        for slot, channel in enumerate(self.channels):
            previous, following = neighbour_pitches(tokens[..., channel])
            candidates = self.candidates.view(1, 1, -1)
            up = self._scores(
                self.before[slot], features[channel], candidates - previous.unsqueeze(-1), previous != NO_PITCH
            )
            down = self._scores(
                self.after[slot], features[channel], following.unsqueeze(-1) - candidates, following != NO_PITCH
            )
            parts.append((channel, (up + down).to(logits.dtype)))
        pieces, at = [], 0
        for channel, scores in parts:
            start = self.token_spec.offsets[channel] + FIRST_PITCH_TOKEN
            pieces += [logits.new_zeros(*logits.shape[:2], start - at), scores]
            at = start + N_PITCHES
        pieces.append(logits.new_zeros(*logits.shape[:2], logits.shape[-1] - at))
        return logits + torch.cat(pieces, dim=-1)
