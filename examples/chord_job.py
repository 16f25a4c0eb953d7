"""The chord job: prepare with chords → train → accompany three unseen melodies → score the accompaniments.

    python examples/chord_job.py                 # about 10 minutes on a 2-core CPU
    SMDIFF_CHORD_MINUTES=30 python examples/chord_job.py

Trains `trio_chords` (melody, bridge, piano and a chord channel) on the bundled
POP909 subset, then gives it the melodies of three songs of the test split —
melody-only files, their chord annotation beside them — and asks for an
accompaniment (`smdiff sample --task accompany`). Each accompaniment is scored
against the song's annotated chords (smdiff_metrics.chords.chord_accuracy) beside
the song's real accompaniment and two trivial ones: random triads of the key,
and the chords one bar late. Every step is an ordinary `smdiff` command, printed
before it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import symusic

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def smdiff(*args: str) -> None:
    """Run one smdiff command, echoing it; stop the job on failure."""
    print(f"\n$ smdiff {shlex.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", "smdiff.cli", *args], check=True, cwd=ROOT)


def test_songs(cache: Path, count: int) -> list[str]:
    """The first ``count`` songs of the cache's test split (relative paths under the dataset's root)."""
    meta = json.loads(cache.with_suffix(".json").read_text())
    return [name for name, split in zip(meta["files"], meta["file_split"], strict=True) if split == "test"][:count]


def melody_only(song: Path, into: Path) -> Path:
    """The song's MELODY track alone (tempo and metre kept), with its beat and chord annotations beside it."""
    score = symusic.Score(str(song))
    melody = symusic.Score(score.ticks_per_quarter)
    melody.tempos, melody.time_signatures = score.tempos, score.time_signatures
    melody.tracks.append(next(track for track in score.tracks if track.name.strip().upper() == "MELODY"))
    into.mkdir(parents=True, exist_ok=True)
    melody.dump_midi(str(into / song.name))
    for annotation in ("beat_midi.txt", "chord_midi.txt"):
        shutil.copy(song.parent / annotation, into / annotation)
    return into / song.name


def top_lines(score: symusic.Score, song: Path) -> symusic.Score:
    """The song's accompaniment as the grid hears it: bridge and piano each reduced to its highest sounding note
    per sixteenth (the song encoded by `trio_chords` and decoded, on the song's own time)."""
    from smdiff.config import DataConfig
    from smdiff.retime import onto_source
    from smdiff_onehot.chord_grid import ChordGridTokenizer

    tokenizer = ChordGridTokenizer.from_config(
        "trio_chords", ("melody", "bridge", "piano"), DataConfig(bars=32, normalise_key=False)
    )
    encoding = tokenizer.encode(score, bars=32, source=song)
    first = int(np.argmin(encoding.start_bars))
    decoded = tokenizer.decode(encoding.windows[first])
    return onto_source(decoded, score, bars=32, source_path=song, time_signature=None,
                       first_bar=int(encoding.start_bars[first]))  # fmt: skip


def scores(song: Path, accompanied: Path, bars: int, rng: np.random.Generator) -> dict[str, float]:
    """Chord accuracy over the song's first ``bars`` bars: the generated, the real and two trivial accompaniments."""
    from smdiff import Key, NoteTable, beat_chords
    from smdiff.data.keys import score_key
    from smdiff_metrics.chords import chord_accuracy, previous_bar_chords, random_chords_in_key

    original = symusic.Score(str(song))
    given = beat_chords(original, song)
    starts = given.beat_ticks / original.ticks_per_quarter
    keep = len(starts) - 1
    first_bar = NoteTable.from_score(original, source_path=song).bar_starts
    if first_bar is not None and len(first_bar) > bars:
        keep = int(np.searchsorted(starts, first_bar[bars] - 1e-6))
    chords, beats = list(given.chords[:keep]), starts[: keep + 1]

    def accompaniment(score: symusic.Score) -> NoteTable:
        table = NoteTable.from_score(score)
        names = [name.strip().upper() for name in table.track_names]
        return table.select(np.isin(table.track, [names.index(n) for n in ("BRIDGE", "PIANO") if n in names]))

    def agreement(trivial: list) -> float:
        pairs = [(want.majmin, got.majmin) for want, got in zip(chords, trivial, strict=True) if want.majmin]
        return float(np.mean([want == got for want, got in pairs])) if pairs else float("nan")

    key = score_key(original) or Key(0)
    return {
        "generated": chord_accuracy(accompaniment(symusic.Score(str(accompanied))), beats, chords),
        "real": chord_accuracy(accompaniment(original), beats, chords),
        "real, top lines": chord_accuracy(accompaniment(top_lines(original, song)), beats, chords),
        "random triads of the key": agreement(random_chords_in_key(chords, key, rng)),
        "the chords a bar late": agreement(previous_bar_chords(chords, 4)),
    }


def main() -> None:
    """Run the whole flow with the budget the flags give."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SMDIFF_CHORD_MINUTES", "7")))
    parser.add_argument("--run_dir", default="runs/chord_job")
    parser.add_argument("--songs", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    config = ["--config", str(HERE / "chords.toml")]
    run = Path(args.run_dir)
    smdiff("prepare", *config)
    smdiff("train", *config, "--log_dir", str(run), "--resume", "--steps", "100000",
           "--set", f"train.max_seconds={args.minutes * 60}")  # fmt: skip
    cache = ROOT / "data" / "cache" / "pop909_mini-trio_chords-32bars.npy"
    rng = np.random.default_rng(0)
    rows = []
    for name in test_songs(cache, args.songs):
        song = HERE / "pop909-mini" / name
        melody = melody_only(song, ROOT / run / "melodies" / song.parent.name)
        out = ROOT / run / "accompanied" / song.parent.name
        if out.exists():
            shutil.rmtree(out)
        smdiff("sample", "--load_dir", str(run), "--task", "accompany", "--input_midi", str(melody), "--load_step", "0",
               "--n_samples", "1", "--out_dir", str(out))  # fmt: skip
        record = json.loads((out / "index.json").read_text())["samples"][0]
        rows.append(
            (song.parent.name, record["outside_gap_notes_changed"], scores(song, out / record["midi"], 32, rng))
        )
    print(f"\nDone in {(time.perf_counter() - started) / 60:.1f} min. Accompaniments of unseen melodies "
          f"(first 32 bars), chord accuracy against each song's annotated chords (root + major/minor, per beat):\n")  # fmt: skip
    names = list(rows[0][2])
    print("| song | melody notes changed | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for song, changed, values in rows:
        print(f"| {song} | {changed} | " + " | ".join(f"{values[name]:.3f}" for name in names) + " |")
    print("| mean | | " + " | ".join(f"{np.nanmean([v[name] for *_, v in rows]):.3f}" for name in names) + " |")
    print(f"\n  MIDI: {run}/accompanied/<song>/ (the melody, with BRIDGE and PIANO added); "
          f"the melodies given: {run}/melodies/")  # fmt: skip


if __name__ == "__main__":
    main()
