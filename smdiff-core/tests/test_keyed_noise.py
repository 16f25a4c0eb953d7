"""Keyed masking noise: uniform, independent, and the same for a shard as for the whole batch."""

from __future__ import annotations

import pytest
import torch

from smdiff.diffusion.keyed_noise import PRIME, keyed_uniforms, noise_key
from smdiff.kernels.torch_ref import TorchKernels
from smdiff.tokens import TokenSpec


def correlation(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.corrcoef(torch.stack([a.flatten(), b.flatten()]))[0, 1])


def test_uniforms_are_uniform_and_exact_multiples_of_two_to_the_minus_24():
    draws = keyed_uniforms(noise_key(0, 1, 0), 0, 256, 4096, "cpu")
    assert draws.dtype == torch.float32 and draws.min() >= 0 and draws.max() < 1
    assert torch.equal(draws * 2**24, (draws * 2**24).floor())
    counts = torch.histc(draws, bins=100, min=0, max=1)
    chi_square = float(((counts - counts.mean()) ** 2 / counts.mean()).sum())
    assert chi_square < 150  # 99 degrees of freedom: the 99.9th percentile is 148
    assert abs(float(draws.mean()) - 0.5) < 0.002 and abs(float(draws.var()) - 1 / 12) < 0.001


def test_neighbouring_units_rows_and_keys_are_uncorrelated():
    draws = keyed_uniforms(noise_key(3, 9, 1), 0, 256, 4096, "cpu")
    assert abs(correlation(draws[:, :-1], draws[:, 1:])) < 0.01
    assert abs(correlation(draws[:-1], draws[1:])) < 0.01
    next_step = keyed_uniforms(noise_key(3, 10, 1), 0, 256, 4096, "cpu")
    next_micro_batch = keyed_uniforms(noise_key(3, 9, 2), 0, 256, 4096, "cpu")
    assert abs(correlation(draws, next_step)) < 0.01 and abs(correlation(draws, next_micro_batch)) < 0.01
    masks = draws < 0.3  # joint masking of neighbours is the product of the rates
    assert abs(float((masks[:, :-1] & masks[:, 1:]).float().mean()) - 0.09) < 0.003


def test_keys_are_in_range_and_differ_for_different_counters():
    keys = {noise_key(seed, step, micro) for seed in range(3) for step in range(200) for micro in range(2)}
    assert len(keys) == 1200 and all(0 < key < PRIME for key in keys)


@pytest.mark.parametrize("unit", ["element", "token"])
def test_a_shard_is_masked_exactly_like_the_same_rows_of_the_whole_batch(unit):
    """What lets each data-parallel rank corrupt only its own rows and still match a single process."""
    spec = TokenSpec(("a", "b"), (5, 7))
    tokens = torch.randint(0, 5, (6, 50, 2))
    rates = torch.linspace(0.1, 0.9, 6)
    whole, whole_mask = TorchKernels().corrupt(tokens, rates, unit, spec, key=12345)
    for first in (0, 2, 4):
        shard, mask = TorchKernels().corrupt(
            tokens[first : first + 2], rates[first : first + 2], unit, spec, 12345, first
        )
        assert torch.equal(shard, whole[first : first + 2]) and torch.equal(mask, whole_mask[first : first + 2])
    if unit == "token":
        assert (whole_mask[..., 0] == whole_mask[..., 1]).all()
