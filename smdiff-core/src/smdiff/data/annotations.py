"""Bars from POP909-style beat annotations (``beat_midi.txt``), for many songs at once.

Each line of the file is ``time_in_seconds two_four_flag four_four_flag``; a
line whose 4/4 flag is 1 is a downbeat. Bars are built from the annotated
downbeats; whole bars are added before the first one to hold pick-up notes,
and after the last one, continuing the last beat spacing, to cover every note.

Reading a file is done per song (so a missing file costs one failed open);
parsing the numbers and building the grids is done for a whole batch of songs
in a fixed number of NumPy calls.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import attrs
import fastnumbers
import numpy as np

from smdiff.data.ragged import offsets_of, ragged_arange, segment_ids
from smdiff.data.tempo import seconds_per_tick, ticks_at_seconds
from smdiff.files import read_bytes

BEAT_ANNOTATION_FILE = "beat_midi.txt"
_POINT_ZERO = np.frombuffer(b".0", dtype=np.uint8)


@attrs.frozen
class SongTiming:
    """What building a song's annotated grid needs besides the annotation: its tempo map and note span."""

    tempo_ticks: np.ndarray
    tempo_qpm: np.ndarray
    ticks_per_quarter: int
    first_tick: float
    last_tick: float


def read_annotation_columns(path: str) -> list[bytes] | None:
    """The whitespace-separated fields of an annotation file, or ``None`` when it is missing or not 3 columns."""
    try:
        columns = read_bytes(path).split()
    except OSError:
        return None
    return columns if len(columns) >= 6 and len(columns) % 3 == 0 else None


def parse_annotations(files: Sequence[list[bytes] | None]) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """Beat seconds and downbeat flags of each file's columns (one C-level number parse for all files).

    A file whose times are not all numbers, or that marks no downbeat, gives ``None``.
    """
    present = [columns for columns in files if columns is not None]
    if not present:
        return [None] * len(files)
    fields = list(itertools.chain.from_iterable(present))
    # fastnumbers parses exactly as float() does; text that is not a number becomes NaN.
    seconds = fastnumbers.try_array(fields[0::3], on_fail=np.nan, on_type_error=np.nan)
    flags = _downbeat_flags(fields[2::3])
    offsets = offsets_of(np.array([len(columns) // 3 for columns in present], dtype=np.int64))
    song = segment_ids(offsets)
    usable = (np.bincount(song, weights=np.isnan(seconds), minlength=len(present)) == 0) & (
        np.bincount(song, weights=flags, minlength=len(present)) > 0
    )
    tables = iter(
        (seconds[offsets[i] : offsets[i + 1]], flags[offsets[i] : offsets[i + 1]]) if usable[i] else None
        for i in range(len(present))
    )
    return [None if columns is None else next(tables) for columns in files]


def _downbeat_flags(fields: list[bytes]) -> np.ndarray:
    """Which 4/4 flags are 1: read as bytes when every flag is written ``1.0``/``0.0`` (POP909), else as numbers."""
    joined = b"".join(fields)
    if len(joined) == 3 * len(fields):
        text = np.frombuffer(joined, dtype=np.uint8).reshape(-1, 3)
        digit = text[:, 0]
        if ((digit == ord("0")) | (digit == ord("1"))).all() and (text[:, 1:] == _POINT_ZERO).all():
            return digit == ord("1")
    return fastnumbers.try_array(fields, on_fail=np.nan, on_type_error=np.nan) == 1.0


def annotated_grids(
    tables: Sequence[tuple[np.ndarray, np.ndarray]], timings: Sequence[SongTiming]
) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """Beat ticks and downbeat indices of each song's bars from its annotation, or ``None`` where unusable.

    Every song's grid starts at its first annotated downbeat (whole bars are
    added before it for pick-up notes), keeps the annotated downbeats, and is
    extended past its last note by whole bars of its most common bar length.
    """
    n = len(tables)
    if n == 0:
        return []
    lengths = np.array([len(seconds) for seconds, _ in tables], dtype=np.int64)
    offsets = offsets_of(lengths)
    seconds = np.concatenate([seconds for seconds, _ in tables])
    flags = np.concatenate([flags for _, flags in tables])
    beat_song = segment_ids(offsets)

    down = np.flatnonzero(flags)
    down_song = beat_song[down]
    down_counts = np.bincount(down_song, minlength=n)
    down_offsets = offsets_of(down_counts)
    first_down = down[down_offsets[:-1]]
    # Beats per bar: the most common gap between annotated downbeats (4 when there is only one).
    gaps, gap_song = np.diff(down), down_song[1:]
    within = gap_song == down_song[:-1]
    gaps, gap_song = gaps[within], gap_song[within]
    width = int(gaps.max()) + 1 if len(gaps) else 1
    gap_counts = np.bincount(gap_song * width + gaps, minlength=n * width).reshape(n, width)
    per_bar = np.where(down_counts > 1, gap_counts.argmax(axis=1), 4)

    # Beats from the first downbeat on, in ticks through each song's tempo map.
    kept = np.arange(len(seconds)) >= first_down[beat_song]
    seconds, beat_song = seconds[kept], beat_song[kept]
    lengths = offsets[1:] - first_down
    offsets = offsets_of(lengths)
    beats = _beat_ticks(seconds, beat_song, offsets, timings)
    down_local = down - first_down[down_song]

    first = np.array([timing.first_tick for timing in timings])
    last = np.array([timing.last_tick for timing in timings])
    ok = lengths >= 2
    head_row, tail_row = offsets[:-1], offsets[1:] - 1
    head = beats[head_row]
    step = beats[np.minimum(head_row + 1, len(beats) - 1)] - head
    tail = beats[tail_row]
    end_step = tail - beats[np.maximum(tail_row - 1, 0)]
    ok &= (step > 0) & (end_step > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        before = np.where(ok, np.ceil((head - first) / (step * per_bar)), 0)
        needed = np.where(ok, np.floor((last - tail) / end_step) + 1, 0)
    bars_before = np.maximum(0, before).astype(np.int64)
    lead = bars_before * per_bar
    down_last = down_local[down_offsets[1:] - 1]
    after_last = lengths - 1 - down_last
    total_after = -(-(after_last + np.maximum(0, needed).astype(np.int64)) // per_bar) * per_bar
    extra = total_after - after_last

    grid_beats = _extend_beats(beats, offsets, lead, extra, head, step, tail, end_step)
    grid_lengths = lead + lengths + extra
    grid_downbeats, grid_down_offsets = _downbeats(
        down_local, down_offsets, bars_before, per_bar, lead, total_after, grid_lengths
    )
    beat_offsets = offsets_of(grid_lengths)
    return [
        (
            grid_beats[beat_offsets[i] : beat_offsets[i + 1]],
            grid_downbeats[grid_down_offsets[i] : grid_down_offsets[i + 1]],
        )
        if ok[i]
        else None
        for i in range(n)
    ]


def _beat_ticks(
    seconds: np.ndarray, beat_song: np.ndarray, offsets: np.ndarray, timings: Sequence[SongTiming]
) -> np.ndarray:
    """Seconds → ticks, song by song: one division for songs of one tempo, a tempo-map search for the rest."""
    tick_seconds = np.array(
        [seconds_per_tick(timing.tempo_qpm[:1], timing.ticks_per_quarter)[0] for timing in timings], dtype=np.float64
    )
    beats = seconds / tick_seconds[beat_song]
    for song, timing in enumerate(timings):
        if len(timing.tempo_ticks) > 1:
            rows = slice(offsets[song], offsets[song + 1])
            beats[rows] = ticks_at_seconds(
                timing.tempo_ticks, timing.tempo_qpm, timing.ticks_per_quarter, seconds[rows]
            )
    return beats


def _extend_beats(
    beats: np.ndarray,
    offsets: np.ndarray,
    lead: np.ndarray,
    extra: np.ndarray,
    head: np.ndarray,
    step: np.ndarray,
    tail: np.ndarray,
    end_step: np.ndarray,
) -> np.ndarray:
    """Each song's beats with ``lead`` beats before (spaced like its first) and ``extra`` after (like its last)."""
    lengths = np.diff(offsets)
    grid_offsets = offsets_of(lead + lengths + extra)
    songs = np.arange(len(lengths))
    out = np.empty(int(grid_offsets[-1]))
    k, song = ragged_arange(lead), np.repeat(songs, lead)
    out[grid_offsets[song] + k] = head[song] - step[song] * (lead[song] - k)
    song = segment_ids(offsets)
    out[grid_offsets[song] + lead[song] + ragged_arange(lengths)] = beats
    k, song = ragged_arange(extra), np.repeat(songs, extra)
    out[grid_offsets[song] + lead[song] + lengths[song] + k] = tail[song] + end_step[song] * (k + 1)
    return out


def _downbeats(
    down_local: np.ndarray,
    down_offsets: np.ndarray,
    bars_before: np.ndarray,
    per_bar: np.ndarray,
    lead: np.ndarray,
    total_after: np.ndarray,
    grid_lengths: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Downbeat indices of each extended grid (flat) and their offsets: added bars, annotated, added, closing."""
    annotated = np.diff(down_offsets)
    closing = total_after // per_bar
    last_down = down_local[down_offsets[1:] - 1] + lead + total_after
    final = (last_down != grid_lengths - 1).astype(np.int64)
    counts = bars_before + annotated + closing + final
    out_offsets = offsets_of(counts)
    songs = np.arange(len(counts))
    out = np.empty(int(out_offsets[-1]), dtype=np.int64)
    k, song = ragged_arange(bars_before), np.repeat(songs, bars_before)
    out[out_offsets[song] + k] = k * per_bar[song]
    song = segment_ids(down_offsets)
    out[out_offsets[song] + bars_before[song] + ragged_arange(annotated)] = down_local + lead[song]
    base = out_offsets[:-1] + bars_before + annotated
    k, song = ragged_arange(closing), np.repeat(songs, closing)
    out[base[song] + k] = down_local[down_offsets[1:] - 1][song] + lead[song] + per_bar[song] * (k + 1)
    song = np.flatnonzero(final)
    out[out_offsets[song + 1] - 1] = grid_lengths[song] - 1
    return out, out_offsets
