"""Piano-roll pictures of scores, with generated regions shaded."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import symusic

TRACK_COLOURS = ("#d1495b", "#00798c", "#edae49", "#66a182", "#2e4057", "#8d96a3")


def save_piano_roll(
    score: symusic.Score, path: str | Path, *, shaded: Sequence[tuple[float, float]] = (), title: str = ""
) -> Path:
    """Draw every track's notes (time in quarter notes) to a PNG; ``shaded`` spans (quarters) are highlighted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tpq = score.ticks_per_quarter
    figure, axes = plt.subplots(figsize=(12, 4), dpi=100)
    for start, end in shaded:
        axes.axvspan(start, end, color="#bbbbbb", alpha=0.4, lw=0)
    for index, track in enumerate(score.tracks):
        notes = track.notes.numpy()
        if len(notes["time"]) == 0:
            continue
        bars = [(t / tpq, max(d / tpq, 0.05)) for t, d in zip(notes["time"], notes["duration"], strict=True)]
        colour = TRACK_COLOURS[index % len(TRACK_COLOURS)]
        for (start, width), pitch in zip(bars, notes["pitch"], strict=True):
            axes.broken_barh([(start, width)], (pitch - 0.4, 0.8), color=colour)
        axes.plot([], [], color=colour, lw=6, label=track.name or f"track {index}")
    axes.set_xlabel("quarter notes")
    axes.set_ylabel("MIDI pitch")
    if title:
        axes.set_title(title)
    if score.tracks:
        axes.legend(loc="upper right", fontsize="small")
    return _save(figure, path)


def _save(figure: object, path: str | Path) -> Path:
    import matplotlib.pyplot as plt

    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path


def save_piano_roll_grid(
    scores: Sequence[symusic.Score], path: str | Path, *, columns: int = 2, title: str = ""
) -> Path:
    """Up to eight scores as small piano rolls in one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = list(scores)[:8]
    rows = max(1, -(-len(scores) // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(6 * columns, 2.2 * rows), dpi=90, squeeze=False)
    for index, axis in enumerate(axes.flat):
        if index >= len(scores):
            axis.axis("off")
            continue
        score = scores[index]
        for number, track in enumerate(score.tracks):
            notes = track.notes.numpy()
            starts = notes["time"] / score.ticks_per_quarter
            widths = notes["duration"] / score.ticks_per_quarter
            colour = TRACK_COLOURS[number % len(TRACK_COLOURS)]
            axis.hlines(notes["pitch"], starts, starts + widths, colors=colour, linewidth=2)
        axis.set_title(f"sample {index}", fontsize="small")
        axis.tick_params(labelsize="x-small")
    if title:
        figure.suptitle(title)
    return _save(figure, path)
