"""Scoring samples with the registered metrics: the data every metric sees, and the report it makes.

Metrics are tokenizer-agnostic: they read :class:`~smdiff.notes.NoteTable` s
of decoded samples and of the reference data (the dataset's test split), and
for infilling the original piece, the generated one and the gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs
import numpy as np

from smdiff.notes import NoteTable

if TYPE_CHECKING:
    pass


@attrs.frozen
class Gap:
    """What an infilling generated: bars ``[start_bar, end_bar)`` of the given track indices (all when empty).

    A task that regenerates several bar ranges gives them as ``spans``;
    ``start_bar`` and ``end_bar`` are then their extent.
    """

    start_bar: int
    end_bar: int
    tracks: tuple[int, ...] = ()
    spans: tuple[tuple[int, int], ...] | None = None

    @classmethod
    def of(cls, spans: Sequence[Sequence[int]], tracks: Sequence[str], track_names: Sequence[str]) -> Gap:
        """The gap of a selection's bar ``spans`` and slot names ``tracks`` (names made indices into ``track_names``)."""
        names = [name.lower() for name in track_names]
        indices = tuple(names.index(t.lower()) for t in tracks if t.lower() in names)
        ranges = tuple((int(start), int(end)) for start, end in spans)
        extent = (min(start for start, _ in ranges), max(end for _, end in ranges))
        return cls(*extent, indices, ranges if len(ranges) > 1 else None)

    def contains(self, table: NoteTable) -> np.ndarray:
        """Per note of ``table``: whether its onset lies inside the gap."""
        inside = np.zeros(len(table), dtype=bool)
        for start, end in self.spans or ((self.start_bar, self.end_bar),):
            inside |= (table.bar >= start) & (table.bar < end)
        if self.tracks:
            inside &= np.isin(table.track, self.tracks)
        return inside

    def select(self, table: NoteTable) -> NoteTable:
        """The notes of ``table`` inside the gap."""
        return table.select(self.contains(table))

    def context(self, table: NoteTable) -> NoteTable:
        """The notes of ``table`` outside the gap: what the infilling was conditioned on."""
        return table.select(~self.contains(table))


@attrs.frozen
class InfillPair:
    """One infilling: the original window and the generated one, as notes and as tokens."""

    original: NoteTable
    generated: NoteTable
    gap: Gap
    original_tokens: np.ndarray
    generated_tokens: np.ndarray
    region: np.ndarray


@attrs.frozen
class Evaluation:
    """Everything a metric may read.

    ``task`` is the sampling task's id. Metrics are chosen by :attr:`kind`:
    pieces with an original beside them (``pairs``) are scored as infillings,
    new pieces as unconditional samples, whatever task made them.
    """

    task: str
    samples: list[NoteTable]
    reference: list[NoteTable]
    valid: list[bool]
    pairs: list[InfillPair] = attrs.field(factory=list)

    @property
    def kind(self) -> str:
        """``"infill"`` when the pieces kept part of an input (there are pairs), else ``"uncond"``."""
        return "infill" if self.pairs else "uncond"


@attrs.frozen
class MetricResult:
    """A metric's value, and for statistics compared with the data, the reference set's value.

    Per-piece metrics report the median over pieces as ``value`` and the 10th
    and 90th percentiles as ``spread`` (``reference_spread`` for the reference
    pieces). ``baselines`` holds the same metric on trivial outputs made for
    the same inputs (e.g. an infilling that copies the bars before the gap), so
    a model's number is always read beside what no model at all achieves.
    """

    value: float
    reference: float | None = None
    spread: tuple[float, float] | None = None
    reference_spread: tuple[float, float] | None = None
    baselines: dict[str, float] = attrs.field(factory=dict)
    pieces: int | None = None


class Metric(Protocol):
    """Computes one number from an :class:`Evaluation`; one that also draws pictures is a :class:`PlottingMetric`."""

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """The metric's value."""


@runtime_checkable
class PlottingMetric(Metric, Protocol):
    """A metric that also draws pictures of what it measured (``smdiff evaluate`` saves them beside the report)."""

    def plot(self, evaluation: Evaluation, folder: Path) -> list[Path]:
        """Write pictures into ``folder`` and return their paths."""
