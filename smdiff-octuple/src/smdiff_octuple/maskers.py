"""Structured maskers for Octuple tokens: whole bars, or (bar, attribute) units.

Masking whole bars teaches the model what infilling asks of it: produce every
note of a missing bar, its positions and count included. Padding rows belong
to no bar; each is masked on its own at the same rate, so the model also
learns where the music ends.
"""

from __future__ import annotations

import torch

from smdiff import TokenSpec

BAR_FIELD = 0
ATTRIBUTE_FIELDS = (
    3,
    4,
    5,
    7,
)  # pitch, duration, velocity, tempo; the others (bar, position, instrument, time signature) are structure


def _bar_slots(tokens: torch.Tensor, token_spec: TokenSpec) -> tuple[torch.Tensor, int]:
    """Bar index of every row, with padding rows sent to one extra slot; and the slot count."""
    pad_bar = token_spec.vocab_sizes[BAR_FIELD] - 1
    bars = tokens[..., BAR_FIELD].clamp(0, pad_bar)
    return bars, pad_bar + 1


def _per_row(tokens: torch.Tensor, rates: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(tokens.shape[:2], generator=generator, device=tokens.device) < rates.view(-1, 1)


class BarMasker:
    """``bar_all``: each bar is masked whole with probability ``t``."""

    kernel_unit = None  # structured: drawn from the run's generator, not fused by a kernel

    def __init__(self, token_spec: TokenSpec) -> None:
        self.token_spec = token_spec

    def __call__(self, tokens: torch.Tensor, rates: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Rows of chosen bars (all eight fields), plus padding rows drawn one by one."""
        bars, slots = _bar_slots(tokens, self.token_spec)
        chosen = torch.rand((tokens.shape[0], slots), generator=generator, device=tokens.device) < rates.view(-1, 1)
        rows = chosen.gather(1, bars)
        padding = bars == slots - 1
        rows = torch.where(padding, _per_row(tokens, rates, generator), rows)
        return rows.unsqueeze(-1).expand(tokens.shape)


class BarAttributeMasker:
    """``bar_attribute``: pitch/duration/velocity/tempo masked per (bar, attribute); other fields per note."""

    kernel_unit = None  # structured: drawn from the run's generator, not fused by a kernel

    def __init__(self, token_spec: TokenSpec) -> None:
        self.token_spec = token_spec

    def __call__(self, tokens: torch.Tensor, rates: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Attribute fields follow their (bar, attribute) draw; structure fields their note's draw."""
        bars, slots = _bar_slots(tokens, self.token_spec)
        batch = tokens.shape[0]
        units = torch.rand((batch, slots, len(ATTRIBUTE_FIELDS)), generator=generator, device=tokens.device)
        units = units < rates.view(-1, 1, 1)
        per_note = _per_row(tokens, rates, generator)
        per_attribute = units.gather(1, bars.unsqueeze(-1).expand(-1, -1, len(ATTRIBUTE_FIELDS)))
        # the fields stacked in order from slices: indexing with a Python list of fields would copy an index
        # tensor from the host at every step, which on a GPU waits for every queued kernel
        column = {field: per_attribute[..., slot] for slot, field in enumerate(ATTRIBUTE_FIELDS)}
        mask = torch.stack([column.get(field, per_note) for field in range(tokens.shape[-1])], dim=-1)
        padding = (bars == slots - 1).unsqueeze(-1)
        return torch.where(padding, per_note.unsqueeze(-1).expand(tokens.shape), mask)


class MixedMasker:
    """``mixed``: each row picks one of whole-note random masking, ``bar_all`` or ``bar_attribute``."""

    kernel_unit = None  # structured: drawn from the run's generator, not fused by a kernel

    def __init__(self, token_spec: TokenSpec) -> None:
        self.bar = BarMasker(token_spec)
        self.attribute = BarAttributeMasker(token_spec)

    def __call__(self, tokens: torch.Tensor, rates: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Draw all three masks and keep, per row, the one its choice names."""
        choice = torch.randint(0, 3, (tokens.shape[0],), generator=generator, device=tokens.device).view(-1, 1, 1)
        random_rows = _per_row(tokens, rates, generator).unsqueeze(-1).expand(tokens.shape)
        bar, attribute = self.bar(tokens, rates, generator), self.attribute(tokens, rates, generator)
        return torch.where(choice == 0, random_rows, torch.where(choice == 1, bar, attribute))
