"""Chords: the recogniser against POP909's annotations and music21's analysis, and the chord metrics on real songs.

    python benchmarks/chords.py [--root_dir ../shared/data/POP909] [--songs 909] [--chorales 60]

1. Recognition (smdiff.recognise_chords) on every beat of --songs POP909 songs,
   against the song's chord_midi.txt at the beat: share of beats with the same
   root and major/minor family (over beats annotated as a major- or minor-family
   chord), and the same root. Baselines: the annotation 8 beats late, and a random
   triad of the song's key per annotated chord.
2. On Bach chorales of music21's corpus (repeats written out), against music21's
   chordify on beats holding a complete major or minor triad.
3. The chord metrics (smdiff_metrics.chords) on the songs' real parts: chord
   accuracy of the accompaniment (bridge + piano) and chord-tone ratio of the
   melody, against the annotated chords, the chords a bar late, and random chords
   of the key.
Prints Markdown tables, medians over songs with the 10–90 % spread, and seconds per song.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import symusic

from smdiff import Key, NoteTable, beat_chords, recognise_chords
from smdiff.data.keys import score_key
from smdiff.testing import chorale_chord_agreement, pop909_or_bundled
from smdiff_metrics.chords import chord_accuracy, chord_tone_ratio, previous_bar_chords, random_chords_in_key


def spread(values: list[float]) -> str:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    low, mid, high = np.percentile(values, [10, 50, 90])
    return f"{mid:.3f} ({low:.3f}–{high:.3f})"


def agreement(truth, found) -> tuple[int, int, int]:
    pairs = [(want, got) for want, got in zip(truth, found, strict=False) if want.majmin]
    return (
        len(pairs),
        sum(want.majmin == got.majmin for want, got in pairs),
        sum(want.root == got.root for want, got in pairs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root_dir", type=Path, default=pop909_or_bundled(Path(__file__).resolve().parents[1]))
    parser.add_argument("--songs", type=int, default=909)
    parser.add_argument("--chorales", type=int, default=60)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    counts = {
        "recognised": np.zeros(3),
        "annotation 8 beats late": np.zeros(3),
        "random triads of the key": np.zeros(3),
    }
    metrics: dict[str, list[float]] = {}
    seconds = []
    songs = sorted(args.root_dir.glob("*/*.mid"))[: args.songs]
    for path in songs:
        score = symusic.Score(str(path))
        annotated = beat_chords(score, path)
        began = time.perf_counter()
        found = recognise_chords(score, annotated.beat_ticks)
        seconds.append(time.perf_counter() - began)
        key = score_key(score) or Key(0)
        random = random_chords_in_key(annotated.chords, key, rng)
        counts["recognised"] += agreement(annotated.chords, found)
        counts["annotation 8 beats late"] += agreement(annotated.chords[8:], annotated.chords)
        counts["random triads of the key"] += agreement(annotated.chords, random)
        table = NoteTable.from_score(score)
        melody = table.select(table.track == table.melody_track())
        accompaniment = table.select(table.track != table.melody_track())
        beats = annotated.beat_ticks / score.ticks_per_quarter
        for name, chords in (("annotated chords", annotated.chords), ("the chords a bar late", previous_bar_chords(annotated.chords, 4)),
                             ("random triads of the key", random)):  # fmt: skip
            metrics.setdefault(f"accuracy|{name}", []).append(chord_accuracy(accompaniment, beats, chords))
            metrics.setdefault(f"ratio|{name}", []).append(chord_tone_ratio(melody, beats, chords))
    print(
        f"{len(songs)} songs of {args.root_dir.name}; recognition {np.median(seconds) * 1000:.1f} ms per song (median)\n"
    )
    print("| against POP909's annotation, per beat | beats | root + major/minor | root |\n|---|---|---|---|")
    for name, (total, majmin, root) in counts.items():
        print(f"| {name} | {int(total)} | {majmin / total:.3f} | {root / total:.3f} |")
    with tempfile.TemporaryDirectory() as folder:
        total, agree = chorale_chord_agreement(args.chorales, folder)
    print(f"\n{args.chorales} Bach chorales (music21 corpus): {agree / total:.3f} of {total} beats holding a full triad "
          "agree with music21's chordify on root + major/minor\n")  # fmt: skip
    print("| the real song against | accompaniment's chord accuracy | melody's chord-tone ratio |\n|---|---|---|")
    for name in ("annotated chords", "the chords a bar late", "random triads of the key"):
        print(f"| {name} | {spread(metrics[f'accuracy|{name}'])} | {spread(metrics[f'ratio|{name}'])} |")


if __name__ == "__main__":
    main()
