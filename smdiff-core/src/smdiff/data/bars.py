"""Musical bars of a piece: beat and downbeat positions in ticks.

POP909's MIDI files mostly declare 1/4 or 2/4 although the music is in 4/4, so
declared time signatures cannot be trusted for bar lines. A :class:`BarGrid`
is built, in order of preference, from an explicit override
(``--time_signature 4/4``), from the song's ``beat_midi.txt`` downbeat
annotations when they sit beside the MIDI file, or from the declared time
signatures. Everything downstream (grid steps, Octuple bar/position, infilling
bar ranges) reads bars from this grid.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import numpy as np

from smdiff.errors import ConfigError

if TYPE_CHECKING:
    import symusic

BEAT_ANNOTATION_FILE = "beat_midi.txt"


def parse_time_signature(text: str) -> tuple[int, int]:
    """``"4/4"`` → ``(4, 4)``; anything else is a :class:`ConfigError`."""
    numerator, sep, denominator = text.partition("/")
    try:
        value = (int(numerator), int(denominator))
    except ValueError:
        value = (0, 0)
    if not sep or value[0] < 1 or value[1] not in (1, 2, 4, 8, 16, 32, 64):
        raise ConfigError(f"time signature {text!r} is not like 4/4 or 6/8; fix data.time_signature / --time_signature")
    return value


@attrs.frozen
class BarGrid:
    """Beats (fractional ticks) and which of them start bars; covers every note of the piece.

    ``beat_ticks`` is increasing; ``downbeats`` holds indices into it, the first
    being 0. ``beat_unit`` is the beat's length in quarter notes (1 for x/4).
    ``source`` says where the bars came from: ``annotation``, ``declared`` or ``override``.
    """

    beat_ticks: np.ndarray
    downbeats: np.ndarray
    beat_unit: float
    source: str

    @property
    def n_bars(self) -> int:
        """Number of complete bars the grid describes."""
        return len(self.downbeats) - 1

    @property
    def bar_start_ticks(self) -> np.ndarray:
        """Tick of each bar start (the last entry closes the last bar)."""
        return self.beat_ticks[self.downbeats]

    def beats_per_bar(self) -> np.ndarray:
        """Beats in each bar."""
        return np.diff(self.downbeats)

    def beat_position(self, ticks: np.ndarray) -> np.ndarray:
        """Fractional beat index of each tick (beats are interpolated linearly between annotations)."""
        return np.interp(ticks, self.beat_ticks, np.arange(len(self.beat_ticks), dtype=np.float64))

    def bar_position(self, ticks: np.ndarray) -> np.ndarray:
        """Fractional bar index of each tick: bar ``b`` spans ``[b, b + 1)`` whatever its beat count."""
        beats = self.beat_position(ticks)
        return np.interp(beats, self.downbeats.astype(np.float64), np.arange(len(self.downbeats), dtype=np.float64))

    def split_long_bars(self, max_beats: int) -> BarGrid:
        """Split every bar of more than ``max_beats`` beats into equal shorter bars (MusicBERT's rule).

        A bar of ``n`` beats is divided by the smallest factors of ``n`` until it fits.
        """
        beats = self.beats_per_bar()
        if (beats <= max_beats).all():
            return self
        downbeats = [int(self.downbeats[0])]
        for start, count in zip(self.downbeats[:-1], beats, strict=True):
            size = int(count)
            while size > max_beats:
                size //= next(f for f in range(2, size + 1) if size % f == 0)
            downbeats.extend(int(start) + size * k for k in range(1, int(count) // size + 1))
        return attrs.evolve(self, downbeats=np.asarray(downbeats, dtype=np.int64))

    @classmethod
    def for_score(
        cls,
        score: symusic.Score,
        *,
        source_path: str | Path | None = None,
        time_signature: str | None = None,
        use_annotations: bool = True,
    ) -> BarGrid:
        """The bar grid of ``score``: override, else ``beat_midi.txt`` beside ``source_path``, else declared."""
        first, last = _note_span(score)
        if time_signature is not None:
            numerator, denominator = parse_time_signature(time_signature)
            return _regular_grid(score.ticks_per_quarter, [(0, numerator, denominator)], first, last, "override")
        if use_annotations and source_path is not None:
            annotation = Path(source_path).with_name(BEAT_ANNOTATION_FILE)
            if annotation.is_file():
                grid = _annotated_grid(score, annotation, first, last)
                if grid is not None:
                    return grid
        signatures = [(ts.time, ts.numerator, ts.denominator) for ts in score.time_signatures] or [(0, 4, 4)]
        return _regular_grid(score.ticks_per_quarter, signatures, first, last, "declared")


def _note_span(score: symusic.Score) -> tuple[float, float]:
    spans = [(track.start(), track.end()) for track in score.tracks if len(track.notes)]
    return (float(min(s for s, _ in spans)), float(max(e for _, e in spans))) if spans else (0.0, 0.0)


def _regular_grid(tpq: int, signatures: list[tuple[int, int, int]], first: float, last: float, source: str) -> BarGrid:
    """Bars from (tick, numerator, denominator) changes, beats of 4/denominator quarters."""
    beats: list[float] = []
    downbeats: list[int] = []
    signatures = sorted(signatures)
    if signatures[0][0] > 0:
        signatures.insert(0, (0, signatures[0][1], signatures[0][2]))
    tick = 0.0
    for index, (_, numerator, denominator) in enumerate(signatures):
        end = signatures[index + 1][0] if index + 1 < len(signatures) else max(last, tick) + 1
        beat = tpq * 4 / denominator
        while tick < end or (index + 1 == len(signatures) and tick <= last):
            downbeats.append(len(beats))
            beats.extend(tick + beat * k for k in range(numerator))
            tick += beat * numerator
    downbeats.append(len(beats))
    beats.append(tick)
    unit = 4 / signatures[-1][2]
    return BarGrid(np.asarray(beats), np.asarray(downbeats), unit, source)


def _read_annotation(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """Beat times (seconds) and downbeat flags of a POP909 ``beat_midi.txt`` (time, 2/4 flag, 4/4 flag)."""
    columns = path.read_bytes().split()
    if len(columns) < 6 or len(columns) % 3:
        return None
    try:  # only the time column needs float parsing, which dominates reading the file
        seconds = np.array(columns[0::3], dtype=np.float64)
    except ValueError:
        return None
    return seconds, np.array([flag[:1] == b"1" for flag in columns[2::3]])


def tempo_map(score: symusic.Score) -> tuple[np.ndarray, np.ndarray]:
    """Tempo change ticks (starting at 0) and their quarter notes per minute (120 where none is set)."""
    tempos = score.tempos.numpy()
    ticks = tempos["time"].astype(np.float64)
    qpm = 60_000_000.0 / tempos["mspq"].astype(np.float64)
    if len(ticks) == 0 or ticks[0] > 0:
        ticks, qpm = np.r_[0.0, ticks], np.r_[120.0, qpm]
    order = np.argsort(ticks, kind="stable")
    return ticks[order], qpm[order]


def seconds_to_ticks(score: symusic.Score, seconds: np.ndarray) -> np.ndarray:
    """Convert times in seconds to (fractional) ticks through the score's tempo map."""
    tpq = score.ticks_per_quarter
    ticks, qpm = tempo_map(score)
    seconds_per_tick = 60.0 / (qpm * tpq)
    starts = np.concatenate([[0.0], np.cumsum(np.diff(ticks) * seconds_per_tick[:-1])])
    segment = np.clip(np.searchsorted(starts, seconds, side="right") - 1, 0, None)
    return ticks[segment] + (seconds - starts[segment]) / seconds_per_tick[segment]


def _annotated_grid(score: symusic.Score, path: Path, first: float, last: float) -> BarGrid | None:
    table = _read_annotation(path)
    if table is None or not table[1].any():
        return None
    seconds, is_downbeat = table
    down = np.flatnonzero(is_downbeat)
    per_bar = int(np.bincount(np.diff(down)).argmax()) if len(down) > 1 else 4
    beats = seconds_to_ticks(score, seconds[down[0] :])
    down = down - down[0]
    if len(beats) < 2:
        return None
    # Whole bars before the first annotated downbeat hold pick-up notes.
    step = beats[1] - beats[0]
    bars_before = max(0, int(np.ceil((beats[0] - first) / (step * per_bar))))
    if bars_before:
        beats = np.concatenate([beats[0] - step * np.arange(bars_before * per_bar, 0, -1), beats])
        down = np.concatenate([np.arange(bars_before) * per_bar, down + bars_before * per_bar])
    # Extend past the last note, then complete the last bar, continuing the last beat spacing.
    step = beats[-1] - beats[-2]
    after_last = len(beats) - 1 - down[-1]
    needed = max(0, int(np.floor((last - beats[-1]) / step)) + 1)
    total_after = -(-(after_last + needed) // per_bar) * per_bar
    extra = total_after - after_last
    if extra:
        beats = np.concatenate([beats, beats[-1] + step * np.arange(1, extra + 1)])
    tail = down[-1] + np.arange(per_bar, total_after + 1, per_bar)
    down = np.concatenate([down, tail])
    if down[-1] != len(beats) - 1:
        down = np.append(down, len(beats) - 1)
    return BarGrid(beats, down.astype(np.int64), 1.0, "annotation")
