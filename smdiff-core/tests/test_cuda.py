"""On a CUDA GPU: device-correct noise, and hot paths that do not make the host wait for the GPU.

Marked ``cuda`` and skipped without a GPU (``pytest -m cuda`` on a GPU machine;
``benchmarks/gpu_check.py`` runs them). The Triton kernel tests run on the GPU
too when one is present (test_triton_kernels.py picks the device).
"""

from __future__ import annotations

import warnings

import pytest
import torch

from smdiff.devices import use_tensor_cores
from smdiff.diffusion.forward import mask_ids, sample_rates
from smdiff.diffusion.keyed_noise import keyed_uniforms, noise_key
from smdiff.diffusion.sampling import sample
from smdiff.kernels.torch_ref import TorchKernels
from smdiff.tokens import TokenSpec
from smdiff.training.ema import EMA
from smdiff.training.nonfinite import NonFiniteGuard

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]
SPEC = TokenSpec(("pitch", "velocity"), (90, 32))


def test_keyed_masks_on_the_gpu_equal_those_on_the_cpu():
    key = noise_key(0, 17, 1)
    assert torch.equal(keyed_uniforms(key, 3, 64, 4096, "cuda").cpu(), keyed_uniforms(key, 3, 64, 4096, "cpu"))


def test_masking_rates_are_drawn_with_a_cuda_generator_on_the_gpu():
    rates = sample_rates(16, "antithetic", torch.Generator("cuda").manual_seed(0))
    assert rates.device.type == "cuda" and ((rates > 0) & (rates <= 1)).all()


def test_a_training_step_never_synchronises_with_the_host():
    model = torch.nn.Sequential(torch.nn.Embedding(128, 64), torch.nn.Linear(64, SPEC.total_vocab)).cuda()
    optimizer = torch.optim.AdamW(model.parameters(), fused=True)
    guard, scaler = NonFiniteGuard(torch.device("cuda")), torch.amp.GradScaler("cuda", enabled=False)
    clean = torch.stack([torch.randint(0, v, (8, 256), device="cuda") for v in SPEC.vocab_sizes], -1)
    rates = sample_rates(8, "uniform", torch.Generator("cuda").manual_seed(0))
    kernel, ema = TorchKernels(), EMA(model, 0.99)
    ema.update(model)  # the first update copies; later ones average
    mask_ids(SPEC, "cuda")  # the token spec's constants are made on the device once, before the steps
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        noisy, mask = kernel.corrupt(clean, rates, "element", SPEC, noise_key(0, 1))
        logits = model(noisy[..., 0])
        loss, _ = kernel.masked_cross_entropy(logits, clean, mask, rates, SPEC)
        loss.backward()
        guard.step(optimizer, scaler, torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0))
        ema.update(model)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert guard.read() == (0, 0)


@pytest.mark.parametrize(("method", "steps"), [("confidence", 16), ("ancestral", 64)])
def test_the_sampler_synchronises_at_most_once_per_step(method, steps):
    model = torch.nn.Sequential(torch.nn.Embedding(128, 64), torch.nn.Linear(64, SPEC.total_vocab)).cuda().eval()
    initial = mask_ids(SPEC, "cuda").expand(4, 64, 2).clone()  # also makes the constants the sampler reuses
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            tokens, _ = sample(lambda t: model(t[..., 0]), TorchKernels(), SPEC, initial, method=method, steps=steps,
                               generator=torch.Generator("cuda").manual_seed(0))  # fmt: skip
        finally:
            torch.cuda.set_sync_debug_mode("default")
    synchronising = [w for w in caught if "synchroniz" in str(w.message)]
    assert (tokens < torch.tensor(SPEC.vocab_sizes, device="cuda")).all()
    assert len(synchronising) <= steps, [str(w.message) for w in synchronising[:3]]


def test_float32_matmuls_use_tf32_tensor_cores_on_the_gpu_unless_turned_off():
    use_tensor_cores(torch.device("cuda"), tf32=True)
    assert torch.get_float32_matmul_precision() == "high" and torch.backends.cuda.matmul.allow_tf32
    use_tensor_cores(torch.device("cuda"), tf32=False)
    assert torch.get_float32_matmul_precision() == "highest"
    use_tensor_cores(torch.device("cuda"), tf32=True)


def test_the_fused_kernels_copy_nothing_from_the_host_after_their_first_call():
    from smdiff.kernels.triton_kernels import TritonKernels

    kernels, generator = TritonKernels(), torch.Generator("cuda").manual_seed(0)
    clean = torch.stack([torch.randint(0, v, (4, 128), device="cuda") for v in SPEC.vocab_sizes], -1)
    logits = torch.randn(4, 128, SPEC.total_vocab, device="cuda", requires_grad=True)
    rates = sample_rates(4, "uniform", generator)

    def step() -> None:
        noisy, mask = kernels.corrupt(clean, rates, "element", SPEC, noise_key(0, 2))
        loss, _ = kernels.masked_cross_entropy(logits, clean, mask, rates, SPEC)
        loss.backward()
        kernels.sample_step(logits.detach(), noisy, mask, SPEC, 1.0, generator)

    step()
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        step()
    finally:
        torch.cuda.set_sync_debug_mode("default")
