"""Which training recipe makes the main job write tonal music? Each recipe trained for the same wall-clock time.

    python benchmarks/recipe_ablation.py --minutes 7 --recipe baseline --recipe key_normalised
    python benchmarks/recipe_ablation.py --minutes 7 --recipe mine="data.normalise_key=true;model.width=96"
    python benchmarks/recipe_ablation.py --minutes 10 --no_infill --recipe trio_octuple="datasets.pop909_mini.tokenizer=\
trio_octuple;datasets.pop909_mini.bars=32;model.id=octuple_ddpm"

A recipe is a named list of ``--set`` overrides on top of the main job's
configuration (``examples/demo.toml``, the 61 bundled POP909 songs). For each
recipe, one after another: ``smdiff prepare`` (a cache per data setting),
``smdiff train`` for ``--minutes`` of wall-clock time, ``smdiff evaluate --probe``
with the default sampler (32 unconditional samples: per-piece medians), and the
infilling of bars 16–32 of ``--songs`` POP909 songs none of the runs saw
(``benchmarks/infill_quality.py``; needs the full POP909, ``SMDIFF_POP909``).
``--curve_every N`` also scores the checkpoints of every N steps (learning
curves of the per-piece metrics against wall time). Each run's numbers are kept
in ``RUN/ablation.json``; the table is Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from infill_quality import infill_report

from smdiff.testing import pop909_root

ROOT = Path(__file__).resolve().parent.parent
#: what the defaults were before issue 27 (the recipes measured then keep them, so they still mean what they meant)
BEFORE_27 = ["model.pitch_context=false", "model.bar_echoes=false"]
#: The recipes of docs/benchmarks.md's ablation tables, each a list of overrides.
RECIPES = {
    # the old defaults: songs in their own keys, shifted by up to 3 semitones, 5 windows per song, no rotary
    "baseline": [
        *BEFORE_27,
        "data.normalise_key=false",
        "data.transpose=3",
        "data.max_tensors_per_ns=5",
        "model.rotary=false",
        "diffusion.pitch_weight=1",
    ],
    "key_normalised": [*BEFORE_27, "data.max_tensors_per_ns=5", "model.rotary=false"],
    "key_rotary": [*BEFORE_27, "data.max_tensors_per_ns=5"],
    # the library's defaults (examples/demo.toml: every window of the 61 songs; the main job itself trains without
    # bar echoes, the "pitch_context" recipe below), and levers added or taken out
    "defaults": ["model.bar_echoes=true"],
    "defaults_pitch_weight_3": [*BEFORE_27, "diffusion.pitch_weight=3"],
    "defaults_pitch_weight_3_no_rotary": [*BEFORE_27, "diffusion.pitch_weight=3", "model.rotary=false"],
    # melodic motion and form (issue 27), each named by what it adds to the defaults before it (no pitch context,
    # no bar echoes); `defaults` now has both
    "before_27": BEFORE_27,
    "pitch_context": ["model.pitch_context=true", "model.bar_echoes=false"],
    "bar_spans": ["model.pitch_context=false", "model.bar_echoes=false", "diffusion.masker=bar_spans"],
    "pitch_context_bar_spans": ["model.pitch_context=true", "model.bar_echoes=false", "diffusion.masker=bar_spans"],
    "pitch_context_echoes_spans": ["model.bar_echoes=true", "diffusion.masker=bar_spans"],
    "pitch_context_relative": ["model.bar_echoes=false", "model.relative_bias=true"],
    "defaults_relative": ["model.bar_echoes=true", "model.relative_bias=true"],
    "defaults_no_dropout": ["model.bar_echoes=true", "model.dropout=0.0"],
}
UNCOND = ("scale_consistency", "pitch_class_entropy", "repetition", "near_repetition", "groove_consistency",
          "step_share", "leap_share", "avg_pitch_shift", "pitch_range", "empty_bar_rate", "kl_interval")  # fmt: skip
INFILL = ("infill_key_consistency", "infill_pitch_accuracy", "infill_note_f1")


def smdiff(*args: str, quiet: bool = True) -> None:
    command = [sys.executable, "-m", "smdiff.cli", *args]
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL if quiet else None)


def parse_recipe(text: str) -> tuple[str, list[str]]:
    """``name`` (a built-in recipe) or ``name=key=value;key=value``."""
    name, _, overrides = text.partition("=")
    if not overrides:
        if name not in RECIPES:
            raise SystemExit(f"unknown recipe {name!r}; built in: {', '.join(RECIPES)}, or write name=key=value;...")
        return name, RECIPES[name]
    return name, [item.strip() for item in overrides.split(";") if item.strip()]


def settings(overrides: list[str]) -> list[str]:
    return [part for item in overrides for part in ("--set", item)]


def evaluate(run: Path, out: Path, step: int | None = None) -> dict:
    """Per-piece medians of 32 unconditional samples and the probe at 50 % masking, for one checkpoint."""
    extra = ["--load_step", str(step)] if step is not None else ["--probe"]
    smdiff("evaluate", "--load_dir", str(run), "--n_samples", "32", "--out_dir", str(out), *extra)
    report = json.loads((out / "metrics_uncond.json").read_text())
    row = {name: report["metrics"][name]["value"] for name in UNCOND}
    row["reference"] = {name: report["metrics"][name]["reference"] for name in UNCOND}
    row["controls"] = {name: report["metrics"][name].get("baselines", {}) for name in UNCOND}
    for probe in report.get("probe", []):
        row[f"probe_{round(probe['rate'] * 100)}"] = {
            k: probe[k] for k in ("model_bits", "unigram_bits", "context_bits", "neighbour_bits")
        }
    return row


def run_recipe(name: str, overrides: list[str], args: argparse.Namespace) -> dict:
    data = sorted(item for item in overrides if item.startswith(("data.", "datasets.")))
    cache = ROOT / "data" / "cache" / f"ablation-{hashlib.sha1(';'.join(data).encode()).hexdigest()[:10]}.npy"
    config = ["--config", str(ROOT / "examples" / "demo.toml"), "--set", f"data.cache_path={cache}"]
    run = args.out_dir / name
    if run.exists():
        raise SystemExit(f"{run} exists; pass another --out_dir (earlier runs are never overwritten)")
    smdiff("prepare", *config, *settings(data))
    began = time.time()
    budget = (
        ["--steps", str(args.steps)]
        if args.steps
        else ["--steps", "100000", "--set", f"train.max_seconds={args.minutes * 60}"]
    )
    smdiff("train", *config, *settings(overrides), "--log_dir", str(run), *budget, "--set", "train.keep_last=1000",
           "--set", f"train.checkpoint_every={args.curve_every or 200}")  # fmt: skip
    trained = time.time() - began
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    start = records[0]["time"]
    result = {
        "recipe": name, "overrides": overrides, "minutes": args.minutes, "train_seconds": trained,
        "steps": max(r["step"] for r in records),
        "probe_curve": [(r["step"], r["time"] - start, r["model_bits_50"], r["context_bits_50"], r["unigram_bits_50"],
                         r.get("neighbour_bits_50")) for r in records if r["kind"] == "probe"],
        "validation_curve": [(r["step"], r["time"] - start, r["bits_per_token"]) for r in records if r["kind"] == "val"],
        "final": evaluate(run, run / "eval"),
    }  # fmt: skip
    if args.curve_every:
        times = {r["step"]: r["time"] - start for r in records}
        result["curve"] = []
        for checkpoint in sorted((run / "checkpoints").glob("step_*.pt")):
            step = int(checkpoint.stem.removeprefix("step_"))
            row = evaluate(run, run / f"eval-step{step}", step)
            result["curve"].append({"step": step, "seconds": times.get(step), **row})
    if args.root_dir is not None and not args.no_infill:
        report = infill_report(run, args.root_dir, songs=args.songs, sample_steps=32)
        result["infill"] = {
            key: {"value": report["metrics"][key]["value"], **report["metrics"][key].get("baselines", {})}
            for key in INFILL
        }
        result["infill"]["outside_gap_notes_changed"] = sum(c > 0 for c in report["outside_gap_notes_changed"])
    (run / "ablation.json").write_text(json.dumps(result, indent=1))
    return result


def print_table(results: list[dict]) -> None:
    """Two Markdown tables: the samples and the probe; then infilling beside its copy baselines."""
    nan = float("nan")
    print("\n| recipe | steps | step share | leap share | avg pitch shift | repetition (near) | scale cons. | "
          "PC entropy | empty bars | probe 20 / 50 / 80 % (model; context; neighbour) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        f = r["final"]
        probe = "; ".join(
            " / ".join(f"{f.get(f'probe_{rate}', {}).get(key, nan):.2f}" for rate in (20, 50, 80))
            for key in ("model_bits", "context_bits", "neighbour_bits")
        )
        print(f"| {r['recipe']} | {r['steps']} | {f['step_share']:.3f} | {f['leap_share']:.3f} | "
              f"{f['avg_pitch_shift']:.2f} | {f['repetition']:.3f} ({f['near_repetition']:.3f}) | "
              f"{f['scale_consistency']:.3f} | {f['pitch_class_entropy']:.3f} | {f['empty_bar_rate']:.3f} | {probe} |")  # fmt: skip
    ref, controls = results[0]["final"]["reference"], results[0]["final"].get("controls", {})
    print(f"| real songs (test split) | | {ref['step_share']:.3f} | {ref['leap_share']:.3f} | {ref['avg_pitch_shift']:.2f} | "
          f"{ref['repetition']:.3f} ({ref['near_repetition']:.3f}) | {ref['scale_consistency']:.3f} | "
          f"{ref['pitch_class_entropy']:.3f} | {ref['empty_bar_rate']:.3f} | |")  # fmt: skip
    for control in ("scale_random", "bars_shuffled"):
        c = {name: controls.get(name, {}).get(control, nan) for name in UNCOND}
        print(f"| control: {control} | | {c['step_share']:.3f} | {c['leap_share']:.3f} | {c['avg_pitch_shift']:.2f} | "
              f"{c['repetition']:.3f} ({c['near_repetition']:.3f}) | {c['scale_consistency']:.3f} | "
              f"{c['pitch_class_entropy']:.3f} | {c['empty_bar_rate']:.3f} | |")  # fmt: skip
    if any("infill" in r for r in results):
        print("\n| recipe | infill note F1 (copy prev / copy next / context) | pitch accuracy (copy prev / next / context) "
              "| key consistency |\n|---|---|---|---|")  # fmt: skip
        for r in results:
            infill = r.get("infill", {})
            cells = []
            for key in ("infill_note_f1", "infill_pitch_accuracy"):
                row = infill.get(key, {})
                cells.append(f"{row.get('value', nan):.3f} ({row.get('copy_previous', nan):.3f} / "
                             f"{row.get('copy_next', nan):.3f} / {row.get('context_pitches', nan):.3f})")  # fmt: skip
            key = infill.get("infill_key_consistency", {})
            print(f"| {r['recipe']} | {cells[0]} | {cells[1]} | {key.get('value', nan):.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", action="append", default=[], help="name, or name=key=value;key=value")
    parser.add_argument("--minutes", type=float, default=7.0)
    parser.add_argument("--steps", type=int, default=None, help="train this many steps instead (equal-steps ablation)")
    parser.add_argument("--out_dir", type=Path, default=ROOT / "runs" / "ablation")
    parser.add_argument("--root_dir", type=Path, default=pop909_root(), help="full POP909 for unseen infilling songs")
    parser.add_argument("--songs", type=int, default=20)
    parser.add_argument("--curve_every", type=int, default=None, help="also score every N-step checkpoint")
    parser.add_argument("--no_infill", action="store_true", help="skip the infilling of unseen songs")
    parser.add_argument("--table", type=Path, nargs="+", help="only print the table of these runs' ablation.json")
    args = parser.parse_args()
    if args.table:
        print_table([json.loads((run / "ablation.json").read_text()) for run in args.table])
        return
    recipes = [parse_recipe(text) for text in args.recipe or list(RECIPES)]
    results = [run_recipe(name, overrides, args) for name, overrides in recipes]
    print_table(results)


if __name__ == "__main__":
    main()
