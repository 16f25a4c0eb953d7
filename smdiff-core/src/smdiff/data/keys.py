"""Keys: find a piece's key, and the transposition that puts it in the key signature without sharps or flats.

Key normalisation transposes every piece so that its key becomes C major or A
minor (the same notes, the white keys); a model trained on such pieces learns
one scale instead of twelve. The key is found with the Krumhansl–Kessler
probe-tone profiles: the duration-weighted pitch-class histogram of every
pitched (non-drum) note is correlated with the 24 rotated profiles and the best
match wins. The shift chosen is the one of smallest size (−6 … +5 semitones),
so pitches move as little as possible.
"""

from __future__ import annotations

import re

import attrs
import numpy as np
import symusic
import symusic.core

from smdiff.errors import ConfigError

#: Krumhansl & Kessler (1982) probe-tone ratings of the 12 pitch classes above a major / minor tonic.
MAJOR_PROFILE = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
MINOR_PROFILE = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
PITCH_CLASSES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_SPELLINGS = {
    "c": 0, "b#": 0, "c#": 1, "db": 1, "d": 2, "d#": 3, "eb": 3, "e": 4, "fb": 4, "f": 5, "e#": 5, "f#": 6,
    "gb": 6, "g": 7, "g#": 8, "ab": 8, "a": 9, "a#": 10, "bb": 10, "b": 11, "cb": 11,
}  # fmt: skip
_KEY_NAME = re.compile(r"^\s*([a-g](?:#|b)?)\s*(major|maj|minor|min|m)?\s*$", re.IGNORECASE)


@attrs.frozen
class Key:
    """A major or minor key: ``tonic`` is a pitch class (0 = C)."""

    tonic: int
    minor: bool = False

    @property
    def name(self) -> str:
        """E.g. ``"Eb major"``, ``"F# minor"``."""
        return f"{PITCH_CLASSES[self.tonic]} {'minor' if self.minor else 'major'}"

    @property
    def normalising_shift(self) -> int:
        """Semitones (−6 … +5) that move this key to C major (a major key) or A minor (a minor one)."""
        target = 9 if self.minor else 0
        return (target - self.tonic + 6) % 12 - 6

    @classmethod
    def parse(cls, text: str) -> Key:
        """``"G"``, ``"G major"``, ``"e minor"``, ``"Ebm"``, ``"F#:min"`` → a key; anything else is a ConfigError."""
        match = _KEY_NAME.match(text.replace(":", " "))
        if not match:
            raise ConfigError(
                f"unknown key {text!r}; write a tonic and optionally a mode, e.g. 'G', 'Bb major', 'E minor', 'F#m'"
            )
        tonic, mode = match.group(1).lower(), (match.group(2) or "major").lower()
        return cls(_SPELLINGS[tonic], minor=mode in ("minor", "min", "m"))


def _rotated_profiles() -> np.ndarray:
    """``[24, 12]`` profiles centred per row: rows ``0..11`` the major keys on C..B, ``12..23`` the minor ones."""
    rows = [np.roll(profile, tonic) for profile in (MAJOR_PROFILE, MINOR_PROFILE) for tonic in range(12)]
    profiles = np.array(rows, dtype=np.float64)
    return profiles - profiles.mean(axis=1, keepdims=True)


_PROFILES = _rotated_profiles()


def estimate_key(weights: np.ndarray) -> Key | None:
    """The key whose profile correlates best with a 12-bin pitch-class histogram; ``None`` for an empty one."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (12,) or weights.sum() <= 0:
        return None
    centred = weights - weights.mean()
    norm = np.linalg.norm(centred)
    if norm == 0:
        return None
    best = int(np.argmax(_PROFILES @ centred))
    return Key(best % 12, minor=best >= 12)


def pitch_class_weights(score: symusic.Score) -> np.ndarray:
    """Duration-weighted (in ticks) pitch-class histogram of every pitched note of ``score`` (drums left out)."""
    weights = np.zeros(12, dtype=np.float64)
    for track in score.tracks:
        if track.is_drum or not len(track.notes):
            continue
        notes = track.notes.numpy()
        pitch_class = notes["pitch"].astype(np.int64) % 12
        weights += np.bincount(pitch_class, weights=np.maximum(notes["duration"], 1), minlength=12)
    return weights


def score_key(score: symusic.Score) -> Key | None:
    """The estimated key of ``score`` (``None`` without pitched notes)."""
    return estimate_key(pitch_class_weights(score))


def normalising_shift(score: symusic.Score) -> int:
    """Semitones that move ``score``'s estimated key to C major / A minor (0 without pitched notes)."""
    key = score_key(score)
    return 0 if key is None else key.normalising_shift


def transpose_score(score: symusic.Score, semitones: int) -> symusic.Score:
    """A copy of the tick-time ``score`` with every pitched track moved by ``semitones`` (drums stay); notes leaving 0..127 go."""
    moved = score.copy()
    if semitones == 0:
        return moved
    for track in moved.tracks:
        if track.is_drum or not len(track.notes):
            continue
        notes = track.notes.numpy()
        pitch = notes["pitch"].astype(np.int64) + semitones
        keep = (pitch >= 0) & (pitch <= 127)
        track.notes = symusic.core.NoteTickList.from_numpy(
            notes["time"][keep], notes["duration"][keep], pitch[keep].astype(np.int8), notes["velocity"][keep]
        )
    return moved
