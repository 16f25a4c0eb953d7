"""MusicBERT's OctupleMIDI quantisation, as lookup tables.

Positions: 16 per quarter note. Durations: 128 codes on a log-like scale (16
codes per octave of length, each octave twice as coarse as the one before),
covering up to 4,080 positions (255 quarters). Velocity: 32 bins of 4.
Tempo: 12 codes per doubling from 16 to 256 qpm (49 codes). Time signatures:
every n/d with d = 1..64 and n = 1..2d (254 codes).
"""

from __future__ import annotations

import numpy as np

POSITIONS_PER_QUARTER = 16
MAX_POSITIONS_PER_BAR = 128  # a bar of up to 8 quarters (e.g. 16/8 or 8/4)
DURATION_OCTAVES = 8
VELOCITY_STEP = 4
N_VELOCITIES = 128 // VELOCITY_STEP
TEMPO_STEPS_PER_OCTAVE = 12
MIN_QPM, MAX_QPM = 16.0, 256.0
N_TEMPOS = round(np.log2(MAX_QPM / MIN_QPM) * TEMPO_STEPS_PER_OCTAVE) + 1
MAX_DENOMINATOR_POWER = 6
MAX_BEATS_PER_DENOMINATOR = 2


def _duration_tables() -> tuple[np.ndarray, np.ndarray]:
    decode: list[int] = []
    encode: list[int] = []
    for octave in range(DURATION_OCTAVES):
        for _ in range(POSITIONS_PER_QUARTER):
            decode.append(len(encode))
            encode.extend([len(decode) - 1] * (2**octave))
    return np.asarray(encode, dtype=np.int64), np.asarray(decode, dtype=np.int64)


#: positions → duration code, and duration code → positions (the shortest length of the code).
DURATION_ENCODE, DURATION_DECODE = _duration_tables()
N_DURATIONS = len(DURATION_DECODE)

#: every supported time signature, in code order.
TIME_SIGNATURES: tuple[tuple[int, int], ...] = tuple(
    (numerator, 2**power)
    for power in range(MAX_DENOMINATOR_POWER + 1)
    for numerator in range(1, MAX_BEATS_PER_DENOMINATOR * 2**power + 1)
)
TIME_SIGNATURE_CODES = {signature: code for code, signature in enumerate(TIME_SIGNATURES)}
#: numerators and denominators by code, for vectorised decoding
SIGNATURE_NUMERATORS = np.array([n for n, _ in TIME_SIGNATURES], dtype=np.int64)
SIGNATURE_DENOMINATORS = np.array([d for _, d in TIME_SIGNATURES], dtype=np.int64)
N_TIME_SIGNATURES = len(TIME_SIGNATURES)


def reduce_time_signature(numerator: int, denominator: int) -> tuple[int, int]:
    """Fit a signature into the table: halve huge denominators, split overlong bars (MusicBERT's rule)."""
    while denominator > 2**MAX_DENOMINATOR_POWER and denominator % 2 == 0 and numerator % 2 == 0:
        numerator, denominator = numerator // 2, denominator // 2
    while numerator > MAX_BEATS_PER_DENOMINATOR * denominator:
        for factor in range(2, numerator + 1):
            if numerator % factor == 0:
                numerator //= factor
                break
    return numerator, denominator


def duration_codes(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Duration codes of lengths in positions, and a mask of the lengths too long for the table (clipped)."""
    too_long = positions >= len(DURATION_ENCODE)
    return DURATION_ENCODE[np.minimum(np.maximum(positions, 0), len(DURATION_ENCODE) - 1)], too_long


def tempo_codes(qpm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log-scale tempo codes, and a mask of tempi outside 16–256 qpm (clipped)."""
    outside = (qpm < MIN_QPM) | (qpm > MAX_QPM)
    clipped = np.clip(qpm, MIN_QPM, MAX_QPM)
    return np.rint(np.log2(clipped / MIN_QPM) * TEMPO_STEPS_PER_OCTAVE).astype(np.int64), outside


def tempo_qpm(codes: np.ndarray) -> np.ndarray:
    """Quarter notes per minute of tempo codes."""
    return MIN_QPM * 2.0 ** (np.asarray(codes, dtype=np.float64) / TEMPO_STEPS_PER_OCTAVE)
