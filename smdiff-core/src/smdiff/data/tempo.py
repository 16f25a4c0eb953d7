"""A score's tempo map, and converting between seconds and ticks through it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import symusic


def tempo_map(score: symusic.Score) -> tuple[np.ndarray, np.ndarray]:
    """Tempo change ticks (starting at 0) and their quarter notes per minute (120 where none is set)."""
    if len(score.tempos) == 1 and score.tempos[0].time == 0:  # the common case, without array round trips
        return np.zeros(1), np.array([60_000_000.0 / score.tempos[0].mspq])
    tempos = score.tempos.numpy()
    ticks = tempos["time"].astype(np.float64)
    qpm = 60_000_000.0 / tempos["mspq"].astype(np.float64)
    if len(ticks) == 0 or ticks[0] > 0:
        ticks, qpm = np.r_[0.0, ticks], np.r_[120.0, qpm]
    if len(ticks) > 1 and (np.diff(ticks) < 0).any():
        order = np.argsort(ticks, kind="stable")
        ticks, qpm = ticks[order], qpm[order]
    return ticks, qpm


def seconds_per_tick(qpm: np.ndarray, ticks_per_quarter: int) -> np.ndarray:
    """Length of one tick in seconds at each tempo."""
    return 60.0 / (qpm * ticks_per_quarter)


def ticks_at_seconds(ticks: np.ndarray, qpm: np.ndarray, ticks_per_quarter: int, seconds: np.ndarray) -> np.ndarray:
    """Convert times in seconds to (fractional) ticks through a tempo map (``ticks`` from 0, increasing)."""
    tick_seconds = seconds_per_tick(qpm, ticks_per_quarter)
    starts = np.zeros(len(ticks))
    np.cumsum(np.diff(ticks) * tick_seconds[:-1], out=starts[1:])
    segment = np.clip(np.searchsorted(starts, seconds, side="right") - 1, 0, None)
    return ticks[segment] + (seconds - starts[segment]) / tick_seconds[segment]


def seconds_to_ticks(score: symusic.Score, seconds: np.ndarray) -> np.ndarray:
    """Convert times in seconds to (fractional) ticks through the score's tempo map."""
    ticks, qpm = tempo_map(score)
    return ticks_at_seconds(ticks, qpm, score.ticks_per_quarter, seconds)


def ticks_to_seconds(score: symusic.Score, ticks: np.ndarray) -> np.ndarray:
    """Seconds from the start of ``score`` at each of ``ticks``, through its tempo map (120 qpm before any tempo)."""
    tempo_ticks, qpm = tempo_map(score)
    tick_seconds = seconds_per_tick(qpm, score.ticks_per_quarter)
    elapsed = np.concatenate([[0.0], np.cumsum(np.diff(tempo_ticks) * tick_seconds[:-1])])
    ticks = np.asarray(ticks, dtype=np.float64)
    segment = np.clip(np.searchsorted(tempo_ticks, ticks, side="right") - 1, 0, None)
    return elapsed[segment] + (ticks - tempo_ticks[segment]) * tick_seconds[segment]
