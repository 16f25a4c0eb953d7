"""The Triton kernels agree with the PyTorch reference, checked on the CPU under TRITON_INTERPRET=1."""

from __future__ import annotations

import os

import pytest
import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")  # must be set before the kernels are defined
pytest.importorskip("triton")

from smdiff.diffusion.keyed_noise import noise_key
from smdiff.diffusion.losses import loss_weights
from smdiff.kernels.torch_ref import TorchKernels
from smdiff.kernels.triton_kernels import TritonKernels
from smdiff.tokens import TokenSpec

SPECS = {
    "trio grid": TokenSpec(("m", "b", "p"), (90, 90, 90)),
    "octuple": TokenSpec(tuple("abcdefgh"), (33, 129, 4, 129, 129, 33, 255, 50)),
}
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def batch(spec: TokenSpec, seed: int, batch_size: int = 2, length: int = 5):
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch_size, length, spec.total_vocab, generator=generator, dtype=torch.float64).to(DEVICE)
    targets = torch.stack(
        [torch.randint(0, size, (batch_size, length), generator=generator) for size in spec.vocab_sizes], -1
    )
    mask = torch.rand(batch_size, length, spec.n_channels, generator=generator) < 0.5
    return logits, targets.to(DEVICE), mask.to(DEVICE)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_masked_cross_entropy_forward_and_backward_match_autograd_of_the_reference(name):
    spec = SPECS[name]
    logits, targets, mask = batch(spec, 0)
    weights = torch.tensor([0.7, 1.9], device=DEVICE)
    reference_logits = logits.clone().float().requires_grad_(True)
    fused_logits = logits.clone().float().requires_grad_(True)
    loss_ref, ce_ref = TorchKernels().masked_cross_entropy(reference_logits, targets, mask, weights, spec)
    loss_fused, ce_fused = TritonKernels().masked_cross_entropy(fused_logits, targets, mask, weights, spec)
    (3.0 * loss_ref).backward()
    (3.0 * loss_fused).backward()
    assert torch.allclose(ce_fused, ce_ref, atol=1e-4) and torch.allclose(loss_fused, loss_ref, atol=1e-5)
    assert torch.allclose(fused_logits.grad, reference_logits.grad, atol=1e-6)
    unmasked = ~mask[..., 0]
    assert torch.count_nonzero(fused_logits.grad[..., : spec.vocab_sizes[0]][unmasked]) == 0


@pytest.mark.parametrize("name", sorted(SPECS))
def test_float16_gradients_of_the_fused_loss_survive_loss_scaling(name):
    """fp16 autocast: per-element weights as at L=1024, C=8, B=16 and GradScaler's first scale (65,536).

    Stored in float16 before scaling, the gradients flushed to zero; the scale itself is infinite in float16.
    """
    spec, rows, scale = SPECS[name], 2, 65536.0
    logits, targets, mask = batch(spec, 4, batch_size=rows, length=64)
    rates = torch.tensor([0.3, 0.8], device=DEVICE)
    # the kernel divides by the rows it sees (2): weights scaled so each element's weight is the real run's
    weights = loss_weights(rates, "reweighted_elbo", 1024 * 8) * rows / 16
    reference_logits = logits.clone().float().requires_grad_(True)
    fused_logits = logits.clone().half().requires_grad_(True)
    loss_ref, _ = TorchKernels().masked_cross_entropy(reference_logits, targets, mask, weights, spec)
    loss_fused, _ = TritonKernels().masked_cross_entropy(fused_logits, targets, mask, weights, spec)
    (scale * loss_ref).backward()
    (scale * loss_fused).backward()
    expected, got = reference_logits.grad, fused_logits.grad.float()
    assert fused_logits.grad.dtype == torch.float16 and torch.isfinite(got).all()
    assert torch.count_nonzero(got[expected.abs() > 1e-6]) == torch.count_nonzero(expected.abs() > 1e-6)  # none flushed
    assert torch.allclose(got, expected, rtol=2e-2, atol=1e-6)


@pytest.mark.parametrize("unit", ["element", "token"])
@pytest.mark.parametrize(("key", "first_row"), [(1, 0), (1, 1), (noise_key(7, 3, 0), 5)])
def test_corruption_is_bit_identical_to_the_reference(unit, key, first_row):
    """The kernel computes the same keyed uniforms in-kernel; 1 is included because Triton specialises it."""
    spec = SPECS["octuple"]
    _, tokens, _ = batch(spec, 1, batch_size=3, length=300)
    rates = torch.tensor([0.1, 0.5, 0.9], device=DEVICE)
    noisy_ref, mask_ref = TorchKernels().corrupt(tokens, rates, unit, spec, key, first_row)
    noisy, mask = TritonKernels().corrupt(tokens, rates, unit, spec, key, first_row)
    assert torch.equal(mask, mask_ref) and torch.equal(noisy, noisy_ref)


def test_in_kernel_random_masking_follows_the_rates_and_is_reproducible():
    spec = SPECS["trio grid"]
    tokens = torch.zeros(2, 800, 3, dtype=torch.long, device=DEVICE)
    rates = torch.tensor([0.2, 0.8], device=DEVICE)
    first = TritonKernels().corrupt(tokens, rates, "element", spec, 5)[1]
    again = TritonKernels().corrupt(tokens, rates, "element", spec, 5)[1]
    assert torch.equal(first, again)
    assert abs(first[0].float().mean().item() - 0.2) < 0.04 and abs(first[1].float().mean().item() - 0.8) < 0.04
    per_token = TritonKernels().corrupt(tokens, rates, "token", spec, 5)[1]
    assert (per_token[..., 0] == per_token[..., 2]).all()


@pytest.mark.parametrize("name", sorted(SPECS))
def test_sample_step_matches_the_reference_given_the_same_noise(name):
    spec = SPECS[name]
    logits, tokens, unmask = batch(spec, 3)
    noise = torch.rand(logits.shape, generator=torch.Generator().manual_seed(4), dtype=torch.float64).to(DEVICE)
    generator = torch.Generator(DEVICE).manual_seed(0)
    expected, expected_changed = TorchKernels().sample_step(
        logits.float(), tokens, unmask, spec, 0.7, generator, noise=noise
    )
    drawn, changed = TritonKernels().sample_step(logits.float(), tokens, unmask, spec, 0.7, generator, noise=noise)
    assert torch.equal(drawn, expected)
    assert torch.equal(drawn[~unmask], tokens[~unmask])
    assert torch.equal(changed, (drawn != tokens).flatten(1).any(1)) and torch.equal(changed, expected_changed)


def test_in_kernel_gumbel_draws_follow_the_softmax():
    spec = TokenSpec(("x",), (4,))
    logits = torch.log(torch.tensor([0.1, 0.2, 0.3, 0.4], device=DEVICE)).expand(1, 600, 4).contiguous()
    tokens = torch.zeros(1, 600, 1, dtype=torch.long, device=DEVICE)
    unmask = torch.ones_like(tokens, dtype=torch.bool)
    drawn, _ = TritonKernels().sample_step(logits, tokens, unmask, spec, 1.0, torch.Generator(DEVICE).manual_seed(1))
    shares = torch.bincount(drawn.flatten(), minlength=4).float() / 600
    assert torch.allclose(shares, torch.tensor([0.1, 0.2, 0.3, 0.4], device=DEVICE), atol=0.06)
