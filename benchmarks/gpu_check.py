"""The GPU check: the `cuda` tests, then training and sampling throughput on this GPU (about 8 minutes on one H100).

    python benchmarks/gpu_check.py                       # tests + every measurement, table on stdout
    python benchmarks/gpu_check.py --skip_tests --json gpu_check.json --peak_tflops 989

1. Runs `pytest -m cuda` over the packages (training in fp32 and bf16, bit-exact fp32 resume with
   `train.deterministic`, bf16 resume within tolerance, both samplers, host-sync checks) and the
   Triton kernel tests, which run on the GPU when one is present.
2. Times one training step of `schmu_conv` (melody, 1,024 steps) and `octuple_ddpm` (trio Octuple,
   1,024 notes), paper preset (width 512, 24 layers), batch 16, with the real loss, masking, fused
   AdamW and non-finite guard of `smdiff train`, in six variants: eager fp32 (TF32 off), eager TF32
   (`smdiff train`'s default on CUDA), TF32 + `torch.compile`, bf16 autocast, bf16 + compile, and that
   with the Triton kernels. Reports steps/s, tokens/s, peak memory and model FLOPs utilisation (FLOPs of a
   forward and backward pass counted by PyTorch's FlopCounterMode), each variant against the peak of the
   arithmetic it runs on: plain fp32, dense TF32 or dense bf16 tensor cores of this exact product (an H100
   PCIe or NVL has other peaks than an H100 SXM; an unknown GPU gets no MFU unless `--peak_tflops` names
   its bf16 peak).
3. Sampling: samples/s of both samplers (confidence at 32 steps, ancestral at one step per position)
   with each kernel backend, bf16.
4. The kernel micro-benchmarks of `benchmarks/kernels_gpu.py` (masked loss and sampling step, Triton
   against the PyTorch reference).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import torch
from torch.utils.flop_counter import FlopCounterMode

from smdiff.config import ModelConfig
from smdiff.config.schema import DataConfig, DiffusionConfig
from smdiff.devices import use_tensor_cores
from smdiff.diffusion.forward import sample_rates
from smdiff.diffusion.keyed_noise import noise_key
from smdiff.diffusion.maskers import RandomMasker
from smdiff.diffusion.sampling import sample
from smdiff.kernels.torch_ref import TorchKernels
from smdiff.plugins import get_registries
from smdiff.training.nonfinite import NonFiniteGuard
from smdiff.training.step import NoiseSource, diffusion_loss

ROOT = Path(__file__).resolve().parent.parent
#: dense peaks (TFLOP/s) from the vendors' data sheets: plain fp32, TF32 and bf16 tensor cores, without sparsity.
#: Matched against torch.cuda.get_device_name() in this order (the first match wins): PCIe and NVL parts before
#: the SXM names they share a prefix with, A100 before A10, L40S before L4.
PEAKS: list[tuple[str, str, dict[str, float]]] = [
    (r"H100.*PCIe", "H100 PCIe", {"fp32": 51.0, "tf32": 378.0, "bf16": 756.0}),
    (r"H100.*NVL", "H100 NVL", {"fp32": 60.0, "tf32": 418.0, "bf16": 835.0}),
    (r"H200.*NVL", "H200 NVL", {"fp32": 60.0, "tf32": 418.0, "bf16": 835.0}),
    (r"GH200", "GH200", {"fp32": 67.0, "tf32": 494.0, "bf16": 989.0}),
    (r"H100.*(HBM3|SXM)", "H100 SXM", {"fp32": 67.0, "tf32": 494.0, "bf16": 989.0}),
    (r"H200", "H200 SXM", {"fp32": 67.0, "tf32": 494.0, "bf16": 989.0}),
    (r"A100", "A100", {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0}),
    (r"A10\b", "A10", {"fp32": 31.2, "tf32": 62.5, "bf16": 125.0}),
    (r"L40S", "L40S", {"fp32": 91.6, "tf32": 183.0, "bf16": 362.0}),
    (r"L4\b", "L4", {"fp32": 30.3, "tf32": 60.0, "bf16": 121.0}),
]
MODELS = {"schmu_conv": ("melody", "element"), "octuple_ddpm": ("trio_octuple", "token")}
#: variant → (autocast dtype, compiled, kernels, float32 matmuls on TF32, the peak its MFU is measured against)
VARIANTS = {
    "eager fp32": (None, False, "torch", False, "fp32"),
    "eager tf32": (None, False, "torch", True, "tf32"),
    "tf32 + compile": (None, True, "torch", True, "tf32"),
    "bf16": (torch.bfloat16, False, "torch", True, "bf16"),
    "bf16 + compile": (torch.bfloat16, True, "torch", True, "bf16"),
    "bf16 + compile + triton": (torch.bfloat16, True, "triton", True, "bf16"),
}
LENGTH, BATCH = 1024, 16


def kernels(name: str):
    """The kernel backend ``name``."""
    if name == "triton":
        from smdiff.kernels.triton_kernels import TritonKernels

        return TritonKernels()
    return TorchKernels()


def build(model_id: str):
    """The paper-size model for ``model_id`` and its tokenizer's token spec, on the GPU."""
    registries = get_registries()
    tokenizer_id, unit = MODELS[model_id]
    spec = registries.tokenizers.get(tokenizer_id).factory(DataConfig(tokenizer_id=tokenizer_id)).token_spec
    models = registries.models.get(model_id)
    config = ModelConfig(id=model_id, preset="paper", **models.presets["paper"])
    torch.manual_seed(0)
    return models.factory(spec, config, LENGTH).cuda(), spec, unit


def clean_tokens(spec) -> torch.Tensor:
    """A batch of random real tokens (throughput does not depend on what they are)."""
    return torch.stack([torch.randint(0, v, (BATCH, LENGTH), device="cuda") for v in spec.vocab_sizes], -1)


def timed(function, warmup: int, repeats: int) -> tuple[float, float]:
    """Seconds per call (median of ``repeats`` after ``warmup``) and peak memory in GiB."""
    for _ in range(warmup):
        function()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2], torch.cuda.max_memory_allocated() / 2**30


def step_flops(model, spec) -> int:
    """FLOPs of one forward and backward pass at the benchmark's batch."""
    noisy = torch.tensor(spec.mask_ids, device="cuda").expand(BATCH, LENGTH, spec.n_channels).contiguous()
    with FlopCounterMode(display=False) as counter:
        model(noisy).float().sum().backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def gpu_peaks(name: str, bf16_peak: float | None) -> tuple[str, dict[str, float]]:
    """The product ``name`` is matched to and its dense peaks; ``bf16_peak`` (``--peak_tflops``) overrides bf16."""
    product, peaks = next(
        ((label, dict(p)) for pattern, label, p in PEAKS if re.search(pattern, name)), ("unknown", {})
    )
    if bf16_peak:
        peaks["bf16"] = bf16_peak
    return product, peaks


def training_row(model_id: str, variant: str, peaks: dict[str, float]) -> dict:
    """Steps/s, tokens/s, peak memory and MFU (against the peak of the arithmetic the variant runs on)."""
    amp, compiled, kernel_name, tf32, arithmetic = VARIANTS[variant]
    use_tensor_cores(torch.device("cuda"), tf32)
    model, spec, unit = build(model_id)
    flops = step_flops(model, spec)
    if compiled:
        model.compile()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    guard, scaler = NonFiniteGuard(torch.device("cuda")), torch.amp.GradScaler("cuda", enabled=False)
    c = SimpleNamespace(
        masker=RandomMasker(spec, unit), kernel=kernels(kernel_name), token_spec=spec, amp_dtype=amp,
        config=SimpleNamespace(diffusion=DiffusionConfig()), pitch_answers=None, device=torch.device("cuda"),
    )  # fmt: skip
    clean, generator, counter = clean_tokens(spec), torch.Generator("cuda").manual_seed(0), iter(range(10**9))

    def step() -> None:
        rates = sample_rates(BATCH, "uniform", generator)
        loss, _ = diffusion_loss(c, model, clean, rates, NoiseSource(noise_key(0, next(counter)), 0, generator),
                                 "reweighted_elbo")  # fmt: skip
        loss.backward()
        guard.step(optimizer, scaler, torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0))
        optimizer.zero_grad(set_to_none=True)

    seconds, memory = timed(step, warmup=3 if compiled else 2, repeats=10)
    row = {"model": model_id, "variant": variant, "steps_per_s": 1 / seconds, "tokens_per_s": BATCH * LENGTH / seconds,
           "peak_gib": memory, "tflops": flops / seconds / 1e12}  # fmt: skip
    row["arithmetic"] = arithmetic
    row["mfu"] = row["tflops"] / peaks[arithmetic] if arithmetic in peaks else None
    return row


def sampling_rows(model_id: str) -> list[dict]:
    """Samples/s of both samplers with each kernel backend (bf16, eager)."""
    model, spec, _ = build(model_id)
    model.eval()
    rows = []
    for method, steps in (("confidence", 32), ("ancestral", LENGTH)):
        for kernel_name in ("torch", "triton"):
            initial = torch.tensor(spec.mask_ids, device="cuda").expand(BATCH, LENGTH, spec.n_channels).clone()

            def run(method=method, steps=steps, kernel_name=kernel_name, initial=initial) -> None:
                with torch.autocast("cuda", dtype=torch.bfloat16):
                    sample(model, kernels(kernel_name), spec, initial, method=method, steps=steps,
                           generator=torch.Generator("cuda").manual_seed(0))  # fmt: skip

            seconds, memory = timed(run, warmup=1, repeats=1 if method == "ancestral" else 3)
            rows.append({"model": model_id, "sampler": f"{method} {steps}", "kernels": kernel_name,
                         "samples_per_s": BATCH / seconds, "peak_gib": memory})  # fmt: skip
    return rows


def run_tests() -> int:
    """The cuda-marked tests and the Triton kernel tests, on this GPU."""
    tests = ["smdiff-core/tests", "smdiff-onehot/tests/test_cuda_training.py"]
    marked = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "cuda", *tests], cwd=ROOT)
    kernels_tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "smdiff-core/tests/test_triton_kernels.py"],
                                   cwd=ROOT)  # fmt: skip
    return marked.returncode or kernels_tests.returncode


def main() -> None:
    """Tests, then the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip_tests", action="store_true")
    parser.add_argument("--peak_tflops", type=float, default=None, help="this GPU's dense bf16 peak (TFLOP/s)")
    parser.add_argument("--json", type=Path, default=None, help="also write every row to this file")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU: this check measures the GPU paths (the CPU paths are in the test suite)")
    name = torch.cuda.get_device_name()
    product, peaks = gpu_peaks(name, args.peak_tflops)
    shown = ", ".join(f"{kind} {value:g}" for kind, value in peaks.items()) or "unknown (pass --peak_tflops)"
    print(f"GPU: {name} (peaks of: {product}: {shown} TFLOP/s dense), torch {torch.__version__}")
    failed = 0 if args.skip_tests else run_tests()
    training = [training_row(model_id, variant, peaks) for model_id in MODELS for variant in VARIANTS]
    use_tensor_cores(torch.device("cuda"), True)
    print(
        "\n| model | variant | steps/s | tokens/s | peak GiB | TFLOP/s | MFU (of peak) |\n|---|---|---|---|---|---|---|"
    )
    for r in training:
        mfu = f"{r['mfu']:.1%} ({r['arithmetic']})" if r["mfu"] is not None else "n/a"
        print(f"| {r['model']} | {r['variant']} | {r['steps_per_s']:.2f} | {r['tokens_per_s']:,.0f} | "
              f"{r['peak_gib']:.1f} | {r['tflops']:.1f} | {mfu} |")  # fmt: skip
    sampling = [row for model_id in MODELS for row in sampling_rows(model_id)]
    print("\n| model | sampler | kernels | samples/s | peak GiB |\n|---|---|---|---|---|")
    for r in sampling:
        print(f"| {r['model']} | {r['sampler']} | {r['kernels']} | {r['samples_per_s']:.2f} | {r['peak_gib']:.1f} |")
    print()
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "kernels_gpu.py"), "--kernels_only"], check=False)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"gpu": name, "product": product, "peaks": peaks, "training": training, "sampling": sampling}, indent=1
            )
        )
    print(f"\ncuda tests: {'passed' if failed == 0 else 'FAILED'}")
    sys.exit(failed)


if __name__ == "__main__":
    main()
