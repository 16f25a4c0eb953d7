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


_last_controls: tuple[Sequence[NoteTable], dict[str, list[NoteTable]]] | None = None


def controls_of(reference: Sequence[NoteTable]) -> dict[str, list[NoteTable]]:
    """Every control (:mod:`smdiff_metrics.controls`) made from ``reference``; built once per evaluation."""
    from smdiff_metrics.controls import CONTROLS, controlled

    global _last_controls
    if _last_controls is None or _last_controls[0] is not reference:
        _last_controls = (reference, {name: controlled(reference, name) for name in CONTROLS})
    return _last_controls[1]


class PerPieceMetric:
    """A statistic computed per piece of the samples and of the reference, each summarised as a distribution.

    Beside them, the median of the same statistic on the controls made from the
    reference pieces (random notes of each piece's own scale, its bars
    shuffled): a sample set that does no better than a control on a metric has
    shown nothing with it.
    """

    def __init__(self, name: str, per_piece: PerPiece) -> None:
        self.name, self.per_piece = name, per_piece

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """Median and spread over the samples, beside the same over the reference pieces and the controls' medians."""
        value, spread, count = summarise(self.per_piece(evaluation.samples))
        reference, reference_spread, _ = summarise(self.per_piece(evaluation.reference))
        controls = {
            name: summarise(self.per_piece(pieces))[0] for name, pieces in controls_of(evaluation.reference).items()
        }
        return MetricResult(
            value, reference, spread=spread, reference_spread=reference_spread, baselines=controls, pieces=count
        )


class DistributionPlot(PerPieceMetric):
    """A per-piece metric that also draws its distribution over pieces, samples against data."""

    def plot(self, evaluation: Evaluation, folder: Path) -> list[Path]:
        """Box plots of the per-piece values of samples and data."""
        from smdiff_metrics.plots import distribution_plot

        samples, reference = self.per_piece(evaluation.samples), self.per_piece(evaluation.reference)
        path = folder / f"{self.name}_{evaluation.task}.png"
        return [distribution_plot(samples[np.isfinite(samples)], reference[np.isfinite(reference)], self.name, path)]
