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
  backed off to the unigram with weight one note: p = (n_p + u_p) / (n + 1).

A model that beats the unigram has learned which pitches are common; one that
beats the context histogram has learned more than "reuse the pitches around
the gap" — key, contour, repetition.
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


@attrs.frozen
class ProbeResult:
    """Mean bits per masked pitch at one masking rate, for the model and both baselines."""

    rate: float
    positions: int
    model_bits: float
    unigram_bits: float
    context_bits: float

    def as_log(self) -> dict[str, float]:
        """Scalars named for a training log (``model_bits_50`` at rate 0.5, …)."""
        percent = round(self.rate * 100)
        return {
            f"model_bits_{percent}": self.model_bits,
            f"unigram_bits_{percent}": self.unigram_bits,
            f"context_bits_{percent}": self.context_bits,
        }


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
    unigram: np.ndarray,
    *,
    rates: Sequence[float] = RATES,
    unit: str = "element",
    seed: int = 0,
    device: torch.device | str = "cpu",
    batch_size: int = 16,
) -> list[ProbeResult]:
    """Masked-pitch bits of ``model`` on ``windows`` ``[N, L, C]`` at each masking rate, beside both baselines.

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
    results = []
    for rate in rates:
        rng = np.random.default_rng(seed)
        totals = {"model": 0.0, "unigram": 0.0, "context": 0.0}
        positions = 0
        for first in range(0, len(windows), batch_size):
            clean = windows[first : first + batch_size]
            shape = (*clean.shape[:2], clean.shape[2] if unit == "element" else 1)
            mask = np.broadcast_to(rng.random(shape) < rate, clean.shape)
            noisy = apply_mask(torch.from_numpy(clean).to(device), torch.from_numpy(mask.copy()).to(device), token_spec)
            outputs = model(noisy).float()
            batch_pitches = pitches[first : first + batch_size]
            visible = np.where(~mask, batch_pitches, -1)
            context = np.stack([np.bincount(v[v >= 0], minlength=N_PITCHES) for v in visible.reshape(len(clean), -1)])
            context = (context + unigram) / (context.sum(axis=1, keepdims=True) + 1.0)
            for channel, table in pitch_tokens.items():
                tokens, support = _support(table)
                scored = mask[..., channel] & (batch_pitches[..., channel] >= 0)
                if not scored.any():
                    continue
                rows, columns = np.nonzero(scored)
                truth = batch_pitches[rows, columns, channel]
                logits = outputs[..., offsets[channel] : offsets[channel] + len(table)]
                totals["model"] += _model_bits(logits, tokens, rows, columns, np.searchsorted(support, truth))
                totals["unigram"] += float(
                    _baseline_bits(np.broadcast_to(unigram, (len(truth), N_PITCHES)), support, truth).sum()
                )
                totals["context"] += float(_baseline_bits(context[rows], support, truth).sum())
                positions += len(rows)
        count = max(positions, 1)
        results.append(
            ProbeResult(rate, positions, totals["model"] / count, totals["unigram"] / count, totals["context"] / count)
        )
    model.train(was_training)
    return results
