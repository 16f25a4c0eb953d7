"""Running the registered metrics on an evaluation, the pictures they draw, and the report they make."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from smdiff.evaluation.core import Evaluation, PlottingMetric

if TYPE_CHECKING:
    from smdiff.registry import Registries


def score(evaluation: Evaluation, registries: Registries, names: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """Run every registered metric of the evaluation's task (or only ``names``)."""
    specs = [registries.metrics.get(name) for name in names] if names else list(registries.metrics)
    results = {}
    for spec in specs:
        if spec.task != evaluation.kind:
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


def draw(evaluation: Evaluation, registries: Registries, folder: Path) -> list[Path]:
    """Pictures from every metric that draws one (histograms of samples over the data)."""
    pictures: list[Path] = []
    for spec in registries.metrics:
        metric = spec.factory()
        if spec.task == evaluation.kind and isinstance(metric, PlottingMetric):
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
