"""Tonality per piece: pitch-class counts, the best-fitting scale, scale consistency, entropy and chord fit.

Definitions follow MusPy where it has them: *scale consistency* is the largest
share of a piece's notes that one of the 24 major and (natural) minor scales
holds; *pitch-class entropy* is the Shannon entropy, in bits, of the piece's
pitch-class histogram (counting notes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from smdiff import NoteTable

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
PITCH_CLASS_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def _scales() -> np.ndarray:
    scales = np.zeros((24, 12), dtype=np.float64)
    for tonic in range(12):
        scales[tonic, [(tonic + step) % 12 for step in MAJOR]] = 1.0
        scales[12 + tonic, [(tonic + step) % 12 for step in MINOR]] = 1.0
    return scales


#: ``[24, 12]``: row ``k < 12`` is the major scale on pitch class ``k``, row ``12 + k`` the minor one.
SCALES = _scales()
SCALE_NAMES = tuple(f"{PITCH_CLASS_NAMES[k]} major" for k in range(12)) + tuple(
    f"{PITCH_CLASS_NAMES[k]} minor" for k in range(12)
)


def pitch_class_counts(tables: Sequence[NoteTable]) -> np.ndarray:
    """``[pieces, 12]``: how many notes of each pitch class every piece has."""
    if not tables:
        return np.zeros((0, 12))
    lengths = np.array([len(t) for t in tables])
    pieces = np.repeat(np.arange(len(tables)), lengths)
    pitches = np.concatenate([t.pitch for t in tables]).astype(np.int64) if lengths.sum() else np.zeros(0, np.int64)
    return np.bincount(pieces * 12 + pitches % 12, minlength=12 * len(tables)).reshape(len(tables), 12).astype(float)


def best_scales(counts: np.ndarray) -> np.ndarray:
    """Index into :data:`SCALES` of the scale holding most notes, per row of ``counts`` (ties: the first)."""
    return np.argmax(counts @ SCALES.T, axis=1)


def share_in_scale(counts: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Share of each row's notes inside its scale ``scales[i]``; NaN for rows without notes."""
    total = counts.sum(axis=1)
    inside = (counts * SCALES[scales]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, inside / total, np.nan)


def scale_consistency(tables: Sequence[NoteTable]) -> np.ndarray:
    """Per piece: the largest share of its notes that one major or minor scale holds (NaN without notes)."""
    counts = pitch_class_counts(tables)
    return share_in_scale(counts, best_scales(counts))


def pitch_class_entropy(tables: Sequence[NoteTable]) -> np.ndarray:
    """Per piece: entropy of the pitch-class histogram in bits (0 = one class, log2 12 ≈ 3.58 = uniform)."""
    counts = pitch_class_counts(tables)
    total = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = counts / total
        terms = np.where(p > 0, -p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    return np.where(total[:, 0] > 0, terms.sum(axis=1), np.nan)


STEPS_PER_QUARTER = 4  # chord fit is measured on a sixteenth-note grid


def _sounding_classes(table: NoteTable, steps: int) -> np.ndarray:
    """``[steps, 12]`` bool: which pitch classes sound at each sixteenth of ``table``."""
    starts = np.clip(np.floor(table.onset * STEPS_PER_QUARTER + 1e-6).astype(np.int64), 0, steps)
    ends = np.clip(np.ceil((table.onset + table.duration) * STEPS_PER_QUARTER - 1e-6).astype(np.int64), 0, steps)
    ends = np.maximum(ends, np.minimum(starts + 1, steps))
    changes = np.zeros((steps + 1, 12), dtype=np.int64)
    np.add.at(changes, (starts, table.pitch % 12), 1)
    np.add.at(changes, (ends, table.pitch % 12), -1)
    return np.cumsum(changes, axis=0)[:steps] > 0


def chord_fit(tables: Sequence[NoteTable]) -> np.ndarray:
    """Per piece: how much more of the melody lies on the accompaniment's pitch classes than chance would put there.

    On a sixteenth-note grid, at every moment where the melody and the
    accompaniment (every other track) both sound, a *hit* is a melody pitch
    class the accompaniment sounds too; *chance* is the share of the 12 classes
    the accompaniment covers then. The fit is (hits − chance) / (moments −
    chance) summed over moments: 1 when the melody always sits on the
    accompaniment's pitch classes, 0 when it is no better than chance. An
    accompaniment sounding all 12 classes says nothing and is skipped, so a
    dense cluster cannot make any melody fit. NaN for pieces without a melody
    track and an accompaniment.
    """
    values = np.full(len(tables), np.nan)
    for index, table in enumerate(tables):
        melody = table.melody_track()
        if melody is None or not len(table):
            continue
        lead, accompaniment = table.select(table.track == melody), table.select(table.track != melody)
        if not len(lead) or not len(accompaniment):
            continue
        steps = int(np.ceil(max((t.onset + t.duration).max() for t in (lead, accompaniment)) * STEPS_PER_QUARTER)) + 1
        lead_classes, chord_classes = _sounding_classes(lead, steps), _sounding_classes(accompaniment, steps)
        covered = chord_classes.sum(axis=1)
        moments = lead_classes.any(axis=1) & (covered > 0) & (covered < 12)
        if moments.any():
            hits = (lead_classes & chord_classes)[moments].any(axis=1).sum()
            chance = (covered[moments] / 12.0).sum()
            values[index] = float((hits - chance) / (moments.sum() - chance))
    return values
