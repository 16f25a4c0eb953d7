"""Metrics of unconditional samples against the reference data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from smdiff import Evaluation, MetricResult, NoteTable
from smdiff_metrics import histograms, overlap


class OverlapMetric:
    """OA consistency or variance of pitch or duration."""

    def __init__(self, attribute: str, which: str) -> None:
        self.attribute, self.which = attribute, which

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """Compare adjacent-frame overlap areas of the samples with the reference's."""
        generated = overlap.adjacent_overlaps(evaluation.samples, self.attribute)
        reference = overlap.adjacent_overlaps(evaluation.reference, self.attribute)
        consistency, variance = overlap.consistency_and_variance(generated, reference)
        return MetricResult(consistency if self.which == "consistency" else variance)


class HistogramKL:
    """KL divergence of an attribute's histogram: reference ‖ samples."""

    def __init__(
        self, name: str, histogram: Callable[[Sequence[NoteTable]], np.ndarray], labels: Sequence[str]
    ) -> None:
        self.name, self.histogram, self.labels = name, histogram, labels

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """KL(reference ‖ samples) in nats."""
        return MetricResult(
            histograms.kl_divergence(self.histogram(evaluation.reference), self.histogram(evaluation.samples))
        )

    def plot(self, evaluation: Evaluation, folder: Path) -> list[Path]:
        """The two normalised histograms side by side."""
        from smdiff_metrics.plots import histogram_plot

        path = folder / f"{self.name}_{evaluation.task}.png"
        return [
            histogram_plot(
                self.histogram(evaluation.samples), self.histogram(evaluation.reference), self.labels, self.name, path
            )
        ]


class Statistic:
    """A per-piece statistic averaged over the samples, reported beside the reference data's value."""

    def __init__(self, per_set: Callable[[Sequence[NoteTable]], float]) -> None:
        self.per_set = per_set

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """Value on the samples and on the reference."""
        return MetricResult(self.per_set(evaluation.samples), self.per_set(evaluation.reference))


def polyphony(tables: Sequence[NoteTable]) -> float:
    """Mean number of notes starting together, per onset time."""
    values = [len(t) / len(np.unique(t.onset)) for t in tables if len(t)]
    return float(np.mean(values)) if values else 0.0


def _bar_pitch_classes(table: NoteTable) -> np.ndarray:
    counts = np.zeros((max(table.n_bars, 1), 12))
    inside = (table.bar >= 0) & (table.bar < table.n_bars)
    np.add.at(counts, (table.bar[inside], table.pitch[inside] % 12), 1)
    return counts[counts.sum(1) > 0]


def _cosine_mean(vectors: np.ndarray) -> float:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms == 0, 1, norms)
    similarity = unit @ unit.T
    count = len(vectors)
    return float((similarity.sum() - count) / (count * (count - 1))) if count > 1 else 1.0


def self_similarity(tables: Sequence[NoteTable]) -> float:
    """Mean cosine similarity between the pitch-class profiles of every two non-empty bars of a piece."""
    values = [_cosine_mean(_bar_pitch_classes(t)) for t in tables if len(t)]
    return float(np.mean(values)) if values else 0.0


def _profile(table: NoteTable) -> np.ndarray:
    pcs = np.bincount(table.pitch % 12, minlength=12)
    durations = np.histogram(table.duration, bins=histograms.DURATION_BINS)[0]
    return np.concatenate([pcs / max(pcs.sum(), 1), durations / max(durations.sum(), 1)])


def diversity(tables: Sequence[NoteTable]) -> float:
    """1 − mean cosine similarity between pieces' pitch-class and duration profiles."""
    profiles = np.stack([_profile(t) for t in tables if len(t)]) if any(len(t) for t in tables) else np.zeros((0, 1))
    return 1.0 - _cosine_mean(profiles) if len(profiles) > 1 else 0.0


class ValidShare:
    """Share of samples that decode to at least one note with nothing dropped by repair."""

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """Valid samples / all samples."""
        valid = [ok and len(t) > 0 for ok, t in zip(evaluation.valid, evaluation.samples, strict=True)]
        return MetricResult(float(np.mean(valid)) if valid else 0.0)
