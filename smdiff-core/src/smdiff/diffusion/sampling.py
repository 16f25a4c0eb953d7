"""The reverse process: unmask absorbed elements until none is left.

``initial`` holds the real tokens to keep and mask ids where music is to be
generated; elements that start unmasked are never written, so conditioning
(infilling, accompaniment, continuation) keeps them bit for bit.

Two schedules decide which masked elements are committed at each step:

``ancestral``
    SCHmUBERT's reverse process: with ``k`` steps left, each masked element is
    unmasked with probability ``1/k`` (``steps`` = sequence length is the
    paper's setting).
``confidence``
    MaskGIT: draw every masked element, then commit the most confident draws
    so that the masked share follows a cosine schedule over ``steps`` steps;
    ``confidence_noise`` adds Gumbel noise to the confidences, annealed to zero
    (MaskGIT's choice temperature), so early steps do not commit only the safest tokens.
    ``confidence_score`` says what "confident" means: ``probability`` (MaskGIT:
    the log-probability of the drawn token) or ``entropy`` (the negative
    entropy of the element's distribution, whatever was drawn). On the grid
    encodings, the probability score commits *hold* tokens first — each is
    likely on its own, but together they stretch notes — while the entropy
    score commits the elements whose whole distribution is sharp.

``ties`` (:mod:`smdiff.diffusion.ties`) ties elements together: each group is
decided once, from the model's view of every copy, and written to all of them
at the same step — exact repeats of a form are sampled this way.

A row whose tokens did not change since the network last saw it reuses its
cached logits, so steps that commit nothing cost no network call. Each step
reads one small tensor back from the device (which rows need the network),
so on a GPU the sampler waits for the device once per step, not once per check.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import torch

from smdiff.diffusion.forward import mask_ids
from smdiff.diffusion.ties import TiedElements
from smdiff.kernels import KernelBackend
from smdiff.tokens import TokenSpec

Method = Literal["ancestral", "confidence"]
#: reverse steps of the confidence sampler when none are asked for: on POP909 melodies its metrics match
#: 1,024-step ancestral sampling from 16 steps on (docs/benchmarks.md, sampling); 32 leaves a margin
CONFIDENCE_STEPS = 32


def default_steps(method: Method, length: int) -> int:
    """Reverse steps when none are given: one per position for ancestral, :data:`CONFIDENCE_STEPS` for confidence."""
    return length if method == "ancestral" else CONFIDENCE_STEPS


ConfidenceScore = Literal["probability", "entropy"]


def filter_logits(logits: torch.Tensor, token_spec: TokenSpec, top_k: int | None, top_p: float | None) -> torch.Tensor:
    """Keep, per channel, the ``top_k`` largest logits and/or the smallest set with probability ≥ ``top_p``."""
    if not top_k and top_p is None:
        return logits
    out = logits.clone()
    for offset, size in zip(token_spec.offsets, token_spec.vocab_sizes, strict=True):
        segment = out[..., offset : offset + size]
        if top_k and top_k < size:
            kth = segment.topk(top_k, dim=-1).values[..., -1:]
            segment.masked_fill_(segment < kth, float("-inf"))
        if top_p is not None and top_p < 1.0:
            ordered, order = segment.sort(dim=-1, descending=True)
            cumulative = ordered.softmax(-1).cumsum(-1)
            drop = cumulative - ordered.softmax(-1) >= top_p  # keep the first token that crosses top_p
            segment.scatter_(-1, order, ordered.masked_fill(drop, float("-inf")))
    return out


class CachedDenoiser:
    """Calls the model only for rows that need logits and whose tokens changed since their logits were computed."""

    def __init__(self, model: Callable[[torch.Tensor], torch.Tensor]) -> None:
        self.model = model
        self.logits: torch.Tensor | None = None
        self.stale: torch.Tensor | None = None
        self.calls = 0
        self.rows_computed = 0
        self.host_reads = 0

    def changed(self, rows: torch.Tensor) -> None:
        """Mark rows (one flag per row) whose tokens changed: their cached logits are out of date."""
        if self.stale is not None:
            self.stale = self.stale | rows

    @torch.no_grad()
    def __call__(self, tokens: torch.Tensor, needed: torch.Tensor) -> torch.Tensor | None:
        """Logits for every row, up to date for the rows in ``needed`` (one flag per row); ``None`` if none is needed.

        The only read from the device: which rows are needed and which of them are stale.
        """
        if self.stale is None:
            self.stale = torch.ones(tokens.shape[0], dtype=torch.bool, device=tokens.device)
        to_compute = needed & self.stale
        needed_count, stale_count = torch.stack([needed.sum(), to_compute.sum()]).tolist()
        self.host_reads += 1
        if not needed_count:
            return None
        if stale_count:
            # the stale rows' indices, found on the device: with their count known, a stable sort puts them
            # first, where a boolean index or a tensor made from a Python list would each wait for the GPU again
            rows = (~to_compute).to(torch.uint8).argsort(stable=True)[:stale_count]
            fresh = self.model(tokens[rows]).float()
            if self.logits is None:
                self.logits = fresh.new_zeros(tokens.shape[0], *fresh.shape[1:])
            self.logits[rows] = fresh
            self.stale[rows] = False
            self.calls += 1
            self.rows_computed += len(rows)
        return self.logits


def _cosine_masked_share(step: int, steps: int) -> float:
    return math.cos(math.pi / 2 * (step + 1) / steps)


@torch.no_grad()
def sample(
    model: Callable[[torch.Tensor], torch.Tensor],
    kernel: KernelBackend,
    token_spec: TokenSpec,
    initial: torch.Tensor,
    *,
    method: Method = "confidence",
    steps: int | None = None,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator,
    confidence_noise: float = 10.0,
    confidence_score: ConfidenceScore = "entropy",
    on_step: Callable[[int, int], None] = lambda step, total: None,
    ties: torch.Tensor | None = None,
) -> tuple[torch.Tensor, CachedDenoiser]:
    """Fill every mask id of ``initial``; returns the tokens and the denoiser (with its call counts).

    ``ties`` (``[B, L, C]`` leader rows, see :class:`~smdiff.diffusion.ties.TiedElements`)
    makes tied elements one decision; a follower must be masked in ``initial``
    unless its leader holds the same token.
    """
    tied = None if ties is None else TiedElements(ties.to(initial.device), token_spec)
    tokens = initial.clone() if tied is None else tied.propagate(initial)
    masked = tokens == mask_ids(token_spec, initial.device, initial.dtype)
    if tied is not None:  # only leaders are drawn; followers take their token
        masked = masked & tied.leads
    total = default_steps(method, initial.shape[1]) if steps is None else steps
    if total < 1:
        raise ValueError(f"sample steps must be at least 1, got {total}")
    denoiser = CachedDenoiser(model)
    start_count = masked.flatten(1).sum(1)
    for step in range(total):
        if method == "ancestral":
            left = total - step
            choose = masked & (torch.rand(masked.shape, generator=generator, device=masked.device) < 1.0 / left)
            cached = denoiser(tokens, choose.flatten(1).any(dim=1))
            if cached is None:  # nothing is unmasked at this step
                on_step(step + 1, total)
                continue
            logits = filter_logits(cached if tied is None else tied.pool(cached), token_spec, top_k, top_p)
            tokens, changed = kernel.sample_step(logits, tokens, choose, token_spec, temperature, generator)
            if tied is not None:
                tokens = tied.propagate(tokens)
            masked = masked & ~choose
        else:
            cached = denoiser(tokens, masked.flatten(1).any(dim=1))
            if cached is None:  # every element is unmasked
                on_step(total, total)
                break
            logits = filter_logits(cached if tied is None else tied.pool(cached), token_spec, top_k, top_p)
            proposal, _ = kernel.sample_step(logits, tokens, masked, token_spec, temperature, generator)
            confidence = _confidence(logits, proposal, token_spec, confidence_score)
            if confidence_noise > 0:  # MaskGIT's annealed randomness: early commits are not only the safest tokens
                uniform = torch.rand(confidence.shape, generator=generator, device=confidence.device).clamp_min(1e-20)
                confidence = confidence + confidence_noise * (1 - (step + 1) / total) * -torch.log(-torch.log(uniform))
            confidence = confidence.masked_fill(~masked, float("-inf"))
            keep_masked = (start_count.double() * _cosine_masked_share(step, total)).floor().long()
            commit_count = masked.flatten(1).sum(1) - keep_masked
            order = confidence.flatten(1).argsort(dim=1, descending=True)
            ranks = torch.empty_like(order).scatter_(
                1, order, torch.arange(order.shape[1], device=order.device).expand_as(order)
            )
            choose = masked & (ranks.view_as(masked) < commit_count.view(-1, 1, 1))
            previous, tokens = tokens, torch.where(choose, proposal, tokens)
            if tied is not None:
                tokens = tied.propagate(tokens)
            changed = (tokens != previous).flatten(1).any(dim=1)
            masked = masked & ~choose
        denoiser.changed(changed)
        on_step(step + 1, total)
    return tokens, denoiser


def _confidence(
    logits: torch.Tensor, proposal: torch.Tensor, token_spec: TokenSpec, score: ConfidenceScore
) -> torch.Tensor:
    """Per element: the log-probability of its proposed token, or the negative entropy of its distribution."""
    scores = torch.empty(proposal.shape, dtype=torch.float32, device=proposal.device)
    for channel, (offset, size) in enumerate(zip(token_spec.offsets, token_spec.vocab_sizes, strict=True)):
        log_probs = logits[..., offset : offset + size].float().log_softmax(-1)
        if score == "entropy":
            scores[..., channel] = (log_probs.exp() * log_probs).sum(-1)
        else:
            drawn = proposal[..., channel : channel + 1].clamp_max(size - 1)
            scores[..., channel] = log_probs.gather(-1, drawn).squeeze(-1)
    return scores
