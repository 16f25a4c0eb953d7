"""How well `--form-from` finds the form of a song: real melodies arranged in known forms, and real songs as they are.

    python benchmarks/form_detection.py [--root_dir ../shared/data/POP909] [--songs 200]

Known forms: from each song, three unlike 8-bar melody stretches A, B, C
(smdiff.testing.distinct_segments) are put one after another in each form of
FORMS; detection (smdiff.form.detect, 4-bar sections) must name the same
sections alike. Reported per form: recall (pairs of sections that are the same
stretch, found as repeats), extra repeats (pairs found as repeats that are
different stretches — real songs do reuse a phrase in two stretches, so each
is checked to be the same notes: mean bar similarity ≥ 0.8), and songs whose
form came out exactly. The baseline labels sections at random with the form's
number of letters.

Real songs: each song's first 64 melody bars against its own detected form —
the mean bar similarity over the sections called repeats and over contrasting
sections, and the share of bars in a repeat — beside the same songs with their
bars shuffled (smdiff_metrics' control), where detection must find far less.
Prints Markdown tables and the seconds per song.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from smdiff.form.detect import bar_similarity, detect_form
from smdiff.testing import arranged_melody, distinct_segments, melody_table, pop909_or_bundled
from smdiff_metrics.controls import controlled
from smdiff_metrics.form import form_fit

FORMS = ("A B A C", "A A B A", "A B A B C C", "A B C A B C")
SECTION = 4  # bars of a detected section; the stretches are 8 bars, two sections each


def same_pairs(names: list[str]) -> set[tuple[int, int]]:
    return {(i, j) for i in range(len(names)) for j in range(i) if names[i] == names[j]}


def truth_names(form: str) -> list[str]:
    return [f"{letter}{half}" for letter in form.split() for half in (1, 2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root_dir", type=Path, default=pop909_or_bundled(Path(__file__).resolve().parents[1]))
    parser.add_argument("--songs", type=int, default=200)
    args = parser.parse_args()
    songs = sorted(args.root_dir.glob("*/*.mid"))[: args.songs]
    rng = np.random.default_rng(0)
    known: dict[str, dict[str, list[float]]] = {
        form: {"recall": [], "extra": [], "exact": [], "random": []} for form in FORMS
    }
    real, shuffled, seconds = [], [], []
    for song in songs:
        table = melody_table(song)
        first = int(table.bar.min()) if len(table) else 0
        began = time.perf_counter()
        own = detect_form(window := table.excerpt(first, 64))
        seconds.append(time.perf_counter() - began)
        if len(window):
            real.append((form_fit(window, own), own))
            broken = controlled([window], "bars_shuffled")[0]
            shuffled.append((form_fit(broken, detect_form(broken)), detect_form(broken)))
        segments = distinct_segments(table, 8, 3)
        if segments is None:
            continue
        for form in FORMS:
            piece = arranged_melody(table, segments, form, 8)
            found = same_pairs([section.name for section in detect_form(piece).sections])
            truth = same_pairs(truth_names(form))
            similarity = bar_similarity(piece)
            extra = [pair for pair in found - truth]
            alike = [
                np.mean([similarity[SECTION * i + k, SECTION * j + k] for k in range(SECTION)]) >= 0.8 for i, j in extra
            ]
            guess = same_pairs(list(rng.integers(0, len(set(truth_names(form))), size=len(truth_names(form)))))
            known[form]["recall"].append(len(found & truth) / len(truth))
            known[form]["extra"].append(float(len(extra) and not all(alike)))
            known[form]["exact"].append(float(found == truth))
            known[form]["random"].append(len(guess & truth) / len(truth))
    arranged_count = len(known[FORMS[0]]["recall"])
    print(f"{len(songs)} songs of {args.root_dir}; {arranged_count} hold three unlike 8-bar melody stretches\n")
    print(
        "| form (8-bar stretches) | repeats found | songs with a wrong extra repeat | exactly this form | random labels: repeats found |"
    )
    print("|---|---|---|---|---|")
    for form, values in known.items():
        print(f"| {form} | {np.mean(values['recall']):.3f} | {np.mean(values['extra']):.3f} | {np.mean(values['exact']):.3f} | "
              f"{np.mean(values['random']):.3f} |")  # fmt: skip

    def summary(rows: list) -> str:
        repeats = np.nanmedian([fit.repeats for fit, _ in rows])
        contrasts = np.nanmedian([fit.contrasts for fit, _ in rows])
        covered = np.median([
            sum(section.bars for section in form.sections if form.source(section) is not None) / max(form.bars, 1)
            for _, form in rows
        ])  # fmt: skip
        return f"{repeats:.3f} | {contrasts:.3f} | {covered:.3f}"

    print(
        "\n| first 64 melody bars | similarity in repeats | similarity in contrasts | share of bars in a repeat or variation |"
    )
    print("|---|---|---|---|")
    print(f"| real songs ({len(real)}) | {summary(real)} |")
    print(f"| the same, bars shuffled | {summary(shuffled)} |")
    print(f"\ndetection: {np.median(seconds) * 1000:.1f} ms per song (median)")


if __name__ == "__main__":
    main()
