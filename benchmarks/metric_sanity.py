"""Which metric catches what: real held-out songs, a model's samples, and controls that a metric must not reward.

    smdiff prepare --dataset_id pop909_melody
    python benchmarks/metric_sanity.py [--cache data/cache/pop909_melody-melody-64bars.npy] [--samples DIR ...]

Every row is scored against the train split of the prepared melody cache, with
every registered unconditional metric (per-piece metrics as the median over pieces):

  real songs          the test split (real music the model never saw)
  model samples       each --samples folder (`smdiff sample` output or any MIDI folder)
  scale random        the test songs with every pitch redrawn from the song's own best major/minor scale, in its
                      range (rhythm kept): passes the tonality metrics, moves like random notes
  bars shuffled       the test songs with their own bars in a random order: the right notes and motion, no form
  random pitches      the test songs with every pitch redrawn uniformly in the song's own range (rhythm kept)
  random notes        uniformly random pitches (48-84) and durations, one note at a time
  one repeated note   the test songs' rhythm on a single pitch (C4)
  shuffled bars       each bar taken from a different test song (right notes, no structure)
  tritone half-way    the test songs with their second half transposed up six semitones
  fooling OA          random notes from Gaussians whose drift is tuned to the data's OA statistics (SCHmUBERT)

Prints a Markdown table (rows: metrics, columns: sets) for docs/metrics.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import attrs
import numpy as np

from smdiff.config import DataConfig
from smdiff.evaluation.core import Evaluation
from smdiff.evaluation.inputs import has_index, load_samples, read_index, read_midi_folder, reference_tables
from smdiff.evaluation.report import score
from smdiff.notes import NoteTable
from smdiff.plugins import get_registries
from smdiff_metrics.controls import controlled

BARS = 64
DURATIONS = np.array([0.25, 0.5, 1.0, 2.0])


def table(onset: np.ndarray, duration: np.ndarray, pitch: np.ndarray) -> NoteTable:
    bar = np.floor(onset / 4).astype(np.int64)
    keep = bar < BARS
    n = int(keep.sum())
    return NoteTable(
        onset[keep], duration[keep], pitch[keep].astype(np.int64), np.full(n, 100), np.zeros(n, dtype=np.int64),
        bar[keep], BARS,
    )  # fmt: skip


def sequential(rng: np.random.Generator, pitches: callable) -> NoteTable:
    durations = rng.choice(DURATIONS, size=600)
    onsets = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
    return table(onsets, durations, pitches(onsets))


def random_notes(rng: np.random.Generator, count: int) -> list[NoteTable]:
    return [sequential(rng, lambda onsets: rng.integers(48, 85, size=len(onsets))) for _ in range(count)]


def random_pitches(rng: np.random.Generator, songs: list[NoteTable]) -> list[NoteTable]:
    return [
        attrs.evolve(s, pitch=rng.integers(s.pitch.min(), s.pitch.max() + 1, size=len(s))) if len(s) else s
        for s in songs
    ]


def one_note(songs: list[NoteTable]) -> list[NoteTable]:
    return [attrs.evolve(s, pitch=np.full(len(s), 60)) for s in songs]


def tritone_half_way(songs: list[NoteTable]) -> list[NoteTable]:
    return [attrs.evolve(s, pitch=np.where(s.bar >= BARS // 2, s.pitch + 6, s.pitch)) for s in songs]


def shuffled_bars(rng: np.random.Generator, songs: list[NoteTable]) -> list[NoteTable]:
    pieces = []
    for _ in songs:
        parts = []
        for bar in range(BARS):
            part = songs[rng.integers(len(songs))].in_bars(bar, bar + 1)
            parts.append(attrs.evolve(part, onset=part.onset - part.bar_start(part.bar) + bar * 4.0))
        pieces.append(table(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("onset", "duration", "pitch"))))
    return pieces


def fooling(rng: np.random.Generator, count: int, drift: float) -> list[NoteTable]:
    def pitches(onsets: np.ndarray) -> np.ndarray:
        frame_means = 64 + np.cumsum(rng.normal(0, drift, size=int(onsets.max() // 8) + 1))
        return np.clip(np.rint(rng.normal(frame_means[(onsets // 8).astype(int)], 3.0)), 21, 108)

    return [sequential(rng, pitches) for _ in range(count)]


def samples_of(folder: Path, registries, tokenizer, data: DataConfig) -> list[NoteTable]:
    """The pieces of a sample folder (``smdiff sample`` output) or of any MIDI folder."""
    if has_index(folder):
        return load_samples(folder, tokenizer, read_index(folder), data.bars).samples
    return read_midi_folder(folder, tokenizer, data).tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("data/cache/pop909_melody-melody-64bars.npy"))
    parser.add_argument("--samples", type=Path, nargs="*", default=[], help="model sample folders to add as columns")
    args = parser.parse_args()
    registries = get_registries()
    spec = registries.tokenizers.get("melody")
    data = DataConfig(tokenizer_id="melody", bars=BARS)
    tokenizer = spec.factory(data)
    train = reference_tables(data, tokenizer, spec.version, args.cache, "train")
    test = reference_tables(data, tokenizer, spec.version, args.cache, "test")
    rng = np.random.default_rng(0)

    def evaluate(pieces: list[NoteTable]) -> dict:
        return score(Evaluation("uncond", pieces, train, [True] * len(pieces)), registries)

    best = max(
        (0.0, 0.5, 1.0, 2.0, 3.0),
        key=lambda d: evaluate(fooling(np.random.default_rng(1), 200, d))["oa_pitch_consistency"]["value"],
    )
    rows = {"real songs": evaluate(test)}
    for folder in args.samples:
        rows[f"samples: {folder.name}"] = evaluate(samples_of(folder, registries, tokenizer, data))
    rows |= {
        "scale random": evaluate(controlled(test, "scale_random")),
        "bars shuffled": evaluate(controlled(test, "bars_shuffled")),
        "random pitches": evaluate(random_pitches(rng, test)),
        "random notes": evaluate(random_notes(rng, len(test))),
        "one repeated note": evaluate(one_note(test)),
        "shuffled bars": evaluate(shuffled_bars(rng, test)),
        "tritone half-way": evaluate(tritone_half_way(test)),
        f"fooling OA (drift {best:g})": evaluate(fooling(rng, len(test), best)),
    }
    real = rows["real songs"]
    order = sorted(real, key=lambda name: (real[name]["spread"] is None, name))
    print(f"{len(test)} test windows scored against {len(train)} train windows\n")
    print("| metric | better | data (train) | " + " | ".join(rows) + " |")
    print("|---|---|---|" + "---|" * len(rows))
    for name in order:
        reference = real[name]["reference"]
        cells = [f"{r[name]['value']:.3f}" if r[name]["value"] == r[name]["value"] else "n/a" for r in rows.values()]
        data_cell = f"{reference:.3f}" if reference is not None and reference == reference else ""
        print(f"| `{name}` | {real[name]['direction']} | {data_cell} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
