"""The main job: prepare → train → sample (unconditional and infilling) → evaluate, on the bundled POP909 subset.

    python examples/main_job.py                  # about 10 minutes on a 2-core CPU
    SMDIFF_DEMO_MINUTES=60 python examples/main_job.py   # longer (the 61 songs are learned by heart after ~17 min)
    python examples/main_job.py --root_dir ../shared/data/POP909   # the full dataset

Every step is an ordinary `smdiff` command, printed before it runs, so the same
commands work in your own shell.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def smdiff(*args: str) -> None:
    """Run one smdiff command, echoing it; stop the job on failure."""
    command = [sys.executable, "-m", "smdiff.cli", *args]
    print(f"\n$ smdiff {shlex.join(args)}", flush=True)
    subprocess.run(command, check=True, cwd=ROOT)


def fresh(folder: str) -> str:
    """``folder``, or ``folder-2``, ``folder-3``, … when it exists: a resumed job never writes into earlier output."""
    candidate, number = Path(folder), 1
    while candidate.exists():
        number += 1
        candidate = Path(f"{folder}-{number}")
    return str(candidate)


def trained_steps(run: Path) -> tuple[int, int]:
    """The last step the run's log records, and the step of its lowest validation loss (what ``best.pt`` holds)."""
    import json

    records = [json.loads(line) for line in (ROOT / run / "metrics.jsonl").read_text().splitlines()]
    validations = [r for r in records if r["kind"] == "val"]
    best = min(validations, key=lambda r: r["bits_per_token"])["step"] if validations else 0
    return max((r["step"] for r in records), default=0), best


def main() -> None:
    """Run the whole flow with the budget and data the flags give."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SMDIFF_DEMO_MINUTES", "7")))
    parser.add_argument("--root_dir", default=None, help="MIDI folder (default: the bundled POP909 subset)")
    parser.add_argument("--run_dir", default="runs/main_job")
    parser.add_argument("--preset", default="small")
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--eval_samples", type=int, default=32)
    # 64 reverse steps, not the sampler's 32: +0.03 step share for ~0.4 s more per piece (docs/benchmarks.md)
    parser.add_argument("--sample_steps", type=int, default=64, help="reverse steps of every sampling command")
    parser.add_argument("--cache_path", default=None, help="where the token cache goes (default: data/cache/)")
    args = parser.parse_args()
    started = time.perf_counter()
    config = ["--config", str(HERE / "demo.toml")]
    if args.root_dir:
        config += [
            "--set",
            f"datasets.pop909_mini.root_dir={args.root_dir}",
            "--set",
            "data.cache_path=data/cache/main-job-melody-64bars.npy",
        ]
    if args.cache_path:
        config += ["--set", f"data.cache_path={args.cache_path}"]
    run = args.run_dir
    song = (Path(args.root_dir) if args.root_dir else HERE / "pop909-mini") / "001" / "001.mid"
    # the checkpoint of the lowest validation loss: on 61 songs a long budget ends past it (docs/benchmarks.md)
    sampling = ["--load_step", "0", "--sampler", "confidence", "--sample_steps", str(args.sample_steps)]
    smdiff("prepare", *config)
    smdiff("train", *config, "--log_dir", run, "--resume", "--set", f"model.preset={args.preset}",
           "--steps", "100000", "--set", f"train.max_seconds={args.minutes * 60}")  # fmt: skip
    uncond, infill = fresh(f"{run}/generated/uncond"), fresh(f"{run}/generated/infill")
    smdiff("sample", "--load_dir", run, "--task", "uncond", "--n_samples", str(args.samples), *sampling,
           "--out_dir", uncond)  # fmt: skip
    smdiff("sample", "--load_dir", run, "--task", "infill", "--input_midi", str(song), "--mask_start_bar", "16",
           "--mask_end_bar", "32", "--n_samples", "2", *sampling, "--out_dir", infill)  # fmt: skip
    smdiff("evaluate", "--load_dir", run, "--n_samples", str(args.eval_samples), "--probe", *sampling)
    print(f"\nDone in {(time.perf_counter() - started) / 60:.1f} min. Where things are:")
    steps, best = trained_steps(Path(run))
    print(
        f"  the model:                    {steps} training steps in {args.minutes:g} min "
        "(a slower machine gets fewer; docs/benchmarks.md shows quality against minutes and steps);"
    )
    print(f"                                sampled at step {best}, its lowest validation loss (best.pt)")
    print(f"  forms of new pieces:          drawn from the training songs' forms ({run}/form_prior.json);")
    print("                                `smdiff sample --no-form-prior` samples the model alone (no repeats)")
    print(f"  MIDI, tokens and piano rolls: {uncond}, {infill} (bars 16-32 of {song.name} refilled)")
    print(f"  metrics and plots:            the report folder `smdiff evaluate` printed ({run}/metrics on a first run;")
    print(
        "                                an earlier report is kept, a new one goes to metrics-2, …; see docs/metrics.md)"
    )
    print(f"  TensorBoard logs:             tensorboard --logdir {run}/tensorboard")
    print(f"  checkpoints:                  {run}/checkpoints (continue training with the same command: it resumes)")
    script = Path(sys.executable).with_name("smdiff")
    smdiff_command = str(script) if script.exists() and not shutil.which("smdiff") else "smdiff"
    print(
        f"  infill in your browser:       {smdiff_command} studio --load_dir {run}   (then open http://127.0.0.1:8765/)"
    )


if __name__ == "__main__":
    main()
