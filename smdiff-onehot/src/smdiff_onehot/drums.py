"""Drums on the grid as SCHmUBERT's Lakh trio (after MusicVAE) has them: nine drum classes, one 9-bit mask per step.

Every General MIDI drum note belongs to one of nine classes (kick, snare, closed
and open hi-hat, low, mid and high tom, crash, ride); the token of a 16th step
says which classes are struck there, as a bit mask: ``0`` is no hit, ``511``
all nine. Drums have no hold or note-off: a hit is an onset, decoded as a
16th-note of the class's first pitch. Pitches of no class are dropped and counted.
"""

from __future__ import annotations

import numpy as np

#: the General MIDI drum pitches of each class, the class's own pitch first (MusicVAE's reduced drum map)
DRUM_CLASSES: tuple[tuple[int, ...], ...] = (
    (36, 35),  # kick
    (38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85),  # snare
    (42, 44, 54, 68, 69, 70, 71, 73, 78, 80, 22),  # closed hi-hat
    (46, 67, 72, 74, 79, 81, 26),  # open hi-hat
    (45, 29, 41, 43, 61, 64, 84),  # low tom
    (48, 47, 60, 63, 77, 86, 87),  # mid tom
    (50, 30, 62, 76, 83),  # high tom
    (49, 52, 55, 57, 58),  # crash
    (51, 53, 59, 82),  # ride
)
DRUM_VOCAB = 2 ** len(DRUM_CLASSES)  # 512
#: the class of each MIDI pitch (``-1``: none)
CLASS_OF_PITCH = np.full(128, -1, dtype=np.int64)
for _class, _pitches in enumerate(DRUM_CLASSES):
    CLASS_OF_PITCH[list(_pitches)] = _class
#: the pitch a hit of each class is written with
CLASS_PITCH = np.array([pitches[0] for pitches in DRUM_CLASSES], dtype=np.int64)


def drum_classes(pitches: np.ndarray) -> np.ndarray:
    """The drum class of each pitch (``-1`` for a pitch no class holds)."""
    return CLASS_OF_PITCH[np.asarray(pitches, dtype=np.int64) & 127]


def drum_tokens(steps: np.ndarray, classes: np.ndarray, n_steps: int) -> np.ndarray:
    """The hit mask of each of ``n_steps`` steps from hits of ``classes`` (all ``>= 0``) at ``steps``."""
    tokens = np.zeros(n_steps, dtype=np.int64)
    np.bitwise_or.at(tokens, steps, np.left_shift(1, classes))
    return tokens


def drum_hits(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The step and the pitch of every hit in a column of drum tokens, in step order."""
    bits = (np.asarray(column, dtype=np.int64)[:, None] >> np.arange(len(DRUM_CLASSES))) & 1
    steps, classes = np.nonzero(bits)
    return steps, CLASS_PITCH[classes]
