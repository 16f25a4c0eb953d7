"""Histogram pictures: samples against the reference data."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def histogram_plot(samples: np.ndarray, reference: np.ndarray, labels: Sequence[str], title: str, path: Path) -> Path:
    """Two normalised histograms as grouped bars, written to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.arange(len(samples))
    figure, axes = plt.subplots(figsize=(8, 3.5), dpi=100)
    axes.bar(x - 0.2, reference / max(reference.sum(), 1), width=0.4, label="data (test split)", color="#00798c")
    axes.bar(x + 0.2, samples / max(samples.sum(), 1), width=0.4, label="samples", color="#d1495b")
    axes.set_xticks(x, labels, rotation=45 if len(labels) > 12 else 0, fontsize="small")
    axes.set_ylabel("share")
    axes.set_title(title.replace("_", " "))
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path


def distribution_plot(samples: np.ndarray, reference: np.ndarray, title: str, path: Path) -> Path:
    """Box plots (with every piece as a dot) of a per-piece metric: data beside samples, written to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4.5, 3.5), dpi=100)
    groups = [reference, samples]
    axes.boxplot(groups, tick_labels=["data (reference)", "samples"], showfliers=False, widths=0.5)
    rng = np.random.default_rng(0)
    for position, (values, colour) in enumerate(zip(groups, ("#00798c", "#d1495b"), strict=True), start=1):
        axes.scatter(position + rng.uniform(-0.12, 0.12, len(values)), values, s=6, alpha=0.5, color=colour)
    axes.set_title(f"{title.replace('_', ' ')} per piece")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
