"""Note-level fidelity of each tokenizer on POP909: the share of notes whose onset, pitch and duration survive.

    python benchmarks/fidelity.py [--root ../shared/data/POP909] [--limit N]

Each song is encoded whole (one window from bar 0 covering the song), decoded,
and every original note of the tokenizer's tracks is looked for in the decoded
piece at the same track, pitch and onset (within half the tokenizer's time
step, in beats of the song's bar grid), and then with its duration too (within
half a step, or 1/16 of its length for Octuple's log-spaced durations).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from smdiff.config import DataConfig
from smdiff.data.piece import Piece
from smdiff.plugins import build_tokenizer

# quarters per step, and whether the encoding's time is bar-relative (grid: 16 steps per bar whatever its length)
TOKENIZERS = {
    "melody": (0.25, True),
    "trio": (0.25, True),
    "melody_octuple": (1 / 16, False),
    "trio_octuple": (1 / 16, False),
}
WHOLE_SONG_BARS = 512


def song_fidelity(tokenizer, path: Path, step: float, bar_relative: bool) -> tuple[int, int, int]:
    piece = Piece.read(path, track_map=tokenizer.track_map, source=path)
    encoding = tokenizer.encode(path, bars=WHOLE_SONG_BARS)
    window = encoding.windows[list(encoding.start_bars).index(0)] if 0 in encoding.start_bars else encoding.windows[0]
    decoded = Piece.read(
        tokenizer.decode(tokenizer.repair(window)[0]), track_map={s: f"name:{s.upper()}" for s in tokenizer.slots}
    )
    total = onset_ok = full_ok = 0
    for slot, notes in piece.notes.items():
        where = (
            (lambda t: piece.grid.bar_position(t) * 4)
            if bar_relative
            else (lambda t: piece.grid.beat_position(t) * piece.grid.beat_unit)
        )
        beats = where(notes.time)
        lengths = where(notes.end) - beats
        total += len(beats)
        if slot not in decoded.notes:
            continue
        out = decoded.notes[slot]
        out_on = out.time / decoded.score.ticks_per_quarter
        out_len = (out.end - out.time) / decoded.score.ticks_per_quarter
        # align: decoded bar 0 is the song's first bar
        shift = where(np.array([piece.grid.bar_start_ticks[encoding.start_bars.min()]]))[0]
        for beat, length, pitch in zip(beats - shift, lengths, notes.pitch, strict=True):
            near = (out.pitch == pitch) & (np.abs(out_on - beat) <= step / 2 + 1e-6)
            if near.any():
                onset_ok += 1
                tolerance = max(step / 2, length / 16) + 1e-6
                full_ok += bool((np.abs(out_len[near] - length) <= tolerance).any())
    return total, onset_ok, full_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(os.environ.get("SMDIFF_POP909", "../shared/data/POP909")))
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    files = sorted(args.root.rglob("*.mid"))[: args.limit]
    print("| tokenizer | notes | onset + pitch kept | onset + pitch + duration kept |")
    print("|---|---|---|---|")
    for name, (step, bar_relative) in TOKENIZERS.items():
        config = DataConfig(tokenizer_id=name, bars=WHOLE_SONG_BARS, max_notes=20000)
        tokenizer = build_tokenizer(config)
        counts = np.sum([song_fidelity(tokenizer, path, step, bar_relative) for path in files], axis=0)
        print(f"| `{name}` | {counts[0]:,} | {counts[1] / counts[0]:.2%} | {counts[2] / counts[0]:.2%} |", flush=True)


if __name__ == "__main__":
    main()
