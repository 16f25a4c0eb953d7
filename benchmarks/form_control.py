"""Form on demand, judged on decoded notes: pieces sampled with a form beside pieces of the same model without one.

    python benchmarks/form_control.py --load_dir runs/main_job [--form "A8 A8 B8 A8 C8 C8 B8 A'8"] [--samples 16]
        [--repeat 3] [--picture docs/images/form_similarity.png]

Samples --samples new pieces with --form and as many without, same seeds, the
two interleaved --repeat times (timed per piece). For each piece, on its
decoded notes (smdiff_metrics.form):

- repeats / variations / contrasts: mean bar similarity over the bars the form
  repeats, varies, or sets apart — for pieces without a form, the same bars
  (what the model does on its own there: the baseline);
- the quality of the sections the form leaves free (each letter's first place):
  step share, leap share, scale consistency, pitch-class entropy and groove
  consistency of the melody there, beside the same bars of the pieces sampled without a form —
  forcing a form must not make the free music worse;
- notes per bar, empty-bar rate and 2-bar repetition of the whole piece
  (smdiff_metrics.rhythm, .structure), beside unseen real songs' (the first
  64 bars of their melody).

Prints a Markdown table: medians with the 10–90 % spread over pieces.
``--picture`` draws the bar self-similarity of an unseen real song, of a piece
with the form and of one without it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from infill_quality import trained_songs

from smdiff.config.schema import SampleConfig
from smdiff.form import Form
from smdiff.form.detect import bar_similarity, detect_form
from smdiff.inference import generate, load_run
from smdiff.inference.jobs import jobs_for
from smdiff.midi import load_score
from smdiff.notes import NoteTable
from smdiff.plugins import build_plugin_host
from smdiff.testing import pop909_or_bundled
from smdiff_metrics import motion, rhythm, structure, tonality
from smdiff_metrics.form import form_fit


def free_bars(form: Form) -> list[int]:
    """Bars of the sections heard first: what the form leaves to the model."""
    return [
        bar
        for section in form.sections
        if form.source(section) is None
        for bar in range(section.start_bar, section.end_bar)
    ]


def in_bars(table: NoteTable, bars: list[int]) -> NoteTable:
    return table.select(np.isin(table.bar, bars))


def spread(values: list[float]) -> str:
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if not len(finite):
        return "–"
    low, mid, high = np.percentile(finite, [10, 50, 90])
    return f"{mid:.3f} ({low:.3f}–{high:.3f})"


def measure(tables: list[NoteTable], form: Form) -> dict[str, list[float]]:
    fits = [form_fit(table, form) for table in tables]
    free = [in_bars(table, free_bars(form)) for table in tables]
    return {
        "repeats": [fit.repeats for fit in fits],
        "variations": [fit.variations for fit in fits],
        "contrasts": [fit.contrasts for fit in fits],
        "free step share": list(motion.step_share(free)),
        "free leap share": list(motion.leap_share(free)),
        "free scale consistency": list(tonality.scale_consistency(free)),
        "free pitch-class entropy": list(tonality.pitch_class_entropy(free)),
        "free groove consistency": list(rhythm.groove_consistency(free)),
        "notes per bar": [len(table) / max(table.n_bars, 1) for table in tables],
        "empty bar rate": list(rhythm.empty_bar_rate(tables)),
        "2-bar repetition": list(structure.repetition(tables)),
    }


def real_songs(run_dir: Path, root_dir: Path, count: int, bars: int) -> list[NoteTable]:
    """The first ``bars`` bars of ``count`` songs the run never saw (melody, on the songs' own bars)."""
    seen = trained_songs(run_dir)
    tables = []
    for folder in sorted(root_dir.iterdir()):
        path = folder / f"{folder.name}.mid"
        if folder.name in seen or not path.exists():
            continue
        table = NoteTable.from_score(load_score(path), source_path=path)
        melody = table.select(table.track == table.melody_track())
        tables.append(melody.excerpt(int(melody.bar.min()), bars))
        if len(tables) == count:
            break
    return tables


def draw(pieces: dict[str, NoteTable], path: Path) -> None:
    """Bar self-similarity matrices side by side, one per piece."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(pieces), figsize=(4.4 * len(pieces), 4.6))
    colours = matplotlib.colormaps["magma"].copy()
    colours.set_bad("#c8ccd4")
    for axis, (title, table) in zip(axes, pieces.items(), strict=True):
        similarity = bar_similarity(table)
        silent = np.bincount(table.bar[(table.bar >= 0) & (table.bar < table.n_bars)], minlength=table.n_bars) == 0
        similarity[np.outer(silent, silent)] = np.nan  # two silent bars: grey, not "the same music"
        image = axis.imshow(similarity, cmap=colours, vmin=0, vmax=1, origin="lower")
        axis.set_title(title, fontsize=9)
        axis.set_xlabel("bar")
        axis.set_ylabel("bar")
    figure.colorbar(image, ax=axes, shrink=0.8, label="bar similarity (Jaccard of notes)")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90, bbox_inches="tight")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load_dir", type=Path, required=True)
    parser.add_argument("--form", default="A8 A8 B8 A8 C8 C8 B8 A'8")
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--load_step", type=int, default=0, help="0 = best.pt (the main job's choice)")
    parser.add_argument("--picture", type=Path, default=None, help="draw bar self-similarity into this PNG")
    parser.add_argument("--root_dir", type=Path, default=pop909_or_bundled(Path(__file__).resolve().parents[1]))
    args = parser.parse_args()

    host = build_plugin_host()
    run = load_run(args.load_dir, load_step=args.load_step, ema=True, registries=host.registries)
    task = host.registries.tasks.get("uncond").factory(SampleConfig())
    form = Form.parse(args.form)
    results: dict[str, dict[str, list[float]]] = {"with the form": {}, "without a form": {}}
    seconds: dict[str, list[float]] = {"with the form": [], "without a form": []}
    first: dict[str, NoteTable] = {}
    for repeat in range(args.repeat):
        for name, asked in (("with the form", args.form), ("without a form", None)):
            settings = SampleConfig(n_samples=args.samples, seed=1000 * repeat, form=asked, form_prior=False)
            began = time.perf_counter()
            pieces = generate(run, task, jobs_for(run, task, settings), settings)
            seconds[name].append((time.perf_counter() - began) / args.samples)
            tables = [NoteTable.from_score(piece.score, n_bars=run.config.data.bars) for piece in pieces]
            first.setdefault(name, tables[0])
            for metric, values in measure(tables, form).items():
                results[name].setdefault(metric, []).extend(values)
    print(f"form \"{form}\", {args.samples} pieces × {args.repeat} repeats per column, {run.checkpoint} "
          f"(step {run.step}); medians (10–90 % over pieces)\n")  # fmt: skip
    print("| measure | with the form | without a form |\n|---|---|---|")
    for metric in results["with the form"]:
        print(
            f"| {metric} | {spread(results['with the form'][metric])} | {spread(results['without a form'][metric])} |"
        )
    per_run = {name: [f"{value:.3f}" for value in values] for name, values in seconds.items()}
    print(f"| seconds per piece (each repeat) | {', '.join(per_run['with the form'])} | "
          f"{', '.join(per_run['without a form'])} |")  # fmt: skip
    bars = run.config.data.bars
    real = real_songs(args.load_dir, args.root_dir, args.samples, bars)
    own = [form_fit(table, detect_form(table)) for table in real]
    print(f"\n{len(real)} unseen real songs (melody, first {run.config.data.bars} bars), each against its own detected "
          f"form: repeats {spread([fit.repeats for fit in own])}, contrasts {spread([fit.contrasts for fit in own])}, "
          f"notes per bar {spread([len(table) / bars for table in real])}, "
          f"empty bar rate {spread(list(rhythm.empty_bar_rate(real)))}, "
          f"2-bar repetition {spread(list(structure.repetition(real)))}")  # fmt: skip
    if args.picture:
        draw({"an unseen POP909 song (melody)": real[0], f"sampled with --form\n{form}": first["with the form"],
              "sampled without a form": first["without a form"]}, args.picture)  # fmt: skip


if __name__ == "__main__":
    main()
