"""Scoring samples with the registered metrics: the data every metric sees, and the report it makes.

Metrics are tokenizer-agnostic: they read :class:`~smdiff.notes.NoteTable` s
of decoded samples and of the reference data (the dataset's test split), and
for infilling the original piece, the generated one and the gap.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs
import numpy as np

from smdiff.notes import NoteTable


@attrs.frozen
class Gap:
    """What an infilling generated: bars ``[start_bar, end_bar)`` of the given track indices (all when empty)."""

    start_bar: int
    end_bar: int
    tracks: tuple[int, ...] = ()

    @classmethod
    def of(
        cls, start_bar: int | None, end_bar: int | None, tracks: Sequence[str], track_names: Sequence[str], bars: int
    ) -> Gap:
        """The gap an infilling's settings name: open bounds closed by the window, track names made indices."""
        names = [name.lower() for name in track_names]
        indices = tuple(names.index(t.lower()) for t in tracks if t.lower() in names)
        return cls(start_bar or 0, bars if end_bar is None else end_bar, indices)

    def contains(self, table: NoteTable) -> np.ndarray:
        """Per note of ``table``: whether its onset lies inside the gap."""
        inside = (table.bar >= self.start_bar) & (table.bar < self.end_bar)
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
    """Everything a metric may read."""

    task: str
    samples: list[NoteTable]
    reference: list[NoteTable]
    valid: list[bool]
    pairs: list[InfillPair] = attrs.field(factory=list)


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
            "spread": list(result.spread) if result.spread is not None else None,
            "reference_spread": list(result.reference_spread) if result.reference_spread is not None else None,
            "baselines": dict(result.baselines),
            "pieces": result.pieces,
            "direction": spec.direction,
            "summary": spec.summary,
        }
    return results


#: The seed scripts' metric names, kept in reports as aliases of today's ids.
SEED_ALIASES = {
    "pch_kl": "kl_pitch_class",
    "duration_kl": "kl_duration",
    "self_similarity": "self_similarity",
    "sample_diversity": "diversity",
    "valid_samples_pct": "valid_samples",
}


def seed_aliases(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The seed's metric names with their values (``valid_samples_pct`` in percent), for the metrics present."""
    aliases = {}
    for alias, name in SEED_ALIASES.items():
        if name in results:
            value = results[name]["value"]
            aliases[alias] = 100.0 * value if alias.endswith("_pct") else value
    return aliases


def draw(evaluation: Evaluation, registries: Any, folder: Path) -> list[Path]:
    """Pictures from every metric that draws one (histograms of samples over the data)."""
    pictures: list[Path] = []
    for spec in registries.metrics:
        metric = spec.factory()
        if spec.task == evaluation.task and isinstance(metric, PlottingMetric):
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
        "seed_aliases": seed_aliases(results),
        **extra,
    }
    path.write_text(json.dumps(_finite(payload), indent=1))
    return path


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by ``None`` (JSON has no NaN)."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value
