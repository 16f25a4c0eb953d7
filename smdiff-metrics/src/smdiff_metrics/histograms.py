"""Histograms of musical attributes and the KL divergence between them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from smdiff import NoteTable

SMOOTHING = 1.0  # one pseudo-count per bin (Laplace), so an empty bin costs a finite amount
DURATION_BINS = np.array([0, 0.125, 0.25, 0.375, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, np.inf])  # quarters
DENSITY_BINS = np.array([0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, np.inf])  # notes per bar


def pitch_class_histogram(tables: Sequence[NoteTable]) -> np.ndarray:
    """Counts of the 12 pitch classes over all notes."""
    pitches = np.concatenate([t.pitch for t in tables]) if tables else np.zeros(0, dtype=int)
    return np.bincount(pitches % 12, minlength=12).astype(np.float64)


def duration_histogram(tables: Sequence[NoteTable]) -> np.ndarray:
    """Counts of note durations in musically spaced bins (quarter notes)."""
    durations = np.concatenate([t.duration for t in tables]) if tables else np.zeros(0)
    return np.histogram(durations, bins=DURATION_BINS)[0].astype(np.float64)


def velocity_histogram(tables: Sequence[NoteTable]) -> np.ndarray:
    """Counts of velocities in 32 bins of 4."""
    velocities = np.concatenate([t.velocity for t in tables]) if tables else np.zeros(0, dtype=int)
    return np.bincount(np.clip(velocities, 0, 127) // 4, minlength=32).astype(np.float64)


def notes_per_bar(table: NoteTable) -> np.ndarray:
    """Number of note onsets in each bar of one piece."""
    return np.bincount(table.bar[(table.bar >= 0) & (table.bar < table.n_bars)], minlength=table.n_bars)


def density_histogram(tables: Sequence[NoteTable]) -> np.ndarray:
    """Counts of bars by how many notes start in them."""
    counts = np.concatenate([notes_per_bar(t) for t in tables]) if tables else np.zeros(0)
    return np.histogram(counts, bins=DENSITY_BINS)[0].astype(np.float64)


def kl_divergence(reference: np.ndarray, generated: np.ndarray) -> float:
    """KL(reference ‖ generated) in nats between two count histograms, with one pseudo-count per bin."""
    p = (reference + SMOOTHING) / (reference + SMOOTHING).sum()
    q = (generated + SMOOTHING) / (generated + SMOOTHING).sum()
    return float(np.sum(p * np.log(p / q)))
