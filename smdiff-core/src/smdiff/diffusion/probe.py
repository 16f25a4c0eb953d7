"""Does a model know pitch in context? Masked-pitch bits against two baselines that need no model.

Windows are masked at a fixed rate (SCHmUBERT's absorbing noise); at every
masked element whose answer is a pitch (a note-on of the grid, the pitch field
of an Octuple note) the probe scores, in bits:

- **model**: −log2 of the model's probability of the true pitch, its
  distribution renormalised over the channel's pitch tokens (so spending mass
  on hold or rest tokens costs nothing here: this asks *which* pitch, not
  *whether* a note starts);
- **unigram**: the same under the training data's pitch histogram (add-one);
- **context**: under the histogram of the window's own unmasked pitches,
  backed off to the unigram with weight one note: p = (n_p + u_p) / (n + 1);
- **neighbour**: from the nearest unmasked pitches before (``a``) and after
  (``b``) it in the same channel, through the training data's distribution of
  intervals between consecutive pitches ``I`` (add-one): p(q) ∝ I(q − a) · I(b − q),
  with one factor when only one neighbour is visible, the unigram when none is.

A model that beats the unigram has learned which pitches are common; one that
beats the context histogram has learned more than "reuse the pitches around
the gap"; one that beats the neighbour baseline has learned more than "move
from the notes beside it by a usual interval" — key, contour, repetition.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import attrs
import numpy as np
import torch

from smdiff.diffusion.forward import apply_mask
from smdiff.tokens import TokenSpec

RATES = (0.2, 0.5, 0.8)
N_PITCHES = 128
#: ``I[d + N_PITCHES - 1]`` is the probability of an interval of ``d`` semitones
N_INTERVALS = 2 * N_PITCHES - 1


@attrs.frozen
class ProbeResult:
    """Mean bits per masked pitch at one masking rate, for the model and the three baselines."""

    rate: float
    positions: int
    model_bits: float
    unigram_bits: float
    context_bits: float
    neighbour_bits: float

    def as_log(self) -> dict[str, float]:
        """Scalars named for a training log (``model_bits_50`` at rate 0.5, …)."""
        percent = round(self.rate * 100)
        return {
            f"model_bits_{percent}": self.model_bits,
            f"unigram_bits_{percent}": self.unigram_bits,
            f"context_bits_{percent}": self.context_bits,
            f"neighbour_bits_{percent}": self.neighbour_bits,
        }


@attrs.frozen
class PitchStatistics:
    """What the baselines know of the training data, counted from training windows.

    ``unigram``: the pitch histogram. ``intervals``: per masking rate, the
    distributions of the interval from a masked pitch's nearest visible pitch
    before it to the pitch (``q − a``) and from the pitch to the nearest visible
    one after it (``b − q``), under the probe's own masking. At a low rate these
    are the intervals between consecutive notes; at a high rate the visible
    neighbours lie several notes away and the intervals widen accordingly, so
    the baseline stays calibrated at every rate.
    """

    unigram: np.ndarray
    intervals: dict[float, tuple[np.ndarray, np.ndarray]]

    @classmethod
    def of(
        cls,
        windows: np.ndarray,
        pitch_tokens: Mapping[int, np.ndarray],
        *,
        rates: Sequence[float] = RATES,
        unit: str = "element",
        seed: int = 0,
    ) -> PitchStatistics:
        """Counted from training ``windows`` ``[N, L, C]``, masked as the probe masks (add-one smoothing)."""
        windows = np.asarray(windows, dtype=np.int64)
        pitches = _pitch_of(windows, pitch_tokens)
        intervals = {}
        for rate in rates:
            mask = _draw_mask(np.random.default_rng(seed), windows.shape, rate, unit)
            before, after = np.ones(N_INTERVALS), np.ones(N_INTERVALS)
            for channel in pitch_tokens:
                _, _, truth, previous, following = _masked_pitches(pitches[..., channel], mask[..., channel])
                before += np.bincount((truth - previous)[previous >= 0] + N_PITCHES - 1, minlength=N_INTERVALS)
                after += np.bincount((following - truth)[following >= 0] + N_PITCHES - 1, minlength=N_INTERVALS)
            intervals[rate] = (before / before.sum(), after / after.sum())
        return cls(pitch_unigram(windows, pitch_tokens), intervals)


def _pitch_of(windows: np.ndarray, pitch_tokens: Mapping[int, np.ndarray]) -> np.ndarray:
    """``[N, L, C]`` MIDI pitch of every element (``-1`` where it is not a pitch token)."""
    pitches = np.full(windows.shape, -1, dtype=np.int64)
    for channel, table in pitch_tokens.items():
        tokens = windows[..., channel].astype(np.int64)
        valid = (tokens >= 0) & (tokens < len(table))
        pitches[..., channel] = np.where(valid, table[np.clip(tokens, 0, len(table) - 1)], -1)
    return pitches


def pitch_unigram(windows: np.ndarray, pitch_tokens: Mapping[int, np.ndarray]) -> np.ndarray:
    """Add-one histogram of the pitches in ``windows`` (training data), as probabilities over 128 MIDI pitches."""
    pitches = _pitch_of(np.asarray(windows), pitch_tokens)
    counts = np.bincount(pitches[pitches >= 0], minlength=N_PITCHES).astype(np.float64) + 1.0
    return counts / counts.sum()


def _draw_mask(rng: np.random.Generator, shape: tuple[int, ...], rate: float, unit: str) -> np.ndarray:
    """``[N, L, C]`` booleans: each element (or each whole position, for ``unit="token"``) masked at ``rate``."""
    draws = rng.random((*shape[:2], shape[2] if unit == "element" else 1)) < rate
    return np.broadcast_to(draws, shape)


def _masked_pitches(
    pitches: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For one channel (``[N, L]`` MIDI pitches, ``-1`` for other tokens, and its mask): every masked pitch.

    Returns its row, column and pitch, and the nearest visible pitch before and
    after it in the same row (``-1`` where there is none).
    """
    visible = np.where(~mask, pitches, -1)
    rows, columns = np.nonzero(mask & (pitches >= 0))
    length = pitches.shape[1]
    index = np.arange(length)
    last = np.maximum.accumulate(np.where(visible >= 0, index, -1), axis=1)  # at or before each element
    first = np.minimum.accumulate(np.where(visible >= 0, index, length)[:, ::-1], axis=1)[:, ::-1]  # at or after
    # a masked element is not visible itself, so "at or before" is "before" there (and "at or after" is "after")
    before, after = last[rows, columns], first[rows, columns]
    previous = np.where(before >= 0, visible[rows, np.maximum(before, 0)], -1)
    following = np.where(after < length, visible[rows, np.minimum(after, length - 1)], -1)
    return rows, columns, pitches[rows, columns], previous, following


def _neighbour_distribution(
    previous: np.ndarray, following: np.ndarray, statistics: PitchStatistics, rate: float
) -> np.ndarray:
    """``[n, 128]``: p(q) ∝ I_before(q − previous) · I_after(following − q); a missing neighbour's factor left out.

    With neither neighbour visible, the unigram.
    """
    if rate not in statistics.intervals:
        raise ValueError(
            f"the pitch statistics were counted for masking rates {sorted(statistics.intervals)}, not {rate}"
        )
    before, after = statistics.intervals[rate]
    candidates = np.arange(N_PITCHES)
    offset = N_PITCHES - 1
    dist = np.broadcast_to(statistics.unigram, (len(previous), N_PITCHES)).copy()
    has_previous, has_following = previous >= 0, following >= 0
    dist[has_previous | has_following] = 1.0
    dist[has_previous] *= before[candidates[None, :] - previous[has_previous, None] + offset]
    dist[has_following] *= after[following[has_following, None] - candidates[None, :] + offset]
    return dist


def _support(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The channel's pitch tokens and the MIDI pitch of each."""
    tokens = np.flatnonzero(table >= 0)
    return tokens, table[tokens]


def _baseline_bits(dist: np.ndarray, support: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """−log2 p(truth) under ``dist`` (``[..., 128]``) renormalised over the channel's pitches ``support``."""
    restricted = dist[..., support]
    index = np.searchsorted(support, truth)
    chosen = np.take_along_axis(restricted, index[..., None], axis=-1)[..., 0]
    return -np.log2(chosen / restricted.sum(axis=-1))


def _model_bits(
    logits: torch.Tensor, tokens: np.ndarray, rows: np.ndarray, columns: np.ndarray, truth: np.ndarray
) -> float:
    """Summed −log2 p(true pitch) at ``(rows, columns)``, the channel's ``logits`` restricted to its pitch ``tokens``."""

    def on_device(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(array).to(logits.device)

    chosen = torch.log_softmax(logits[on_device(rows), on_device(columns)][:, on_device(tokens)], dim=-1)
    return float(-chosen.gather(1, on_device(truth)[:, None]).sum()) / math.log(2)


@torch.no_grad()
def pitch_probe(
    model: torch.nn.Module,
    windows: np.ndarray,
    token_spec: TokenSpec,
    pitch_tokens: Mapping[int, np.ndarray],
    statistics: PitchStatistics,
    *,
    rates: Sequence[float] = RATES,
    unit: str = "element",
    seed: int = 0,
    device: torch.device | str = "cpu",
    batch_size: int = 16,
) -> list[ProbeResult]:
    """Masked-pitch bits of ``model`` on ``windows`` ``[N, L, C]`` at each masking rate, beside the three baselines.

    The noise is drawn from ``seed`` on the host, so the same windows get the
    same masks on any device and at every call (comparable over training).
    """
    if not pitch_tokens:
        return []
    was_training = model.training
    model.eval()
    windows = np.asarray(windows, dtype=np.int64)
    pitches = _pitch_of(windows, pitch_tokens)
    offsets = token_spec.offsets
    unigram = statistics.unigram
    results = []
    for rate in rates:
        rng = np.random.default_rng(seed)
        totals = {"model": 0.0, "unigram": 0.0, "context": 0.0, "neighbour": 0.0}
        positions = 0
        for first in range(0, len(windows), batch_size):
            clean = windows[first : first + batch_size]
            mask = _draw_mask(rng, clean.shape, rate, unit)
            noisy = apply_mask(torch.from_numpy(clean).to(device), torch.from_numpy(mask.copy()).to(device), token_spec)
            outputs = model(noisy).float()
            batch_pitches = pitches[first : first + batch_size]
            visible = np.where(~mask, batch_pitches, -1)
            context = np.stack([np.bincount(v[v >= 0], minlength=N_PITCHES) for v in visible.reshape(len(clean), -1)])
            context = (context + unigram) / (context.sum(axis=1, keepdims=True) + 1.0)
            for channel, table in pitch_tokens.items():
                tokens, support = _support(table)
                rows, columns, truth, previous, following = _masked_pitches(
                    batch_pitches[..., channel], mask[..., channel]
                )
                if not len(rows):
                    continue
                logits = outputs[..., offsets[channel] : offsets[channel] + len(table)]
                totals["model"] += _model_bits(logits, tokens, rows, columns, np.searchsorted(support, truth))
                totals["unigram"] += float(
                    _baseline_bits(np.broadcast_to(unigram, (len(truth), N_PITCHES)), support, truth).sum()
                )
                totals["context"] += float(_baseline_bits(context[rows], support, truth).sum())
                neighbour = _neighbour_distribution(previous, following, statistics, rate)
                totals["neighbour"] += float(_baseline_bits(neighbour, support, truth).sum())
                positions += len(rows)
        count = max(positions, 1)
        results.append(ProbeResult(rate, positions, *(totals[name] / count for name in totals)))
    model.train(was_training)
    return results
