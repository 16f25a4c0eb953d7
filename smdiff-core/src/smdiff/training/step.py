"""One micro-batch's loss and one validation pass of the absorbing diffusion objective."""

from __future__ import annotations

import contextlib

import attrs
import numpy as np
import torch
from torch import nn

from smdiff.diffusion.forward import apply_mask, sample_rates
from smdiff.diffusion.keyed_noise import noise_key
from smdiff.diffusion.losses import elbo_bits, loss_weights, pitch_answers
from smdiff.training.components import Components
from smdiff.training.data import fetch_batch, to_device


@attrs.frozen
class NoiseSource:
    """Where one micro-batch's masks come from.

    The random masker's masks are keyed uniforms of (``key``, global row): a
    process holding rows ``first_row …`` of the global batch masks exactly what
    a single process with the whole batch masks there. Structured maskers from
    plugins draw from ``generator``.
    """

    key: int
    first_row: int
    generator: torch.Generator


def autocast(c: Components) -> contextlib.AbstractContextManager:
    """Mixed precision for the forward pass when ``train.amp`` asks for it."""
    if c.amp_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(c.device.type, dtype=c.amp_dtype)


def draw_rates(c: Components, global_batch: int, rows: slice, generator: torch.Generator) -> torch.Tensor:
    """This process's ``rows`` of masking rates drawn for the whole global batch (so antithetic spreads stay global)."""
    return sample_rates(global_batch, c.config.diffusion.time_sampling, generator)[rows]


def corrupt(
    c: Components, clean: torch.Tensor, rates: torch.Tensor, noise: NoiseSource
) -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy tokens and mask for this process's rows only."""
    if c.masker.kernel_unit is not None:  # the plain absorbing mask: the kernel fuses it with keyed noise
        return c.kernel.corrupt(clean, rates, c.masker.kernel_unit, c.token_spec, noise.key, noise.first_row)
    mask = c.masker(clean, rates, noise.generator)
    return apply_mask(clean, mask, c.token_spec), mask


def diffusion_loss(
    c: Components, model: nn.Module, clean: torch.Tensor, rates: torch.Tensor, noise: NoiseSource, loss: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss (differentiable) and per-row ELBO bits of ``clean`` at masking ``rates``; nothing is read to the host."""
    noisy, mask = corrupt(c, clean, rates, noise)
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
    total, count = torch.zeros((), dtype=torch.float64, device=c.device), 0
    for number, start in enumerate(range(0, min(len(indices), batches * size), size)):
        clean = to_device(fetch_batch(c.cache.windows, indices[start : start + size]), c.device)
        rates = draw_rates(c, len(clean), slice(None), generator)
        noise = NoiseSource(noise_key(seed, number), 0, generator)
        _, bits = diffusion_loss(c, model, clean, rates, noise, "elbo")
        total += bits.sum()
        count += len(clean)
    model.train(was_training)
    return float(total) / max(count, 1)
