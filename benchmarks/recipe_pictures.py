"""Pictures for docs/benchmarks.md: learning curves of recipes against wall time, and samples beside real songs.

    python benchmarks/recipe_pictures.py --runs runs/ablation/baseline runs/ablation/key_rotary \\
        --samples_from runs/ablation/key_rotary --out_dir docs/images

Learning curves: the probe (bits per masked pitch at 50 % masking, with the
context-histogram and unigram baselines) from each run's ``metrics.jsonl``, and
the per-piece medians of 32 unconditional samples per checkpoint from the
``ablation.json`` that ``benchmarks/recipe_ablation.py --curve_every`` writes.
Piano rolls: new pieces of ``--samples_from`` (the default sampler, decoded
in C major / A minor) above real test-split songs of that run's cache.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from smdiff.data.catalog import config_cache_path as cache_path
from smdiff.inference import load_run
from smdiff.midi import load_score
from smdiff.pianoroll import render_piano_roll
from smdiff.plugins import get_registries


def probe_curve(run: Path) -> tuple[np.ndarray, np.ndarray, float, float, float | None]:
    """Seconds since the start, model bits at 50 %, and the baselines (constant over a run; no neighbour before #27)."""
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    start = records[0]["time"]
    probes = [r for r in records if r["kind"] == "probe"]
    seconds = np.array([r["time"] - start for r in probes])
    return (
        seconds,
        np.array([r["model_bits_50"] for r in probes]),
        probes[-1]["context_bits_50"],
        probes[-1]["unigram_bits_50"],
        probes[-1].get("neighbour_bits_50"),
    )


def curves_picture(runs: list[Path], path: Path) -> None:
    figure, axes = plt.subplots(1, 3, figsize=(15, 4))
    reference = None
    for run in runs:
        seconds, bits, context, unigram, neighbour = probe_curve(run)
        (line,) = axes[0].plot(seconds / 60, bits, label=run.name)
        axes[0].axhline(context, color=line.get_color(), linestyle=":", linewidth=1)
        if neighbour is not None:
            axes[0].axhline(neighbour, color=line.get_color(), linestyle="-.", linewidth=1)
        summary = run / "ablation.json"
        if summary.is_file():
            result = json.loads(summary.read_text())
            points = [p for p in result.get("curve", []) if p.get("seconds") is not None]
            minutes = [p["seconds"] / 60 for p in points]
            axes[1].plot(minutes, [p["scale_consistency"] for p in points], marker="o", color=line.get_color())
            axes[2].plot(minutes, [p["pitch_class_entropy"] for p in points], marker="o", color=line.get_color())
            reference = result["final"]["reference"]
    axes[0].axhline(unigram, color="grey", linestyle="--", linewidth=1, label="unigram (key-normalised data)")
    axes[0].set(title="probe at 50 % (dotted: context histogram; dash-dot: neighbours)", xlabel="minutes",
                ylabel="bits per masked pitch", ylim=(2.0, 5.0))  # fmt: skip
    axes[0].legend(fontsize=8)
    if reference is not None:
        axes[1].axhline(reference["scale_consistency"], color="black", linestyle="--", label="real songs")
        axes[2].axhline(reference["pitch_class_entropy"], color="black", linestyle="--", label="real songs")
        axes[1].legend(fontsize=8)
    axes[1].set(title="scale consistency (median of 32 samples)", xlabel="minutes", ylim=(0.5, 1.02))
    axes[2].set(title="pitch-class entropy, bits (median)", xlabel="minutes")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)


def rolls_picture(run_dir: Path, path: Path, count: int = 3) -> None:
    registries = get_registries()
    run = load_run(run_dir, load_step=None, ema=True, registries=registries)
    from smdiff.data.cache import TokenCache

    spec = registries.tokenizers.get(run.config.data.tokenizer_id)
    cache = TokenCache.load(cache_path(run.config), tokenizer_id=spec.id, tokenizer_version=spec.version,
                            rebuild_hint="smdiff prepare")  # fmt: skip
    test = cache.split_indices("test")
    real = [run.tokenizer.decode(np.asarray(cache.windows[i])) for i in test[:: max(len(test) // count, 1)][:count]]
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([sys.executable, "-m", "smdiff.cli", "--quiet", "sample", "--load_dir", str(run_dir),
                        "--n_samples", str(count), "--out_dir", f"{scratch}/samples"], check=True)  # fmt: skip
        samples = [load_score(p) for p in sorted(Path(scratch, "samples").glob("sample_*.mid"))]
    tile = (1000, 200)
    sheet = Image.new("RGB", (tile[0], tile[1] * 2 * count + 24), "white")
    ImageDraw.Draw(sheet).text((8, 6), f"model samples ({run_dir.name}, step {run.step}) above real test songs "
                               "(both in C major / A minor)", fill="#333333", font=ImageFont.load_default())  # fmt: skip
    titled = [(s, f"sample {i}") for i, s in enumerate(samples)] + [(s, f"real song {i}") for i, s in enumerate(real)]
    for row, (score, title) in enumerate(titled):
        sheet.paste(render_piano_roll(score, size=tile, title=title), (0, 24 + row * tile[1]))
    sheet.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, nargs="+", required=True)
    parser.add_argument(
        "--samples_from", type=Path, default=None, help="also draw this run's samples beside real songs"
    )
    parser.add_argument("--out_dir", type=Path, default=Path("docs/images"))
    parser.add_argument("--name", default="recipe", help="pictures are NAME_curves.png and NAME_samples.png")
    args = parser.parse_args()
    curves_picture(args.runs, args.out_dir / f"{args.name}_curves.png")
    print(f"wrote {args.out_dir / f'{args.name}_curves.png'}")
    if args.samples_from is not None:
        rolls_picture(args.samples_from, args.out_dir / f"{args.name}_samples.png")
        print(f"wrote {args.out_dir / f'{args.name}_samples.png'}")


if __name__ == "__main__":
    main()
