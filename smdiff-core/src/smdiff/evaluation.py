"""Scoring samples with the registered metrics: the data every metric sees, and the report it makes.

Metrics are tokenizer-agnostic: they read :class:`~smdiff.notes.NoteTable` s
of decoded samples and of the reference data (the dataset's test split), and
for infilling the original piece, the generated one and the gap.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs
import numpy as np

from smdiff.notes import NoteTable


@attrs.frozen
class Gap:
    """What an infilling generated: bars ``[start_bar, end_bar)`` of the given track indices (all when empty)."""

    start_bar: int
    end_bar: int
    tracks: tuple[int, ...] = ()

    def select(self, table: NoteTable) -> NoteTable:
        """The notes of ``table`` inside the gap."""
        inside = (table.bar >= self.start_bar) & (table.bar < self.end_bar)
        if self.tracks:
            inside &= np.isin(table.track, self.tracks)
        return table.select(inside)


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
    """Everything a metric may read."""

    task: str
    samples: list[NoteTable]
    reference: list[NoteTable]
    valid: list[bool]
    pairs: list[InfillPair] = attrs.field(factory=list)


@attrs.frozen
class MetricResult:
    """A metric's value, and for statistics compared with the data, the reference set's value."""

    value: float
    reference: float | None = None


class Metric(Protocol):
    """Computes one number from an :class:`Evaluation` (and may draw pictures of it)."""

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """The metric's value."""


def score(evaluation: Evaluation, registries: Any, names: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """Run every registered metric of the evaluation's task (or only ``names``)."""
    specs = [registries.metrics.get(name) for name in names] if names else list(registries.metrics)
    results = {}
    for spec in specs:
        if spec.task != evaluation.task or (spec.task == "infill" and not evaluation.pairs):
            continue
        result = spec.factory().compute(evaluation)
        results[spec.id] = {
            "value": result.value,
            "reference": result.reference,
            "direction": spec.direction,
            "summary": spec.summary,
        }
    return results


def draw(evaluation: Evaluation, registries: Any, folder: Path) -> list[Path]:
    """Pictures from every metric that draws one (histograms of samples over the data)."""
    pictures: list[Path] = []
    for spec in registries.metrics:
        metric = spec.factory()
        if spec.task == evaluation.task and hasattr(metric, "plot"):
            pictures += metric.plot(evaluation, folder)
    return pictures


def write_report(path: Path, evaluation: Evaluation, results: dict[str, dict[str, Any]], extra: dict[str, Any]) -> Path:
    """The metrics JSON: every value with its direction, counts and where the samples came from."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "task": evaluation.task,
        "samples": len(evaluation.samples),
        "reference_pieces": len(evaluation.reference),
        "metrics": results,
        **extra,
    }
    path.write_text(json.dumps(payload, indent=1))
    return path
