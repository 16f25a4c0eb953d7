"""One optimisation step and one validation pass of the absorbing diffusion objective."""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from torch import nn

from smdiff.diffusion.forward import apply_mask, sample_rates
from smdiff.diffusion.losses import elbo_bits, loss_weights, pitch_answers
from smdiff.diffusion.maskers import RandomMasker
from smdiff.training.data import fetch_batch, to_device
from smdiff.training.setup import Components


def autocast(c: Components) -> contextlib.AbstractContextManager:
    """Mixed precision for the forward pass when ``train.amp`` asks for it."""
    if c.amp_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(c.device.type, dtype=c.amp_dtype)


def diffusion_loss(
    c: Components, model: nn.Module, batch: torch.Tensor, generator: torch.Generator, rows: slice, loss: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss (differentiable) and per-row ELBO bits for this process's ``rows`` of the global ``batch``.

    Rates and masks are drawn for the whole global batch, so a data-parallel
    run sees exactly the noise of a single-process run with the same global batch.
    """
    rates = sample_rates(batch.shape[0], c.config.diffusion.time_sampling, generator).to(c.device)
    if isinstance(c.masker, RandomMasker):  # the kernel's fused corruption implements the random masker
        noisy, mask = c.kernel.corrupt(batch, rates, c.masker.unit, c.token_spec, generator)
        noisy, mask = noisy[rows], mask[rows]
    else:
        mask = c.masker(batch, rates, generator)[rows]
        noisy = apply_mask(batch[rows], mask, c.token_spec)
    clean, rates = batch[rows], rates[rows]
    with autocast(c):
        logits = model(noisy)
    elements = clean.shape[1] * clean.shape[2]
    weights = loss_weights(rates, loss, elements)
    pitch_weight = c.config.diffusion.pitch_weight
    if pitch_weight == 1.0 or c.pitch_answers is None:
        value, ce_sum = c.kernel.masked_cross_entropy(logits, clean, mask, weights, c.token_spec)
    else:  # two passes of the kernel's loss: masked pitches weighted, every other masked element as it is
        pitched = mask & pitch_answers(c.pitch_answers, clean)
        rest, rest_sum = c.kernel.masked_cross_entropy(logits, clean, mask & ~pitched, weights, c.token_spec)
        pitch, pitch_sum = c.kernel.masked_cross_entropy(logits, clean, pitched, weights, c.token_spec)
        value, ce_sum = rest + pitch_weight * pitch, rest_sum + pitch_sum
    return value, elbo_bits(ce_sum, rates, elements)


@torch.no_grad()
def validate(c: Components, model: nn.Module, indices: np.ndarray, batches: int, seed: int) -> float:
    """Mean ELBO bits per token on the first ``batches`` validation batches, with fixed noise (comparable over time)."""
    was_training = model.training
    model.eval()
    generator = torch.Generator(c.device).manual_seed(seed)
    size = c.config.train.batch_size
    total, count = 0.0, 0
    for start in range(0, min(len(indices), batches * size), size):
        clean = to_device(fetch_batch(c.cache.windows, indices[start : start + size]), c.device)
        _, bits = diffusion_loss(c, model, clean, generator, slice(None), "elbo")
        total += float(bits.sum())
        count += len(clean)
    model.train(was_training)
    return total / max(count, 1)
