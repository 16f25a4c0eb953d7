"""Tied elements: positions the reverse process decides once, together, for every copy.

A tie map ``leader`` ``[B, L, C]`` names, for every element ``(row, channel)``,
the row of the element in the same channel that decides it (itself when it is
free). The sampler draws only the leaders; a follower always holds its leader's
token — the mask id until the leader is committed, then the committed token.

The draw is shared, not copied afterwards: a leader's distribution is the
normalised geometric mean of the model's distributions at every copy (the mean
of their log-probabilities), so the token chosen must fit each place it will
stand. The mean, not the sum, keeps the pooled distribution as sharp as one
copy's: a sum would act as a temperature of ``1 / copies``.
"""

from __future__ import annotations

import torch

from smdiff.tokens import TokenSpec


class TiedElements:
    """The tie map of one batch and what the sampler does with it: pool logits, copy leaders to followers."""

    def __init__(self, leader: torch.Tensor, token_spec: TokenSpec) -> None:
        if leader.dim() != 3 or leader.shape[-1] != token_spec.n_channels:
            raise ValueError(
                f"ties must be [batch, length, {token_spec.n_channels}] row indices, got {tuple(leader.shape)}"
            )
        self.leader = leader.long()
        rows = torch.arange(leader.shape[1], device=leader.device).view(1, -1, 1)
        self.leads = self.leader == rows
        self.token_spec = token_spec
        ones = torch.ones(self.leader.shape, dtype=torch.float32, device=leader.device)
        self.copies = torch.zeros_like(ones).scatter_add_(1, self.leader, ones).clamp_min(1.0)

    def pool(self, logits: torch.Tensor) -> torch.Tensor:
        """``[B, L, V]`` logits whose leaders hold the mean log-probabilities of all their copies (followers unchanged)."""
        pooled = logits.float().clone()
        for channel, (offset, size) in enumerate(
            zip(self.token_spec.offsets, self.token_spec.vocab_sizes, strict=True)
        ):
            log_probs = logits[..., offset : offset + size].float().log_softmax(-1)
            index = self.leader[..., channel : channel + 1].expand_as(log_probs)
            summed = torch.zeros_like(log_probs).scatter_add_(1, index, log_probs)
            mean = summed / self.copies[..., channel : channel + 1]
            lead = self.leads[..., channel : channel + 1]
            pooled[..., offset : offset + size] = torch.where(lead, mean, pooled[..., offset : offset + size])
        return pooled

    def propagate(self, tokens: torch.Tensor) -> torch.Tensor:
        """Every follower set to its leader's token."""
        return torch.where(self.leads, tokens, tokens.gather(1, self.leader))
