"""Metrics measured on every piece and reported as a distribution: median and 10–90 % spread, beside the data's."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from smdiff import Evaluation, MetricResult, NoteTable

PerPiece = Callable[[Sequence[NoteTable]], np.ndarray]


def summarise(values: np.ndarray) -> tuple[float, tuple[float, float] | None, int]:
    """Median, (10th, 90th) percentile and count of the finite values (NaN and ``None`` when there are none)."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return float("nan"), None, 0
    low, median, high = np.percentile(finite, [10, 50, 90])
    return float(median), (float(low), float(high)), len(finite)


class PerPieceMetric:
    """A statistic computed per piece of the samples and of the reference, each summarised as a distribution."""

    def __init__(self, name: str, per_piece: PerPiece) -> None:
        self.name, self.per_piece = name, per_piece

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """Median and spread over the samples, beside the same over the reference pieces."""
        value, spread, count = summarise(self.per_piece(evaluation.samples))
        reference, reference_spread, _ = summarise(self.per_piece(evaluation.reference))
        return MetricResult(value, reference, spread=spread, reference_spread=reference_spread, pieces=count)


class DistributionPlot(PerPieceMetric):
    """A per-piece metric that also draws its distribution over pieces, samples against data."""

    def plot(self, evaluation: Evaluation, folder: Path) -> list[Path]:
        """Box plots of the per-piece values of samples and data."""
        from smdiff_metrics.plots import distribution_plot

        samples, reference = self.per_piece(evaluation.samples), self.per_piece(evaluation.reference)
        path = folder / f"{self.name}_{evaluation.task}.png"
        return [distribution_plot(samples[np.isfinite(samples)], reference[np.isfinite(reference)], self.name, path)]
