"""Chords as tokens: one of 97 values per position of a chord channel or field, shared by every encoding.

``0`` is no chord; ``1 + 8 × root + quality`` a chord of one of the eight
qualities of :data:`CHORD_QUALITIES` (those ``smdiff.recognise_chords`` tells
apart). Richer annotated qualities are reduced to them (:data:`REDUCED`:
``maj6`` → ``maj``, ``sus2`` → the ``sus4`` a fifth above, which has the
same tones…).
"""

from __future__ import annotations

import numpy as np

from smdiff.data.chords import Chord

#: the slot (track name, channel) every chord encoding holds its chords in
CHORD_SLOT = "chords"
CHORD_QUALITIES = ("maj", "min", "dim", "aug", "sus4", "7", "maj7", "min7")
CHORD_VOCAB = 1 + 12 * len(CHORD_QUALITIES)  # 97
#: annotated qualities without a token: (quality it is written as, semitones its root moves)
REDUCED = {"maj6": ("maj", 0), "min6": ("min", 0), "sus2": ("sus4", 7), "hdim7": ("dim", 0), "dim7": ("dim", 0),
           "minmaj7": ("min", 0), "sus4(b7)": ("sus4", 0)}  # fmt: skip


def chord_token(chord: Chord) -> int:
    """The token of ``chord`` (qualities without one are reduced, see :data:`REDUCED`)."""
    if chord.root is None:
        return 0
    quality, move = REDUCED.get(chord.quality, (chord.quality, 0))
    return 1 + 8 * ((chord.root + move) % 12) + CHORD_QUALITIES.index(quality)


def token_chord(token: int) -> Chord:
    """The chord a token stands for."""
    if token == 0:
        return Chord(None)
    return Chord((token - 1) // 8, CHORD_QUALITIES[(token - 1) % 8])


def transpose_chord_tokens(tokens: np.ndarray, semitones: np.ndarray | int) -> np.ndarray:
    """Chord tokens with every root moved by ``semitones`` (broadcast against ``tokens``); no-chord stays."""
    tokens = np.asarray(tokens, dtype=np.int64)
    root, quality = (tokens - 1) // 8, (tokens - 1) % 8
    return np.where(tokens > 0, 1 + 8 * ((root + semitones) % 12) + quality, tokens)
