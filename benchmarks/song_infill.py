"""Infilling judged on the songs themselves: unquantised POP909 songs a run never saw, the model's gap against the
original notes, beside copying the bars before and after the gap.

    python benchmarks/song_infill.py --load_dir runs/main_job [--root_dir ../shared/data/POP909] [--songs 20]

Fills bars --start..--end of the melody of --songs unseen songs with `smdiff
sample --task infill` (which returns each whole song with only the gap
replaced) and compares the written song's melody notes in the gap with the
input file's — as performed, not as the tokenizer hears them: a note matches an
original note of the same pitch whose onset is within half a sixteenth of the
bar (the songs' own bars, from their beat annotations). Precision, recall and F1
are pooled over songs. The baselines put into the gap the melody of the bars
just before it, or just after it, bar by bar (each note at the same place in its
bar), on the same songs. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import symusic

sys.path.insert(0, str(Path(__file__).resolve().parent))
from infill_quality import trained_songs

from smdiff.inference.songs import bar_starts
from smdiff.testing import pop909_root

TOLERANCE = 1 / 32  # of a bar: half a sixteenth


def melody_notes(score: symusic.Score, tracks: list[int]) -> np.ndarray:
    """``[n, 2]`` onset tick and pitch of the notes of ``tracks``."""
    rows = [(note.time, note.pitch) for index in tracks for note in score.tracks[index].notes]
    return np.array(rows, dtype=np.float64).reshape(-1, 2)


def in_bars(notes: np.ndarray, ticks: np.ndarray, first: int, last: int) -> np.ndarray:
    return notes[(notes[:, 0] >= ticks[first]) & (notes[:, 0] < ticks[last])]


def matches(generated: np.ndarray, original: np.ndarray, ticks: np.ndarray) -> int:
    """Original notes matched one to one by a generated note of the same pitch within the tolerance."""
    bar_length = np.interp(original[:, 0], ticks[:-1], np.diff(ticks)) if len(original) else np.zeros(0)
    free = np.ones(len(generated), dtype=bool)
    found = 0
    for (onset, pitch), length in zip(original, bar_length, strict=True):
        close = free & (generated[:, 1] == pitch) & (np.abs(generated[:, 0] - onset) <= TOLERANCE * length)
        if close.any():
            free[np.flatnonzero(close)[np.argmin(np.abs(generated[close, 0] - onset))]] = False
            found += 1
    return found


def copied(notes: np.ndarray, ticks: np.ndarray, sources: range, targets: range) -> np.ndarray:
    """The notes of bars ``sources`` moved bar by bar onto bars ``targets`` (same place in the bar)."""
    moved = []
    for source, target in zip(sources, targets, strict=False):
        part = in_bars(notes, ticks, source, source + 1)
        share = (part[:, 0] - ticks[source]) / (ticks[source + 1] - ticks[source])
        moved.append(np.stack([ticks[target] + share * (ticks[target + 1] - ticks[target]), part[:, 1]], axis=1))
    return np.concatenate(moved) if moved else np.zeros((0, 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load_dir", type=Path, required=True)
    parser.add_argument("--root_dir", type=Path, default=pop909_root())
    parser.add_argument("--songs", type=int, default=20)
    parser.add_argument("--start", type=int, default=16)
    parser.add_argument("--end", type=int, default=32)
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="sample.key=value")
    args = parser.parse_args()
    seen = trained_songs(args.load_dir)
    unseen = [f for f in sorted(args.root_dir.iterdir()) if f.name not in seen and (f / f"{f.name}.mid").exists()]
    chosen = unseen[:: max(len(unseen) // args.songs, 1)][: args.songs]
    counts = {
        name: np.zeros(3) for name in ("model", "copy previous bars", "copy next bars")
    }  # hits, generated, original
    with tempfile.TemporaryDirectory() as scratch:
        songs, out = Path(scratch) / "songs", Path(scratch) / "out"
        for folder in chosen:  # the song with its beat annotations beside it
            shutil.copytree(folder, songs / folder.name)
        subprocess.run([sys.executable, "-m", "smdiff.cli", "sample", "--load_dir", str(args.load_dir), "--task", "infill",
                        "--input_midi_dir", str(songs), "--mask_start_bar", str(args.start), "--mask_end_bar", str(args.end),
                        "--mask_tracks", "melody", "--samples_per_midi", "1", "--out_dir", str(out),
                        *[part for item in args.overrides for part in ("--set", item)]],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        for record in json.loads((out / "index.json").read_text())["samples"]:
            source = Path(record["source"])
            before, after = symusic.Score(str(source)), symusic.Score(str(out / record["midi"]))
            ticks = bar_starts(before, source, None).astype(np.float64)
            tracks = record["song_tracks"]["melody"]
            original = melody_notes(before, tracks)
            gap = in_bars(original, ticks, args.start, args.end)
            length = args.end - args.start
            fills = {
                "model": in_bars(melody_notes(after, tracks), ticks, args.start, args.end),
                "copy previous bars": copied(
                    original, ticks, range(args.start - length, args.start), range(args.start, args.end)
                ),
                "copy next bars": copied(
                    original,
                    ticks,
                    range(args.end, min(args.end + length, len(ticks) - 1)),
                    range(args.start, args.end),
                ),
            }
            for name, fill in fills.items():
                counts[name] += (matches(fill, gap, ticks), len(fill), len(gap))
    print(f"{len(chosen)} unseen songs ({chosen[0].name} … {chosen[-1].name}), melody bars {args.start}-{args.end}, "
          f"notes matched within 1/32 of a bar\n")  # fmt: skip
    print("| gap filled by | precision | recall | F1 |\n|---|---|---|---|")
    for name, (hits, generated, original) in counts.items():
        precision, recall = hits / max(generated, 1), hits / max(original, 1)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(f"| {name} | {precision:.3f} | {recall:.3f} | {f1:.3f} |")


if __name__ == "__main__":
    main()
