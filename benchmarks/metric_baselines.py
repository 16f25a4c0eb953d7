"""What each metric can and cannot detect: POP909's own ceiling, two bad baselines, and a construction that games OA.

    python benchmarks/metric_baselines.py [--cache data/cache/pop909_melody-melody-64bars.npy]

Rows, all scored against the train split of the prepared melody cache:
  ceiling        the test split itself (real music the model never saw)
  random notes   uniformly random pitches (48-84) and durations, one note at a time
  shuffled bars  each bar taken from a different test song (right notes, no structure)
  fooling        random notes drawn from Gaussians whose frame-to-frame drift is tuned to hit
                 the data's overlapping-area statistics (SCHmUBERT's construction)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from smdiff.config import DataConfig
from smdiff.evaluation import Evaluation, score
from smdiff.notes import NoteTable
from smdiff.plugins import get_registries
from smdiff.scoring import reference_tables

BARS = 64
DURATIONS = np.array([0.25, 0.5, 1.0, 2.0])


def table(onset: np.ndarray, duration: np.ndarray, pitch: np.ndarray) -> NoteTable:
    bar = np.floor(onset / 4).astype(np.int64)
    keep = bar < BARS
    n = int(keep.sum())
    return NoteTable(
        onset[keep],
        duration[keep],
        pitch[keep].astype(np.int64),
        np.full(n, 100),
        np.zeros(n, dtype=np.int64),
        bar[keep],
        BARS,
    )


def sequential(rng: np.random.Generator, pitches: callable) -> NoteTable:
    durations = rng.choice(DURATIONS, size=600)
    onsets = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
    return table(onsets, durations, pitches(onsets))


def random_notes(rng: np.random.Generator, count: int) -> list[NoteTable]:
    return [sequential(rng, lambda onsets: rng.integers(48, 85, size=len(onsets))) for _ in range(count)]


def shuffled_bars(rng: np.random.Generator, songs: list[NoteTable]) -> list[NoteTable]:
    pieces = []
    for _ in songs:
        parts = [songs[rng.integers(len(songs))].in_bars(b, b + 1) for b in range(BARS)]
        pieces.append(table(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("onset", "duration", "pitch"))))
    return pieces


def fooling(rng: np.random.Generator, count: int, drift: float) -> list[NoteTable]:
    def pitches(onsets: np.ndarray) -> np.ndarray:
        frame_means = 64 + np.cumsum(rng.normal(0, drift, size=int(onsets.max() // 8) + 1))
        return np.clip(np.rint(rng.normal(frame_means[(onsets // 8).astype(int)], 3.0)), 21, 108)

    return [sequential(rng, pitches) for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("data/cache/pop909_melody-melody-64bars.npy"))
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
    rows = {
        "ceiling (test vs train)": evaluate(test),
        "random notes": evaluate(random_notes(rng, len(test))),
        "shuffled bars": evaluate(shuffled_bars(rng, test)),
        f"fooling (drift {best:g})": evaluate(fooling(rng, len(test), best)),
    }
    names = sorted(next(iter(rows.values())))
    print("| metric | better | " + " | ".join(rows) + " |")
    print("|---|---|" + "---|" * len(rows))
    for name in names:
        first = next(iter(rows.values()))[name]
        cells = []
        for result in rows.values():
            value = result[name]["value"]
            cells.append(
                f"{value:.3f}"
                + (
                    f" (data {result[name]['reference']:.3f})"
                    if result[name]["reference"] is not None and result is rows["ceiling (test vs train)"]
                    else ""
                )
            )
        print(f"| `{name}` | {first['direction']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
