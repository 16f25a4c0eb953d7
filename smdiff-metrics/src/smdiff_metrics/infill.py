"""Metrics of infillings: the gap the model filled, compared with what the original had there."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import numpy as np

from smdiff import Evaluation, InfillPair, MetricResult, NoteTable
from smdiff_metrics import histograms, tonality
from smdiff_metrics.baselines import baseline_pairs
from smdiff_metrics.per_piece import summarise


def with_baselines(evaluation: Evaluation, value_of: Callable[[Evaluation], float]) -> dict[str, float]:
    """``value_of`` on the same gaps filled by each trivial baseline instead of the model."""
    return {
        name: value_of(attrs.evolve(evaluation, pairs=pairs))
        for name, pairs in baseline_pairs(evaluation.pairs).items()
    }


def _keys(table: NoteTable, *fields: str) -> set[tuple]:
    columns = [table.track, np.round(table.onset, 6), *[np.round(getattr(table, f), 6) for f in fields]]
    return set(zip(*(c.tolist() for c in columns), strict=True))


def _accuracy(evaluation: Evaluation, field: str) -> float:
    hits, total = 0, 0
    for pair in evaluation.pairs:
        original = pair.gap.select(pair.original)
        hits += len(_keys(original, field) & _keys(pair.gap.select(pair.generated), field))
        total += len(original)
    return hits / total if total else 0.0


class NoteAccuracy:
    """Share of the original gap notes reproduced at the same track and onset with the same pitch (or duration)."""

    def __init__(self, field: str) -> None:
        self.field = field

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """Matched original gap notes / original gap notes, beside the baselines' accuracy."""
        value_of = lambda e: _accuracy(e, self.field)  # noqa: E731
        return MetricResult(value_of(evaluation), baselines=with_baselines(evaluation, value_of))


class TokenAccuracy:
    """Share of generated elements equal to the original's, inside the generated region."""

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """Equal tokens / region size, over every pair."""
        equal = sum(int((p.generated_tokens[p.region] == p.original_tokens[p.region]).sum()) for p in evaluation.pairs)
        size = sum(int(p.region.sum()) for p in evaluation.pairs)
        return MetricResult(equal / size if size else 0.0)


def _bar_means(table: NoteTable, attribute: str) -> dict[int, float]:
    if attribute == "density":
        return {int(b): float(c) for b, c in enumerate(histograms.notes_per_bar(table))}
    return {int(b): float(table.pitch[table.bar == b].mean()) for b in np.unique(table.bar)}


def _boundary_jumps(pair: InfillPair, table: NoteTable, attribute: str) -> list[float]:
    means = _bar_means(table, attribute)
    edges = [(pair.gap.start_bar - 1, pair.gap.start_bar), (pair.gap.end_bar - 1, pair.gap.end_bar)]
    return [means[b] - means[a] if a in means and b in means else np.nan for a, b in edges]


class BoundarySmoothness:
    """Mean |jump_generated − jump_original| across the gap's two edges, in pitch (semitones) or notes per bar."""

    def __init__(self, attribute: str) -> None:
        self.attribute = attribute

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """Lower is smoother, relative to how the original moved there."""
        errors = []
        for pair in evaluation.pairs:
            generated = _boundary_jumps(pair, pair.generated, self.attribute)
            original = _boundary_jumps(pair, pair.original, self.attribute)
            errors += [
                abs(g - o) for g, o in zip(generated, original, strict=True) if np.isfinite(g) and np.isfinite(o)
            ]
        return MetricResult(float(np.mean(errors)) if errors else 0.0)


class GapPitchClassKL:
    """KL(original gap ‖ generated gap) of pitch-class histograms, pooled over pairs."""

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """In nats; lower is closer."""
        original = histograms.pitch_class_histogram([p.gap.select(p.original) for p in evaluation.pairs])
        generated = histograms.pitch_class_histogram([p.gap.select(p.generated) for p in evaluation.pairs])
        return MetricResult(histograms.kl_divergence(original, generated))


class DensityError:
    """Mean |generated − original| note count in the gap, relative to the original count."""

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """Relative error; 0 is exact."""
        errors = [
            abs(len(p.gap.select(p.generated)) - len(p.gap.select(p.original))) / max(len(p.gap.select(p.original)), 1)
            for p in evaluation.pairs
        ]
        return MetricResult(float(np.mean(errors)) if errors else 0.0)


def _key_consistency(pair: InfillPair, filled: NoteTable) -> float:
    """Share of ``filled``'s gap notes inside the scale that best fits the original's notes outside the gap."""
    context = tonality.pitch_class_counts([pair.gap.context(pair.original)])
    gap = tonality.pitch_class_counts([pair.gap.select(filled)])
    if not context.sum():
        return float("nan")
    return float(tonality.share_in_scale(gap, tonality.best_scales(context))[0])


class KeyConsistency:
    """Per infilling: share of the gap's notes in the key (best major/minor scale) of the notes around the gap."""

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """Median over infillings and spread; the original gap's value as reference; the baselines' medians."""
        per_pair = lambda e: np.array([_key_consistency(p, p.generated) for p in e.pairs])  # noqa: E731
        value, spread, count = summarise(per_pair(evaluation))
        original = np.array([_key_consistency(p, p.original) for p in evaluation.pairs])
        reference, reference_spread, _ = summarise(original)
        baselines = with_baselines(evaluation, lambda e: summarise(per_pair(e))[0])
        return MetricResult(value, reference, spread, reference_spread, baselines, count)


def _note_match(evaluation: Evaluation) -> tuple[float, float, float]:
    """Pooled precision, recall and F1 of the generated gap's (track, onset, pitch) against the original gap's."""
    hits = generated_count = original_count = 0
    for pair in evaluation.pairs:
        original, generated = (
            _keys(pair.gap.select(pair.original), "pitch"),
            _keys(pair.gap.select(pair.generated), "pitch"),
        )
        hits += len(original & generated)
        generated_count += len(generated)
        original_count += len(original)
    precision = hits / generated_count if generated_count else 0.0
    recall = hits / original_count if original_count else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


class NoteMatch:
    """Note-level precision, recall or F1 of (track, onset, pitch) in the gap against the original's notes."""

    WHICH = ("precision", "recall", "f1")

    def __init__(self, which: str) -> None:
        self.position = self.WHICH.index(which)

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """Pooled over every infilling, beside the baselines' values."""
        value_of = lambda e: _note_match(e)[self.position]  # noqa: E731
        return MetricResult(value_of(evaluation), baselines=with_baselines(evaluation, value_of))
