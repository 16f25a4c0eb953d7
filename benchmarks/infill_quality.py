"""Infilling quality on songs a run never saw: key consistency, note F1 and pitch accuracy beside the copy baselines.

    python benchmarks/infill_quality.py --load_dir runs/main_job [--root_dir ../shared/data/POP909] [--songs 20]

Picks --songs POP909 songs that are not in the run's training cache (by song
folder), fills bars --start..--end of each with `smdiff sample --task infill`
(the run's own sampler settings unless given), scores the folder with
`smdiff evaluate`, and prints the infilling metrics as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from smdiff import checkpoints as ckpt
from smdiff.config.converter import converter
from smdiff.config.resolve import drop_unknown_keys
from smdiff.config.schema import SmdiffConfig
from smdiff.data.cache import sidecar_path
from smdiff.data.catalog import config_cache_path
from smdiff.inference import find_checkpoint
from smdiff.testing import pop909_root

METRICS = ("infill_key_consistency", "infill_pitch_accuracy", "infill_note_precision", "infill_note_f1",
           "infill_duration_accuracy", "infill_density_error")  # fmt: skip


def trained_songs(run_dir: Path) -> set[str]:
    """Song folder names of every file in the run's cache (all splits: none of them counts as unseen)."""
    payload = ckpt.load_checkpoint(find_checkpoint(run_dir, None))
    config = converter.structure(drop_unknown_keys(payload["config"])[0], SmdiffConfig)
    meta = json.loads(sidecar_path(config_cache_path(config)).read_text())
    return {Path(name).parts[0] for name in meta["files"]}


def infill_report(
    load_dir: Path,
    root_dir: Path,
    *,
    songs: int = 20,
    start: int = 16,
    end: int = 32,
    sampler: str = "confidence",
    sample_steps: int = 64,
    overrides: tuple[str, ...] = (),
) -> dict:
    """Fill bars ``start..end`` of ``songs`` unseen songs with the run's model; the infilling report and extras."""
    seen = trained_songs(load_dir)
    unseen = [
        folder
        for folder in sorted(root_dir.iterdir())
        if folder.name not in seen and (folder / f"{folder.name}.mid").exists()
    ]
    chosen = unseen[:: max(len(unseen) // songs, 1)][:songs]
    with tempfile.TemporaryDirectory() as scratch:
        song_dir, out = Path(scratch) / "songs", Path(scratch) / "infill"
        song_dir.mkdir()
        for folder in chosen:
            shutil.copy(folder / f"{folder.name}.mid", song_dir)
        smdiff = [sys.executable, "-m", "smdiff.cli"]
        subprocess.run([*smdiff, "sample", "--load_dir", str(load_dir), "--task", "infill", "--input_midi_dir", str(song_dir),
                        "--mask_start_bar", str(start), "--mask_end_bar", str(end), "--samples_per_midi", "1",
                        "--sampler", sampler, "--sample_steps", str(sample_steps), "--out_dir", str(out),
                        *[part for item in overrides for part in ("--set", item)]],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        subprocess.run([*smdiff, "evaluate", "--sample_dir", str(out), "--out_dir", str(Path(scratch) / "report")],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        report = json.loads((Path(scratch) / "report" / "metrics_infill.json").read_text())
        changed = [r["outside_gap_notes_changed"] for r in json.loads((out / "index.json").read_text())["samples"]]
    return {**report, "songs": [folder.name for folder in chosen], "outside_gap_notes_changed": changed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load_dir", type=Path, required=True)
    parser.add_argument("--root_dir", type=Path, default=pop909_root())
    parser.add_argument("--songs", type=int, default=20)
    parser.add_argument("--start", type=int, default=16)
    parser.add_argument("--end", type=int, default=32)
    parser.add_argument("--sampler", default="confidence")
    parser.add_argument("--sample_steps", type=int, default=64)
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="sample.key=value for the sampler")
    args = parser.parse_args()
    report = infill_report(
        args.load_dir, args.root_dir, songs=args.songs, start=args.start, end=args.end, sampler=args.sampler,
        sample_steps=args.sample_steps, overrides=tuple(args.overrides),
    )  # fmt: skip
    chosen, changed = report["songs"], report["outside_gap_notes_changed"]
    print(f"{len(chosen)} unseen songs ({chosen[0]} … {chosen[-1]}), bars {args.start}-{args.end}, "
          f"{args.sampler} {args.sample_steps} steps, checkpoint {report.get('checkpoint')}")  # fmt: skip
    print(f"samples whose notes outside the gap changed: {sum(c > 0 for c in changed)} of {len(changed)}\n")
    print("| metric | model | original | copy previous bars | context pitches, original rhythm |")
    print("|---|---|---|---|---|")
    for name in METRICS:
        row = report["metrics"][name]
        cell = lambda v: "" if v is None else f"{v:.3f}"  # noqa: E731
        spread = f" [{row['spread'][0]:.2f}–{row['spread'][1]:.2f}]" if row.get("spread") else ""
        baselines = row.get("baselines", {})
        print(f"| `{name}` | {cell(row['value'])}{spread} | {cell(row['reference'])} | "
              f"{cell(baselines.get('copy_previous'))} | {cell(baselines.get('context_pitches'))} |")  # fmt: skip


if __name__ == "__main__":
    main()
