"""The CPU dropout and attention of ``smdiff.nn.dropout`` against their plain PyTorch definitions."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from smdiff.nn.dropout import Dropout, attention, dropout, keep_mask


@pytest.mark.parametrize("p", [0.1, 0.2, 0.5])
def test_keep_mask_drops_the_requested_share(p):
    torch.manual_seed(0)
    n = 1 << 20
    kept = keep_mask((n,), p).double().mean().item()
    # within 6 binomial standard deviations of 1 - p
    assert abs(kept - (1 - p)) < 6 * math.sqrt(p * (1 - p) / n)


def test_keep_mask_edges_and_odd_sizes():
    assert keep_mask((3, 5, 7), 0.0).all()
    assert not keep_mask((3, 5, 7), 1.0).any()
    assert keep_mask((3, 5, 7), 0.3).shape == (3, 5, 7)


def test_keep_mask_neighbours_are_independent():
    """The four 16-bit lanes of one 64-bit draw must not be correlated."""
    torch.manual_seed(1)
    mask = keep_mask((1 << 20,), 0.5).double().view(-1, 4)
    correlation = torch.corrcoef(mask.T)
    off_diagonal = correlation[~torch.eye(4, dtype=torch.bool)]
    assert off_diagonal.abs().max().item() < 0.01


def test_keep_mask_follows_torch_seed():
    torch.manual_seed(7)
    first = keep_mask((1000,), 0.2)
    torch.manual_seed(7)
    assert torch.equal(first, keep_mask((1000,), 0.2))


def test_dropout_keeps_the_expectation_and_is_identity_in_eval():
    torch.manual_seed(2)
    x = torch.ones(1 << 18)
    y = dropout(x, 0.2, training=True)
    assert set(torch.unique(y).tolist()) == {0.0, 1.25}
    assert abs(y.mean().item() - 1.0) < 0.01
    layer = Dropout(0.2).eval()
    assert layer(x) is x
    with pytest.raises(ValueError, match="dropout probability"):
        Dropout(1.5)


def test_dropout_gradient_is_the_mask_times_the_scale():
    torch.manual_seed(3)
    x = torch.randn(64, 32, requires_grad=True)
    y = dropout(x, 0.25, training=True)
    (grad,) = torch.autograd.grad(y.sum(), x)
    kept = y != 0
    assert torch.allclose(grad, kept.float() / 0.75)


def test_attention_without_dropout_is_sdpa():
    torch.manual_seed(4)
    q, k, v = torch.randn(3, 2, 4, 16, 8).unbind(0)
    assert torch.allclose(attention(q, k, v, 0.0), F.scaled_dot_product_attention(q, k, v), atol=1e-6)


def test_attention_with_dropout_matches_the_textbook_definition():
    """softmax(q kᵀ/√d) with dropped probabilities scaled by 1/(1-p), times v — values and gradients."""
    q, k, v = (torch.randn(2, 3, 16, 8, dtype=torch.float64, requires_grad=True) for _ in range(3))
    torch.manual_seed(5)
    ours = attention(q, k, v, 0.3)
    torch.manual_seed(5)
    probs = (q @ k.transpose(-2, -1) / math.sqrt(8)).softmax(-1)
    reference = (probs * keep_mask(probs.shape, 0.3) / 0.7) @ v
    assert torch.allclose(ours, reference, atol=1e-12)
    for a, b in zip(
        torch.autograd.grad(ours.square().sum(), (q, k, v)),
        torch.autograd.grad(reference.square().sum(), (q, k, v)),
        strict=True,
    ):
        assert torch.allclose(a, b, atol=1e-10)
