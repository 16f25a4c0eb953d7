"""Does it learn? Train for a fixed wall-clock budget on a CPU and report validation bits/token over time.

    python benchmarks/learning_curve.py --dataset_id pop909_melody --model schmu_conv --minutes 10

Runs the real `smdiff train` (preset `small`) in a subprocess with `train.max_seconds`,
then reads the run's metrics.jsonl. The cache must exist (`smdiff prepare --dataset_id ...`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset_id", default="pop909_melody")
    parser.add_argument("--model", default="schmu_conv")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--validate_every", type=int, default=100)
    parser.add_argument("--log_dir", type=Path, default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    run = args.log_dir or Path(tempfile.mkdtemp(prefix="smdiff-curve-")) / "run"
    command = [
        sys.executable, "-m", "smdiff.cli", "--quiet", "train", "--model", args.model, "--dataset_id", args.dataset_id,
        "--steps", "1000000", "--log_dir", str(run), "--set", "model.preset=small",
        "--set", f"train.max_seconds={args.minutes * 60}", "--set", f"train.validate_every={args.validate_every}",
        "--set", "train.sample_every=1000000",
        *[item for override in args.overrides for item in ("--set", override)],
    ]  # fmt: skip
    subprocess.run(command, check=True)
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    start = records[0]["time"]
    curve = [(r["step"], r["time"] - start, r["bits_per_token"]) for r in records if r["kind"] == "val"]
    print(f"{args.model} on {args.dataset_id}, {args.minutes:g} min, run {run}")
    print("step  seconds  val bits/token")
    for step, seconds, bits in curve:
        print(f"{step:>5}  {seconds:>7.0f}  {bits:>8.3f}")
    first, last = curve[0][2], curve[-1][2]
    print(
        f"initial {first:.3f} -> final {last:.3f} bits/token: {last / first:.1%} of the start ({first / last:.2f}x lower)"
    )


if __name__ == "__main__":
    main()
