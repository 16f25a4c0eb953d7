"""A training masker for the grid encodings that masks the way they are used: whole spans of bars.

SCHmUBERT's absorbing mask draws every element on its own, so at any rate
almost every masked step has unmasked neighbours a step or two away: the model
learns to interpolate locally. Infilling asks for 8 or 16 bars with nothing
inside, and a song's repeated section can only be found elsewhere in it.
``bar_spans`` masks half the rows element by element, as before, and the other
half in spans of 1, 2, 4 or 8 bars (one span length per row), each span of each
channel absorbed with the row's probability ``t``: the same masked share on
average, with gaps the model must fill from what lies around and before them.
"""

from __future__ import annotations

import torch

from smdiff import TokenSpec
from smdiff_onehot.grid import STEPS_PER_BAR

SPAN_POWERS = 4  # spans of 2**k bars for k < SPAN_POWERS: 1, 2, 4 or 8 bars
SPAN_ROWS = 0.5  # share of rows masked by spans; the rest element by element


class BarSpanMasker:
    """``bar_spans``: per row, independent elements or whole spans of bars (per channel) at the row's rate."""

    kernel_unit = None  # structured: drawn from the run's generator, not fused by a kernel

    def __init__(self, token_spec: TokenSpec) -> None:
        self.token_spec = token_spec

    def __call__(self, tokens: torch.Tensor, rates: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """A ``[B, L, C]`` mask: about ``rates[b]`` of row ``b`` in either kind of row."""
        batch, length, channels = tokens.shape
        device = tokens.device
        threshold = rates.view(-1, 1, 1)
        elements = torch.rand(tokens.shape, generator=generator, device=device) < threshold
        bars = -(-length // STEPS_PER_BAR)
        span = 2 ** torch.randint(0, SPAN_POWERS, (batch,), generator=generator, device=device)
        spans_of_bars = torch.rand((batch, bars, channels), generator=generator, device=device) < threshold
        bar_of_step = torch.arange(length, device=device) // STEPS_PER_BAR
        slot = (bar_of_step.view(1, -1) // span.view(-1, 1)).unsqueeze(-1).expand(batch, length, channels)
        spans = spans_of_bars.gather(1, slot)
        by_spans = torch.rand((batch, 1, 1), generator=generator, device=device) < SPAN_ROWS
        return torch.where(by_spans, spans, elements)
