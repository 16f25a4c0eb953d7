"""Fused Triton kernels against eager PyTorch and torch.compile on a GPU, at realistic shapes.

    python benchmarks/kernels_gpu.py            # needs a CUDA GPU and `pip install smdiff-core[triton]`
    python benchmarks/kernels_gpu.py --kernels_only   # the kernel timings alone (benchmarks/gpu_check.py runs this)

Shapes: batch 64, length 1024, the grid-trio vocabulary (3 × 90) and the Octuple
vocabulary (8 fields). Reports milliseconds and peak memory for the masked
cross-entropy forward+backward and for the sampling step, then end-to-end
training steps/s of `schmu_conv` (small preset) with each kernel backend.
"""

from __future__ import annotations

import argparse
import time

import torch

from smdiff.kernels.torch_ref import TorchKernels
from smdiff.tokens import TokenSpec

SPECS = {
    "grid trio": TokenSpec(("m", "b", "p"), (90, 90, 90)),
    "octuple": TokenSpec(tuple("abcdefgh"), (33, 129, 4, 129, 129, 33, 255, 50)),
}


def timed(function, repeats: int = 20) -> tuple[float, float]:
    function()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    for _ in range(repeats):
        function()
    torch.cuda.synchronize()
    return (time.perf_counter() - started) / repeats * 1e3, torch.cuda.max_memory_allocated() / 2**20


def bench_spec(name: str, spec: TokenSpec, kernels: dict) -> None:
    generator = torch.Generator("cuda").manual_seed(0)
    logits = torch.randn(64, 1024, spec.total_vocab, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    targets = torch.stack([torch.randint(0, v, (64, 1024), device="cuda") for v in spec.vocab_sizes], -1)
    mask = torch.rand(64, 1024, spec.n_channels, device="cuda") < 0.5
    weights = torch.rand(64, device="cuda")
    for label, function in kernels["ce"].items():

        def run(function=function) -> None:
            loss, _ = function(logits, targets, mask, weights, spec)
            loss.backward()
            logits.grad = None

        ms, peak = timed(run)
        print(f"{name:<10} masked CE fwd+bwd  {label:<8} {ms:8.2f} ms  peak {peak:8.1f} MiB")
    probabilities = logits.detach().float()
    for label, kernel in kernels["sample"].items():
        ms, peak = timed(lambda kernel=kernel: kernel.sample_step(probabilities, targets, mask, spec, 1.0, generator))
        print(f"{name:<10} sampling step      {label:<8} {ms:8.2f} ms  peak {peak:8.1f} MiB")
    rates = torch.rand(64, device="cuda")
    for label, kernel in kernels["sample"].items():
        ms, peak = timed(lambda kernel=kernel: kernel.corrupt(targets, rates, "element", spec, 12345))
        print(f"{name:<10} corruption         {label:<8} {ms:8.2f} ms  peak {peak:8.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels_only", action="store_true", help="skip the end-to-end training and sampling")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU: this benchmark measures the GPU kernels (CPU parity is in the test suite)")
    from smdiff.kernels.triton_kernels import TritonKernels

    print(f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    reference, fused = TorchKernels(), TritonKernels()
    kernels = {
        "ce": {"eager": reference.masked_cross_entropy, "compile": torch.compile(reference.masked_cross_entropy),
               "triton": fused.masked_cross_entropy},
        "sample": {"eager": reference, "triton": fused},
    }  # fmt: skip
    for name, spec in SPECS.items():
        bench_spec(name, spec, kernels)
    if not args.kernels_only:
        end_to_end(reference, fused)


def end_to_end(reference, fused) -> None:
    """Training steps/s and sampling samples/s of a small schmu_conv on the trio grid, per backend."""
    from smdiff.config import ModelConfig
    from smdiff.diffusion.forward import sample_rates
    from smdiff.diffusion.keyed_noise import noise_key
    from smdiff.diffusion.losses import loss_weights
    from smdiff.diffusion.sampling import sample
    from smdiff.plugins import get_registries

    spec = SPECS["grid trio"]
    models = get_registries().models.get("schmu_conv")
    model = models.factory(spec, ModelConfig(id="schmu_conv", **models.presets["small"]), 1024).cuda()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    clean = torch.stack([torch.randint(0, 90, (64, 1024), device="cuda") for _ in range(3)], -1)
    for label, kernel in (("eager", reference), ("triton", fused)):
        generator = torch.Generator("cuda").manual_seed(0)

        counter = iter(range(10**9))

        def step(kernel=kernel, generator=generator, counter=counter) -> None:
            rates = sample_rates(64, "uniform", generator)  # drawn on the generator's device, the GPU
            noisy, mask = kernel.corrupt(clean, rates, "element", spec, noise_key(0, next(counter)))
            with torch.autocast("cuda", dtype=torch.bfloat16):
                logits = model(noisy)
            loss, _ = kernel.masked_cross_entropy(
                logits, clean, mask, loss_weights(rates, "reweighted_elbo", 3072), spec
            )
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

        ms, peak = timed(step, repeats=10)
        print(f"train schmu_conv small, batch 64 x 1024 x 3  {label:<7} {1000 / ms:7.2f} steps/s  peak {peak:8.1f} MiB")
        initial = torch.tensor(spec.mask_ids, device="cuda").expand(16, 1024, 3).clone()
        started = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            sample(model.eval(), kernel, spec, initial, method="ancestral", steps=1024, generator=generator)
        torch.cuda.synchronize()
        print(
            f"sample 16 windows, 1024 ancestral steps      {label:<7} {16 / (time.perf_counter() - started):7.2f} samples/s"
        )
        model.train()


if __name__ == "__main__":
    main()
