"""Quality against compute: one run of the main job's recipe, scored after 2, 5, 10, 30 and 60 minutes of training,
and its 10-minute model against the number of sampler steps.

    python benchmarks/quality_vs_compute.py --minutes 60 --out_dir runs/compute
    python benchmarks/quality_vs_compute.py --table runs/compute --picture docs/images/compute_curves.png

Trains the main job's configuration (``examples/demo.toml``, the 61 bundled
POP909 songs) once for ``--minutes`` of wall clock, keeping a checkpoint every
``--checkpoint_every`` steps; then, for the checkpoint closest to each of
``--at`` minutes: 32 unconditional samples with the default sampler (per-piece
medians: melodic motion, repetition, tonality), the probe at 20/50/80 % beside
its three baselines, and bars 16–32 of 20 POP909 songs no run saw filled in
(note F1 beside copying the bars before and after the gap). Then the checkpoint
at ``--sampler_minutes`` is sampled with the confidence sampler at 8 … 512 steps
and the ancestral sampler at one step per position (1,024). The
checkpoint of the lowest validation loss (``best.pt``) is scored the same way.
Writes ``OUT/compute.json`` and prints Markdown tables for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from infill_quality import infill_report
from recipe_ablation import UNCOND

from smdiff.testing import pop909_root

ROOT = Path(__file__).resolve().parent.parent
SAMPLER_STEPS = (8, 16, 32, 64, 128, 512)
NAN = float("nan")


def smdiff(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "smdiff.cli", *args], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def score(run: Path, step: int, out: Path, *extra: str) -> dict:
    """Per-piece medians of 32 unconditional samples of checkpoint ``step`` (and whatever ``extra`` adds)."""
    smdiff("evaluate", "--load_dir", str(run), "--load_step", str(step), "--n_samples", "32", "--out_dir", str(out),
           *extra)  # fmt: skip
    report = json.loads((out / "metrics_uncond.json").read_text())
    row = {name: report["metrics"][name]["value"] for name in UNCOND}
    row["reference"] = {name: report["metrics"][name]["reference"] for name in UNCOND}
    for probe in report.get("probe", []):
        row[f"probe_{round(probe['rate'] * 100)}"] = {
            key: probe[key] for key in ("model_bits", "unigram_bits", "context_bits", "neighbour_bits")
        }
    return row


def infill_row(run: Path, step: int, root_dir: Path, songs: int) -> dict:
    report = infill_report(run, root_dir, songs=songs, sample_steps=32, overrides=(f"sample.load_step={step}",))
    return {
        key: {"value": report["metrics"][key]["value"], **report["metrics"][key].get("baselines", {})}
        for key in ("infill_note_f1", "infill_pitch_accuracy")
    }


def score_best(run: Path, args: argparse.Namespace, seconds: dict[int, float]) -> dict:
    """The checkpoint of the lowest validation loss (``best.pt``, what ``--load_step 0`` samples), scored like the rest."""
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    step = min((r for r in records if r["kind"] == "val"), key=lambda r: r["bits_per_token"])["step"]
    row = score(run, 0, args.out_dir / "eval-best", "--probe")
    if args.root_dir is not None:
        row["infill"] = infill_row(run, 0, args.root_dir, args.songs)
    return {"minutes": seconds.get(step, NAN) / 60, "step": step, "seconds": seconds.get(step), **row}


def run_all(args: argparse.Namespace) -> dict:
    run = args.out_dir / "run"
    if run.exists():
        raise SystemExit(f"{run} exists; pass another --out_dir (earlier runs are never overwritten)")
    config = ["--config", str(ROOT / "examples" / "demo.toml")]
    smdiff("prepare", *config)
    smdiff("train", *config, "--log_dir", str(run), "--steps", "1000000", "--set", f"train.max_seconds={args.minutes * 60}",
           "--set", f"train.checkpoint_every={args.checkpoint_every}", "--set", "train.keep_last=100000")  # fmt: skip
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    start = records[0]["time"]
    seconds = {r["step"]: r["time"] - start for r in records if r["kind"] == "train"}
    saved = sorted(int(p.stem.removeprefix("step_")) for p in (run / "checkpoints").glob("step_*.pt"))
    chosen = {minutes: min(saved, key=lambda step: abs(seconds.get(step, 0.0) - minutes * 60)) for minutes in args.at}
    result = {"minutes": args.minutes, "curve": [], "sampler": []}
    for minutes, step in sorted(chosen.items()):
        row = score(run, step, args.out_dir / f"eval-{minutes:g}min", "--probe")
        if args.root_dir is not None:
            row["infill"] = infill_row(run, step, args.root_dir, args.songs)
        result["curve"].append({"minutes": minutes, "step": step, "seconds": seconds.get(step), **row})
    result["best"] = score_best(run, args, seconds)
    step = chosen[min(args.at, key=lambda m: abs(m - args.sampler_minutes))]
    settings = [("confidence", steps) for steps in SAMPLER_STEPS] + [("ancestral", None)]
    for sampler, steps in settings:
        extra = ["--sampler", sampler] + (["--sample_steps", str(steps)] if steps else [])
        row = score(run, step, args.out_dir / f"sampler-{sampler}-{steps or 'all'}", *extra)
        result["sampler"].append({"sampler": sampler, "steps": steps or "one per position", "step": step, **row})
    (args.out_dir / "compute.json").write_text(json.dumps(result, indent=1))
    for extra in (run / "checkpoints").glob("step_*.pt"):  # hundreds of files; the scored ones are in the json
        if int(extra.stem.removeprefix("step_")) not in chosen.values():
            extra.unlink()
    return result


def print_tables(result: dict) -> None:
    print("\n| minutes | steps | step share | leap share | avg pitch shift | repetition (near) | scale cons. | "
          "PC entropy | probe 20 / 50 / 80 % (model; context; neighbour) | infill F1 (copy prev / next) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    best = (
        [{**result["best"], "label": f"best validation ({result['best']['minutes']:.0f})"}] if "best" in result else []
    )
    for row in [*result["curve"], *best]:
        probe = "; ".join(
            " / ".join(f"{row.get(f'probe_{rate}', {}).get(key, NAN):.2f}" for rate in (20, 50, 80))
            for key in ("model_bits", "context_bits", "neighbour_bits")
        )
        f1 = row.get("infill", {}).get("infill_note_f1", {})
        print(f"| {row.get('label', format(row['minutes'], 'g'))} | {row['step']} | {row['step_share']:.3f} | {row['leap_share']:.3f} | "
              f"{row['avg_pitch_shift']:.2f} | {row['repetition']:.3f} ({row['near_repetition']:.3f}) | "
              f"{row['scale_consistency']:.3f} | {row['pitch_class_entropy']:.3f} | {probe} | "
              f"{f1.get('value', NAN):.3f} ({f1.get('copy_previous', NAN):.3f} / {f1.get('copy_next', NAN):.3f}) |")  # fmt: skip
    ref = result["curve"][0]["reference"]
    print(f"| real songs | | {ref['step_share']:.3f} | {ref['leap_share']:.3f} | {ref['avg_pitch_shift']:.2f} | "
          f"{ref['repetition']:.3f} ({ref['near_repetition']:.3f}) | {ref['scale_consistency']:.3f} | "
          f"{ref['pitch_class_entropy']:.3f} | | |")  # fmt: skip
    print(
        "\n| sampler | steps | step share | leap share | avg pitch shift | repetition (near) | scale cons. | PC entropy |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in result["sampler"]:
        print(f"| {row['sampler']} | {row['steps']} | {row['step_share']:.3f} | {row['leap_share']:.3f} | "
              f"{row['avg_pitch_shift']:.2f} | {row['repetition']:.3f} ({row['near_repetition']:.3f}) | "
              f"{row['scale_consistency']:.3f} | {row['pitch_class_entropy']:.3f} |")  # fmt: skip


def draw(result: dict, run: Path, path: Path) -> None:
    """Four panels against minutes of training: validation loss and the probe, motion, infilling; and sampler steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    start = records[0]["time"]
    figure, axes = plt.subplots(1, 4, figsize=(20, 4))
    validation = [(r["time"] - start, r["bits_per_token"]) for r in records if r["kind"] == "val"]
    probes = [r for r in records if r["kind"] == "probe"]
    minutes = [(r["time"] - start) / 60 for r in probes]
    for rate, colour in ((20, "tab:green"), (50, "tab:blue"), (80, "tab:purple")):
        axes[0].plot(minutes, [r[f"model_bits_{rate}"] for r in probes], color=colour, label=f"probe {rate} %")
        axes[0].axhline(min(probes[-1][f"{k}_bits_{rate}"] for k in ("context", "neighbour")), color=colour,
                        linestyle=":", linewidth=1)  # fmt: skip
    axes[0].plot(
        [t / 60 for t, _ in validation], [b for _, b in validation], color="black", label="validation bits/token"
    )
    axes[0].set(title="probe (dotted: best baseline) and validation", xlabel="minutes", ylabel="bits", ylim=(0.5, 6.5))
    axes[0].legend(fontsize=8)
    curve, reference = result["curve"], result["curve"][0]["reference"]
    at = [row["minutes"] for row in curve]
    for name, colour in (("step_share", "tab:blue"), ("leap_share", "tab:red"), ("repetition", "tab:green")):
        axes[1].plot(at, [row[name] for row in curve], marker="o", color=colour, label=name.replace("_", " "))
        axes[1].axhline(reference[name], color=colour, linestyle="--", linewidth=1)
    axes[1].set(title="32 samples, per-piece medians (dashed: real songs)", xlabel="minutes", xscale="log")
    axes[1].legend(fontsize=8)
    f1 = [row["infill"]["infill_note_f1"] for row in curve if "infill" in row]
    if f1:
        axes[2].plot(at[: len(f1)], [row["value"] for row in f1], marker="o", label="model")
        for baseline, style in (("copy_previous", ":"), ("copy_next", "--")):
            axes[2].axhline(f1[0][baseline], color="grey", linestyle=style, label=baseline.replace("_", " "))
        axes[2].legend(fontsize=8)
    axes[2].set(title="infilling bars 16-32 of unseen songs: note F1", xlabel="minutes", xscale="log")
    for axis in axes[1:3]:
        axis.minorticks_off()
        axis.set_xticks(at, [f"{m:g}" for m in at])
    sampler = [row for row in result["sampler"] if row["sampler"] == "confidence"]
    axes[3].plot(
        [row["steps"] for row in sampler], [row["step_share"] for row in sampler], marker="o", label="step share"
    )
    axes[3].plot(
        [row["steps"] for row in sampler], [row["leap_share"] for row in sampler], marker="o", label="leap share"
    )
    axes[3].set(title=f"confidence sampler, {result['sampler'][0]['step']}-step model", xlabel="sampler steps",
                xscale="log")  # fmt: skip
    axes[3].minorticks_off()
    axes[3].set_xticks([row["steps"] for row in sampler], [str(row["steps"]) for row in sampler])
    axes[3].legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--at", type=float, nargs="+", default=[2, 5, 10, 30, 60], help="minutes to score")
    parser.add_argument("--sampler_minutes", type=float, default=10.0, help="the checkpoint the sampler table uses")
    parser.add_argument("--checkpoint_every", type=int, default=50)
    parser.add_argument("--out_dir", type=Path, default=ROOT / "runs" / "compute")
    parser.add_argument("--root_dir", type=Path, default=pop909_root(), help="full POP909 for unseen infilling songs")
    parser.add_argument("--songs", type=int, default=20)
    parser.add_argument("--table", type=Path, default=None, help="only print the tables (and draw) from this out_dir")
    parser.add_argument("--picture", type=Path, default=None, help="draw the curves into this PNG")
    args = parser.parse_args()
    if args.table:
        result = json.loads((args.table / "compute.json").read_text())
        print_tables(result)
        if args.picture:
            draw(result, args.table / "run", args.picture)
        return
    args.out_dir.mkdir(parents=True, exist_ok=True)
    result = run_all(args)
    print_tables(result)
    if args.picture:
        draw(result, args.out_dir / "run", args.picture)
    shutil.rmtree(args.out_dir / "run" / "samples", ignore_errors=True)


if __name__ == "__main__":
    main()
