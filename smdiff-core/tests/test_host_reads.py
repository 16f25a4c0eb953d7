"""The hot paths never wait for the device: counted with a torch function mode on the CPU.

On a GPU every read of a value back to the host, and every tensor copied from
Python data, makes the host wait for the device. ``counted_host_traffic``
counts both on any device, so these tests fail on the CPU if a hot path starts
reading or building tensors from lists.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from smdiff.config.schema import DiffusionConfig
from smdiff.diffusion.forward import sample_rates
from smdiff.diffusion.keyed_noise import noise_key
from smdiff.diffusion.maskers import RandomMasker
from smdiff.diffusion.sampling import sample
from smdiff.kernels.torch_ref import TorchKernels
from smdiff.testing import counted_host_traffic
from smdiff.tokens import TokenSpec
from smdiff.training.ema import EMA
from smdiff.training.nonfinite import NonFiniteGuard
from smdiff.training.step import NoiseSource, diffusion_loss

SPEC = TokenSpec(("pitch", "velocity"), (12, 5))


class Denoiser(nn.Module):
    """A small real network over the two channels."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.ModuleList(nn.Embedding(size + 1, 16) for size in SPEC.vocab_sizes)
        self.out = nn.Linear(16, SPEC.total_vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.out(sum(embed(tokens[..., c]) for c, embed in enumerate(self.embed)))


def components() -> SimpleNamespace:
    """What the loss reads of a run's components."""
    return SimpleNamespace(
        masker=RandomMasker(SPEC, "element"), kernel=TorchKernels(), token_spec=SPEC, amp_dtype=None,
        config=SimpleNamespace(diffusion=DiffusionConfig()), pitch_answers=None, device=torch.device("cpu"),
    )  # fmt: skip


def clean_batch(rows: int = 4, length: int = 32) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    return torch.stack([torch.randint(0, v, (rows, length), generator=generator) for v in SPEC.vocab_sizes], -1)


def test_the_reference_loss_reads_nothing_and_traces_as_one_graph():
    logits = torch.randn(3, 16, SPEC.total_vocab, requires_grad=True)
    clean, mask, weights = clean_batch(3, 16), torch.rand(3, 16, 2) < 0.5, torch.rand(3)
    with counted_host_traffic() as counted:
        loss, _ = TorchKernels().masked_cross_entropy(logits, clean, mask, weights, SPEC)
        loss.backward()
    assert counted == []
    compiled = torch.compile(TorchKernels().masked_cross_entropy, fullgraph=True, backend="eager")
    traced, _ = compiled(logits, clean, mask, weights, SPEC)  # fullgraph: a data-dependent shape would raise
    assert torch.allclose(traced, loss)


def test_training_steps_read_nothing_back_copy_nothing_from_the_host_and_skip_non_finite_steps_on_the_device():
    torch.manual_seed(0)
    model = Denoiser()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True)
    scaler, guard, c = torch.amp.GradScaler("cpu", enabled=False), NonFiniteGuard(torch.device("cpu")), components()
    ema, clean = EMA(model, 0.9), clean_batch()

    def step(scale: float) -> None:
        rates = sample_rates(4, "uniform", torch.Generator().manual_seed(1))
        loss, _ = diffusion_loss(c, model, clean, rates, NoiseSource(noise_key(0, 1), 0, torch.Generator()), "elbo")
        (loss * scale).backward()
        guard.step(optimizer, scaler, nn.utils.clip_grad_norm_(model.parameters(), 1.0))
        ema.update(model)
        optimizer.zero_grad(set_to_none=True)

    step(1.0)  # the first step makes the token spec's constants on the device, once
    with counted_host_traffic() as counted:
        for _ in range(3):
            step(1.0)
    assert counted == []
    before = {name: value.clone() for name, value in model.state_dict().items()}
    moments = [state["exp_avg"].clone() for state in optimizer.state.values()]
    step(float("nan"))
    step(float("inf"))
    assert all(torch.equal(value, before[name]) for name, value in model.state_dict().items())
    assert all(torch.equal(state["exp_avg"], m) for state, m in zip(optimizer.state.values(), moments, strict=True))
    assert guard.read() == (2, 2)
    step(1.0)
    assert not torch.equal(model.state_dict()["out.weight"], before["out.weight"]) and guard.read() == (0, 0)


@pytest.mark.parametrize(("method", "steps"), [("confidence", 8), ("ancestral", 32)])
def test_the_sampler_reads_from_the_device_at_most_once_per_step(method, steps):
    initial = torch.tensor(SPEC.mask_ids).expand(3, 32, 2).clone()
    initial[2] = clean_batch(1)[0]  # a row with nothing to generate
    with counted_host_traffic() as counted:
        tokens, denoiser = sample(Denoiser().eval(), TorchKernels(), SPEC, initial, method=method, steps=steps,
                                  generator=torch.Generator().manual_seed(0))  # fmt: skip
    assert (tokens < torch.tensor(SPEC.vocab_sizes)).all() and torch.equal(tokens[2], initial[2])
    assert set(counted) <= {"tolist"} and len(counted) <= steps  # per step: one read of which rows need the network
    assert denoiser.host_reads <= steps
