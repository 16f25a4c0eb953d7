"""Fused Triton kernels for the hot diffusion operations; identical results to :mod:`torch_ref` within tolerance.

* masked multi-channel cross-entropy with per-row weights: loss and gradient
  with respect to the logits in one pass over each channel segment, never
  storing a softmax;
* forward corruption: per-row rate, the keyed uniforms of
  :mod:`smdiff.diffusion.keyed_noise` computed in the kernel, masked tokens;
* the sampling step: temperature, Gumbel-max with float64 noise, keep what is
  already unmasked, and a per-row "changed" flag for the sampler's cache.

On a CPU the kernels run under ``TRITON_INTERPRET=1`` (how their tests run).
Corruption masks are bit-identical to the reference's. The sampling noise
comes from Triton's Philox generator, seeded by a number the caller's
``torch.Generator`` draws on the device (never read back to the host), so runs
stay reproducible; tests pass explicit noise to compare it bit for bit.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from smdiff.diffusion import keyed_noise
from smdiff.diffusion.forward import constant_tensor, mask_ids
from smdiff.tokens import TokenSpec

# the hash's constants, as Triton kernels may read module globals only when they are constexpr
PRIME = tl.constexpr(keyed_noise.PRIME)
ROW_MULTIPLIER = tl.constexpr(keyed_noise.ROW_MULTIPLIER)
UNIT_MULTIPLIER = tl.constexpr(keyed_noise.UNIT_MULTIPLIER)
FINAL_MULTIPLIER = tl.constexpr(keyed_noise.FINAL_MULTIPLIER)
UNIFORM_SHIFT = tl.constexpr(31 - keyed_noise.UNIFORM_BITS)
UNIFORM_SCALE = tl.constexpr(2.0**-keyed_noise.UNIFORM_BITS)


def _block(size: int) -> int:
    return triton.next_power_of_2(max(size, 16))


def _segments(token_spec: TokenSpec, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, int]:
    offsets = constant_tensor(token_spec.offsets, torch.int32, device)
    sizes = constant_tensor(token_spec.vocab_sizes, torch.int32, device)
    return offsets, sizes, _block(max(token_spec.vocab_sizes))


@triton.jit
def _masked_ce_kernel(
    logits, targets, mask, weights, losses, grads, offsets, sizes,
    rows_per_sample, n_channels, total_vocab, scale, BLOCK: tl.constexpr,
):  # fmt: skip
    element = tl.program_id(0)  # one (position, channel) pair
    row = element // n_channels
    channel = element % n_channels
    offset = tl.load(offsets + channel)
    size = tl.load(sizes + channel)
    columns = tl.arange(0, BLOCK)
    inside = columns < size
    base = row.to(tl.int64) * total_vocab + offset
    x = tl.load(logits + base + columns, mask=inside, other=-float("inf")).to(tl.float32)
    active = tl.load(mask + element).to(tl.float32)
    weight = tl.load(weights + row // rows_per_sample) * active * scale
    peak = tl.max(x, axis=0)
    shifted = tl.exp(x - peak)
    total = tl.sum(shifted, axis=0)
    target = tl.load(targets + element)
    picked = tl.sum(tl.where(columns == target, x, 0.0), axis=0)
    loss = (peak + tl.log(total) - picked) * active
    tl.store(losses + element, loss)
    gradient = (shifted / total - tl.where(columns == target, 1.0, 0.0)) * weight
    tl.store(grads + base + columns, gradient, mask=inside)


class _MaskedCE(torch.autograd.Function):
    """Weighted masked cross-entropy whose backward reuses the gradient computed in the forward pass.

    The saved gradient is float32 whatever the logits' dtype, and the backward
    scales it in float32 before casting: per-element gradients are about
    ``1/(L·C·ln 2·B)`` (≈ 1e-5 at L=1024, C=8, B=16), below float16's normal
    range once multiplied by small probabilities, and a GradScaler's scale
    (65,536 at first) is itself past float16's largest value. Stored or scaled
    in float16, they flushed to zero or became infinite.
    """

    @staticmethod
    def forward(ctx, logits, targets, mask, weights, token_spec):
        batch, length, total = logits.shape
        channels = token_spec.n_channels
        flat = logits.contiguous()
        losses = torch.empty(batch * length * channels, dtype=torch.float32, device=logits.device)
        grads = torch.empty(flat.shape, dtype=torch.float32, device=flat.device)
        offsets, sizes, block = _segments(token_spec, logits.device)
        _masked_ce_kernel[(batch * length * channels,)](
            flat, targets.contiguous().view(-1), mask.contiguous().view(-1).to(torch.int8), weights.float().contiguous(),
            losses, grads, offsets, sizes, length, channels, total, 1.0 / batch, BLOCK=block,
        )  # fmt: skip
        ctx.save_for_backward(grads)
        ctx.logits_dtype = logits.dtype
        ce_sum = losses.view(batch, length * channels).sum(1)
        return (ce_sum * weights).mean(), ce_sum

    @staticmethod
    def backward(ctx, grad_loss, grad_ce):
        (grads,) = ctx.saved_tensors
        return (grads * grad_loss.float()).to(ctx.logits_dtype), None, None, None, None


@triton.jit
def _keyed_uniform(key, row, unit):
    """:func:`smdiff.diffusion.keyed_noise.mix` of int64 ``row`` and ``unit``, as a float32 uniform."""
    x = (row ^ key) % PRIME
    x = (x * ROW_MULTIPLIER) % PRIME
    x = x ^ (x >> 16)
    x = ((x ^ unit) * UNIT_MULTIPLIER) % PRIME
    x = x ^ (x >> 15)
    x = (x * FINAL_MULTIPLIER) % PRIME
    x = x ^ (x >> 16)
    x = (x * ROW_MULTIPLIER) % PRIME
    return (x >> UNIFORM_SHIFT).to(tl.float32) * UNIFORM_SCALE


@triton.jit
def _corrupt_kernel(tokens, rates, absorbing_ids, noisy, masked, key, first_row, length, n_channels,
                    PER_TOKEN: tl.constexpr, BLOCK: tl.constexpr):  # fmt: skip
    row = tl.program_id(0)
    block = tl.program_id(1)
    elements = block * BLOCK + tl.arange(0, BLOCK)
    inside = elements < length * n_channels
    index = row.to(tl.int64) * length * n_channels + elements
    unit = (elements // n_channels if PER_TOKEN else elements).to(tl.int64)
    draw = _keyed_uniform(key, row.to(tl.int64) + first_row, unit)
    hit = draw < tl.load(rates + row)
    token = tl.load(tokens + index, mask=inside, other=0)
    absorbed = tl.load(absorbing_ids + elements % n_channels, mask=inside, other=0)
    tl.store(noisy + index, tl.where(hit, absorbed, token), mask=inside)
    tl.store(masked + index, hit.to(tl.int8), mask=inside)


@triton.jit
def _sample_kernel(logits, tokens, unmask, noise, out, changed, offsets, sizes, seeds, n_channels, total_vocab, length,
                   inverse_temperature, HAS_NOISE: tl.constexpr, BLOCK: tl.constexpr):  # fmt: skip
    element = tl.program_id(0)
    row = element // n_channels
    channel = element % n_channels
    token = tl.load(tokens + element)
    if tl.load(unmask + element) != 0:
        offset = tl.load(offsets + channel)
        size = tl.load(sizes + channel)
        columns = tl.arange(0, BLOCK)
        inside = columns < size
        scores = tl.load(logits + row.to(tl.int64) * total_vocab + offset + columns, mask=inside, other=0.0).to(
            tl.float64
        )
        if HAS_NOISE:
            uniform = tl.load(noise + row.to(tl.int64) * total_vocab + offset + columns, mask=inside, other=0.5)
        else:
            # float64 uniforms from two 32-bit Philox draws (53 random bits), as the reference's float64 noise.
            seed = tl.load(seeds)  # drawn on the device by the caller's generator: no host round trip
            high, low, _, _ = tl.randint4x(seed, element.to(tl.int64) * BLOCK + columns)
            bits = (high.to(tl.uint32) >> 5).to(tl.float64) * 67108864.0 + (low.to(tl.uint32) >> 6).to(tl.float64)
            uniform = (bits + 0.5) / 9007199254740992.0
        gumbel = -tl.log(-tl.log(tl.maximum(uniform, 1e-300)))
        value = tl.where(inside, scores * inverse_temperature + gumbel, -float("inf"))
        choice = tl.argmax(value, axis=0).to(token.dtype)
        tl.store(out + element, choice)
        tl.atomic_max(changed + row // length, (choice != token).to(tl.int32))
    else:
        tl.store(out + element, token)


class TritonKernels:
    """The fused kernels behind the same interface as :class:`~smdiff.kernels.torch_ref.TorchKernels`."""

    name = "triton"

    def masked_cross_entropy(
        self,
        logits: torch.Tensor,
        targets: torch.Tensor,
        mask: torch.Tensor,
        weights: torch.Tensor,
        token_spec: TokenSpec,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss and per-row masked CE sums, gradient computed in the same pass."""
        loss, ce_sum = _MaskedCE.apply(logits, targets, mask, weights, token_spec)
        return loss, ce_sum.detach()

    def corrupt(
        self, tokens: torch.Tensor, rates: torch.Tensor, unit: str, token_spec: TokenSpec, key: int, first_row: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Absorb each element (or token) whose keyed uniform is below its row's rate: the noisy tokens and the mask."""
        batch, length, channels = tokens.shape
        noisy = torch.empty_like(tokens)
        masked = torch.empty(tokens.shape, dtype=torch.int8, device=tokens.device)
        block = 1024
        grid = (batch, triton.cdiv(length * channels, block))
        absorbing = mask_ids(token_spec, tokens.device, tokens.dtype)
        _corrupt_kernel[grid](
            tokens.contiguous(), rates.float().contiguous(), absorbing, noisy, masked, key, first_row, length, channels,
            PER_TOKEN=unit == "token", BLOCK=block,
        )  # fmt: skip
        return noisy, masked.bool()

    def sample_step(
        self, logits: torch.Tensor, tokens: torch.Tensor, unmask: torch.Tensor, token_spec: TokenSpec, temperature: float,
        generator: torch.Generator, noise: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        """Gumbel-max draws where ``unmask``, and which rows changed."""
        batch, length, channels = tokens.shape
        out = torch.empty_like(tokens)
        changed = torch.zeros(batch, dtype=torch.int32, device=tokens.device)
        offsets, sizes, block = _segments(token_spec, tokens.device)
        seeds = torch.randint(0, 2**31 - 1, (1,), generator=generator, device=generator.device).to(tokens.device)
        _sample_kernel[(batch * length * channels,)](
            logits.contiguous(), tokens.contiguous(), unmask.contiguous().to(torch.int8),
            noise if noise is not None else logits, out, changed, offsets, sizes, seeds, channels,
            logits.shape[-1], length, 1.0 / max(temperature, 1e-6), HAS_NOISE=noise is not None, BLOCK=block,
        )  # fmt: skip
        return out, changed.bool()
