"""Steps per second of the whole `smdiff train` loop on this machine, this checkout against another revision.

    python benchmarks/train_loop_throughput.py --compare HEAD~5 --steps 150 --repeat 3

Both sides run the real command (`python -m smdiff.cli train`) on the bundled POP909 songs with the
main job's configuration (`examples/demo.toml`: `schmu_conv` small, batch 16, 64 bars), validation
and samples pushed past the end, logging every 10 steps. The other revision is checked out into a
temporary git worktree and put first on `PYTHONPATH`, so the same installed dependencies serve
both. Runs alternate (this, other, this, other, …) so a slow moment of the machine hits both;
steps/s is measured between the first and the last logged training step (start-up excluded).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("smdiff-core", "smdiff-onehot", "smdiff-octuple", "smdiff-metrics", "smdiff-slurm")


def source_path(checkout: Path) -> str:
    """``PYTHONPATH`` putting ``checkout``'s packages before the installed ones."""
    return os.pathsep.join(str(checkout / package / "src") for package in PACKAGES)


def prepare(checkout: Path, cache: Path) -> None:
    """Prepare the bundled songs' cache with ``checkout``'s tokenizers."""
    subprocess.run(
        [sys.executable, "-m", "smdiff.cli", "prepare", "--config", str(ROOT / "examples" / "demo.toml"),
         "--set", f"datasets.pop909_mini.root_dir={ROOT / 'examples' / 'pop909-mini'}",
         "--set", f"data.cache_path={cache}"],
        check=True, capture_output=True, env={**os.environ, "PYTHONPATH": source_path(checkout)},
    )  # fmt: skip


def steps_per_second(checkout: Path, cache: Path, steps: int, run_dir: Path) -> float:
    """Train ``steps`` steps with ``checkout``'s code; steps/s between the first and last logged step."""
    subprocess.run(
        [sys.executable, "-m", "smdiff.cli", "train", "--config", str(ROOT / "examples" / "demo.toml"),
         "--set", f"data.cache_path={cache}", "--log_dir", str(run_dir), "--steps", str(steps),
         "--set", "train.log_every=10", "--set", f"train.validate_every={steps * 10}",
         "--set", "train.val_batches=1", "--set", "train.probe_windows=0", "--set", "train.train_samples=0",
         "--set", f"train.checkpoint_every={steps * 10}", "--set", "train.warmup_steps=10"],
        check=True, capture_output=True, env={**os.environ, "PYTHONPATH": source_path(checkout)},
    )  # fmt: skip
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    logged = [(r["step"], r["time"]) for r in records if r["kind"] == "train"]
    (first_step, first_time), (last_step, last_time) = logged[0], logged[-1]
    return (last_step - first_step) / (last_time - first_time)


def main() -> None:
    """Interleave runs of this checkout and ``--compare`` and print medians, spreads and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", required=True, help="git revision to measure against (e.g. HEAD~3)")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        scratch = Path(temp)
        other = scratch / "other"
        subprocess.run(["git", "worktree", "add", "--detach", str(other), args.compare], cwd=ROOT, check=True,
                       capture_output=True)  # fmt: skip
        try:
            sides = {"this checkout": ROOT, args.compare: other}
            caches = {label: scratch / f"cache-{index}.npy" for index, label in enumerate(sides)}
            for label, checkout in sides.items():
                prepare(checkout, caches[label])
            rates: dict[str, list[float]] = {label: [] for label in sides}
            for round_ in range(args.repeat):
                for index, (label, checkout) in enumerate(sides.items()):
                    run_dir = scratch / f"run-{round_}-{index}"
                    rates[label].append(steps_per_second(checkout, caches[label], args.steps, run_dir))
                    print(f"round {round_ + 1}: {label:<14} {rates[label][-1]:.3f} steps/s", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, capture_output=True)
    medians = {label: statistics.median(values) for label, values in rates.items()}
    for label, values in rates.items():
        print(f"{label:<14} median {medians[label]:.3f} steps/s  (min {min(values):.3f}, max {max(values):.3f})")
    mine, theirs = medians["this checkout"], medians[args.compare]
    print(f"ratio this / {args.compare}: {mine / theirs:.3f}")


if __name__ == "__main__":
    main()
