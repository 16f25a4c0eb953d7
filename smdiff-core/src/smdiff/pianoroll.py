"""Piano-roll pictures of scores: a colour per track, note names, bar lines and numbers, generated spans shaded.

Drawn with Pillow (which matplotlib already brings) straight into an image:
a picture costs a few milliseconds, so writing one per sample does not slow
sampling down.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import symusic
from PIL import Image, ImageDraw, ImageFont

TRACK_COLOURS = ("#d1495b", "#00798c", "#edae49", "#66a182", "#2e4057", "#8d96a3")
BACKGROUND, GRID, BAR_LINE, SHADE, TEXT = "#ffffff", "#eeeeee", "#b0b0b0", "#dcdcf0", "#333333"
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
LEFT, TOP, BOTTOM, RIGHT = 44, 22, 18, 8  # margins in pixels


def note_name(pitch: int) -> str:
    """Scientific pitch notation: MIDI 60 is C4."""
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def _bar_starts(score: symusic.Score) -> np.ndarray:
    from smdiff.data.bars import BarGrid

    if not any(len(track.notes) for track in score.tracks):
        return np.zeros(1)
    return BarGrid.for_score(score).bar_start_ticks / score.ticks_per_quarter


def render_piano_roll(
    score: symusic.Score,
    *,
    size: tuple[int, int] = (1200, 400),
    shaded: Sequence[tuple[float, float]] = (),
    title: str = "",
) -> Image.Image:
    """The piano roll of every track of ``score`` as an image; ``shaded`` spans (quarter notes) are highlighted."""
    width, height = size
    image = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    tpq = score.ticks_per_quarter
    tracks = [(i, t.name or f"track {i}", t.notes.numpy()) for i, t in enumerate(score.tracks)]
    pitches = np.concatenate([n["pitch"] for _, _, n in tracks]) if tracks else np.zeros(0, dtype=np.int64)
    ends = [(n["time"] + n["duration"]).max() / tpq for _, _, n in tracks if len(n["time"])]
    bars = _bar_starts(score)
    length = max([*ends, float(bars[-1]), *(end for _, end in shaded), 1.0])
    low, high = (int(pitches.min()) - 2, int(pitches.max()) + 2) if len(pitches) else (58, 74)
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    x_of = lambda quarters: LEFT + np.asarray(quarters, dtype=np.float64) / length * plot_w  # noqa: E731
    row = plot_h / (high - low + 1)
    y_of = lambda pitch: TOP + (high - np.asarray(pitch, dtype=np.float64)) * row  # noqa: E731
    for start, end in shaded:
        draw.rectangle([float(x_of(start)), TOP, float(x_of(end)), TOP + plot_h], fill=SHADE)
    for pitch in range(low, high + 1):  # a light line at every C, labelled
        if pitch % 12 == 0:
            y = float(y_of(pitch) + row / 2)
            draw.line([LEFT, y, LEFT + plot_w, y], fill=GRID)
            draw.text((4, y - 6), note_name(pitch), fill=TEXT, font=font)
    label_every = max(1, int(np.ceil(len(bars) / 32)))
    for number, start in enumerate(bars):
        x = float(x_of(start))
        draw.line([x, TOP, x, TOP + plot_h], fill=BAR_LINE)
        if number % label_every == 0 and number < len(bars) - 1:
            draw.text((x + 2, TOP + plot_h + 3), str(number), fill=TEXT, font=font)
    for index, _, notes in tracks:
        colour = TRACK_COLOURS[index % len(TRACK_COLOURS)]
        x0 = x_of(notes["time"] / tpq)
        x1 = np.maximum(x_of((notes["time"] + notes["duration"]) / tpq) - 1, x0 + 1)
        y0 = y_of(notes["pitch"])
        for a, b, c in zip(x0.tolist(), x1.tolist(), y0.tolist(), strict=True):
            draw.rectangle([a, c + 0.5, b, c + max(row - 1, 1.5)], fill=colour)
    legend = LEFT
    if title:
        draw.text((LEFT, 5), title, fill=TEXT, font=font)
        legend += int(draw.textlength(title, font=font)) + 16
    for index, name, _ in tracks:
        draw.rectangle([legend, 7, legend + 9, 16], fill=TRACK_COLOURS[index % len(TRACK_COLOURS)])
        draw.text((legend + 13, 5), name, fill=TEXT, font=font)
        legend += 13 + int(draw.textlength(name, font=font)) + 12
    draw.text((4, TOP + plot_h + 3), "bar", fill=TEXT, font=font)
    return image


def save_piano_roll(
    score: symusic.Score, path: str | Path, *, shaded: Sequence[tuple[float, float]] = (), title: str = ""
) -> Path:
    """Write :func:`render_piano_roll` of ``score`` to a PNG at ``path``."""
    return _save(render_piano_roll(score, shaded=shaded, title=title), path)


def save_piano_roll_grid(
    scores: Sequence[symusic.Score], path: str | Path, *, columns: int = 2, title: str = ""
) -> Path:
    """Up to eight scores as small piano rolls in one PNG, ``columns`` side by side."""
    scores = list(scores)[:8]
    rows = max(1, -(-len(scores) // columns))
    tile = (700, 240)
    sheet = Image.new("RGB", (tile[0] * columns, tile[1] * rows + (24 if title else 0)), BACKGROUND)
    if title:
        ImageDraw.Draw(sheet).text((8, 6), title, fill=TEXT, font=ImageFont.load_default())
    for index, score in enumerate(scores):
        picture = render_piano_roll(score, size=tile, title=f"sample {index}")
        sheet.paste(picture, ((index % columns) * tile[0], (index // columns) * tile[1] + (24 if title else 0)))
    return _save(sheet, path)


def _save(image: Image.Image, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=False, compress_level=1)
    return path
