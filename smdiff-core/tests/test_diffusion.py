"""The absorbing forward process, the losses and the samplers, on small real tensors."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from smdiff.diffusion.forward import apply_mask, random_mask, sample_rates
from smdiff.diffusion.losses import elbo_bits, loss_weights
from smdiff.diffusion.sampling import filter_logits, sample
from smdiff.kernels.torch_ref import TorchKernels
from smdiff.tokens import TokenSpec

SPEC = TokenSpec(channels=("a", "b"), vocab_sizes=(5, 3))


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def test_token_spec_offsets_and_mask_ids():
    assert SPEC.offsets == (0, 5) and SPEC.total_vocab == 8 and SPEC.mask_ids == (5, 3)
    assert TokenSpec.from_dict(SPEC.to_dict()) == SPEC and len(SPEC.digest()) == 16


def test_rates_lie_in_range_and_antithetic_rates_are_spread():
    rates = sample_rates(1000, "uniform", generator())
    assert rates.min() > 0 and rates.max() <= 1 and abs(float(rates.mean()) - 0.5) < 0.05
    spread = sample_rates(8, "antithetic", generator()).sort().values
    assert torch.allclose(spread.diff(), torch.full((7,), 1 / 8 * (1 - 1e-3)), atol=1e-4)


def test_element_masks_follow_the_rate_and_token_masks_cover_whole_positions():
    rates = torch.tensor([0.1, 0.9])
    mask = random_mask((2, 4000, 2), rates, "element", generator())
    assert abs(float(mask[0].float().mean()) - 0.1) < 0.02 and abs(float(mask[1].float().mean()) - 0.9) < 0.02
    token = random_mask((2, 500, 2), rates, "token", generator())
    assert (token[..., 0] == token[..., 1]).all()


def test_apply_mask_uses_each_channels_mask_id():
    tokens = torch.tensor([[[1, 2], [3, 0]]])
    mask = torch.tensor([[[True, False], [True, True]]])
    assert apply_mask(tokens, mask, SPEC).tolist() == [[[5, 2], [5, 3]]]


def test_masked_cross_entropy_matches_a_direct_computation():
    logits = torch.randn(2, 6, SPEC.total_vocab, generator=generator(), requires_grad=True)
    targets = torch.stack([torch.randint(0, 5, (2, 6)), torch.randint(0, 3, (2, 6))], dim=-1)
    mask = torch.rand(2, 6, 2, generator=generator(1)) < 0.5
    weights = torch.tensor([0.5, 2.0])
    loss, ce = TorchKernels().masked_cross_entropy(logits, targets, mask, weights, SPEC)
    expected = torch.zeros(2)
    for b in range(2):
        for pos in range(6):
            for c, (offset, size) in enumerate(zip(SPEC.offsets, SPEC.vocab_sizes, strict=True)):
                if mask[b, pos, c]:
                    expected[b] += F.cross_entropy(logits[b, pos, offset : offset + size], targets[b, pos, c])
    assert torch.allclose(ce, expected.detach(), atol=1e-5)
    assert torch.allclose(loss, (expected * weights).mean(), atol=1e-5)
    loss.backward()
    unmasked_grad = logits.grad[..., :5][~mask[..., 0]]
    assert torch.count_nonzero(unmasked_grad) == 0  # unmasked elements do not contribute


def test_loss_weights():
    rates = torch.tensor([0.25, 1.0])
    assert torch.allclose(loss_weights(rates, "elbo", 10), 1 / (10 * math.log(2)) / rates)
    assert torch.allclose(loss_weights(rates, "reweighted_elbo", 10), (1 - rates) / (10 * math.log(2)))
    assert torch.allclose(
        elbo_bits(torch.tensor([math.log(2) * 10 * 0.25]), torch.tensor([0.25]), 10), torch.tensor([1.0])
    )


class CountingModel(torch.nn.Module):
    """Prefers token 1 in every channel, and counts the rows it sees."""

    def __init__(self):
        super().__init__()
        self.rows = 0

    def forward(self, tokens):
        self.rows += tokens.shape[0]
        logits = torch.full((*tokens.shape[:2], SPEC.total_vocab), -5.0)
        logits[..., 1] = 5.0
        logits[..., 5 + 1] = 5.0
        return logits


@pytest.mark.parametrize("method", ["ancestral", "confidence"])
def test_samplers_fill_every_mask_and_never_touch_given_tokens(method):
    initial = torch.randint(0, 3, (3, 40, 2), generator=generator())
    gap = torch.zeros_like(initial, dtype=torch.bool)
    gap[:, 10:30] = True
    initial[gap] = torch.tensor(SPEC.mask_ids).expand(3, 40, 2)[gap]
    out, _ = sample(CountingModel(), TorchKernels(), SPEC, initial, method=method, steps=8, generator=generator())
    assert torch.equal(out[~gap], initial[~gap])  # bit-exact outside the gap
    assert (out[gap] == 1).float().mean() > 0.9 and (out < torch.tensor(SPEC.vocab_sizes)).all()


def test_same_seed_same_samples_and_one_step_works():
    initial = torch.tensor(SPEC.mask_ids).expand(2, 16, 2).clone()
    logits_model = lambda tokens: torch.randn(*tokens.shape[:2], SPEC.total_vocab, generator=generator(7))  # noqa: E731
    first, _ = sample(logits_model, TorchKernels(), SPEC, initial, steps=16, generator=generator(3))
    second, _ = sample(logits_model, TorchKernels(), SPEC, initial, steps=16, generator=generator(3))
    assert torch.equal(first, second)
    once, _ = sample(logits_model, TorchKernels(), SPEC, initial, steps=1, generator=generator(3))
    assert (once < torch.tensor(SPEC.vocab_sizes)).all()


class HoldOrNote:
    """Logits that tell the two confidence scores apart; records the tokens of every call.

    Channel ``a``: positions 0-7 are 60 % "hold" (token 0) and 10 % each of
    tokens 1-4 (entropy 1.23 nats); positions 8-15 are 50/50 tokens 3 or 4
    (0.69 nats). Channel ``b`` is uniform (1.10 nats). A drawn hold (log-prob
    -0.51) beats any draw at 8-15 (-0.69) on probability, yet its distribution
    is the flattest: the entropy score commits positions 8-15 first.
    """

    def __init__(self):
        self.seen = []

    def __call__(self, tokens):
        self.seen.append(tokens.clone())
        logits = torch.full((*tokens.shape[:2], SPEC.total_vocab), -30.0)
        logits[:, :8, 0] = math.log(0.6)
        logits[:, :8, 1:5] = math.log(0.1)
        logits[:, 8:, 3:5] = math.log(0.5)
        logits[..., 5:] = 0.0
        return logits


@pytest.mark.parametrize("score", ["probability", "entropy"])
def test_confidence_scores_choose_what_to_commit_first(score):
    model = HoldOrNote()
    initial = torch.tensor(SPEC.mask_ids).expand(64, 16, 2).clone()
    out, _ = sample(
        model, TorchKernels(), SPEC, initial, method="confidence", steps=2, generator=generator(),
        confidence_score=score, confidence_noise=0.0,
    )  # fmt: skip
    assert (out < torch.tensor(SPEC.vocab_sizes)).all()
    after_first_step = model.seen[1]
    committed_early = (after_first_step[:, :8, 0] != SPEC.mask_ids[0]).float().mean().item()
    committed_late = (after_first_step[:, 8:, 0] != SPEC.mask_ids[0]).float().mean().item()
    if score == "entropy":
        assert committed_early == 0.0 and committed_late == 1.0
    else:  # the drawn holds go first: about 60 % of positions 0-7
        assert 0.4 < committed_early < 0.8 and committed_late < 1.0


def test_network_is_skipped_for_rows_and_steps_where_nothing_changed():
    model = CountingModel()
    initial = torch.tensor(SPEC.mask_ids).expand(4, 8, 2).clone()
    initial[2:] = 0  # rows 2 and 3 have nothing to generate
    _, denoiser = sample(model, TorchKernels(), SPEC, initial, steps=64, generator=generator())
    assert denoiser.calls < 64 and model.rows == denoiser.rows_computed < 64 * 4
    assert model.rows <= 4 + 2 * 16  # first call sees every row, later calls only rows 0-1 after each change


def test_top_k_and_top_p_filtering():
    logits = torch.tensor([[[4.0, 3.0, 2.0, 1.0, 0.0, 1.0, 0.0, -1.0]]])
    top1 = filter_logits(logits, SPEC, top_k=1, top_p=None)
    assert torch.isinf(top1[0, 0, 1:5]).all() and top1[0, 0, 0] == 4.0 and torch.isinf(top1[0, 0, 6:]).all()
    nucleus = filter_logits(logits, SPEC, top_k=None, top_p=0.5)
    assert nucleus[0, 0, 0] == 4.0 and torch.isinf(nucleus[0, 0, 2:5]).all()
