"""Melodic motion per piece: how a line moves from one note to the next.

A *line* is a sequence of pitches in time: a track's top line (at every onset
time of the track, its highest note starting there). The *lead line* of a piece
is the melody's top line when the piece has a melody (a track named melody, or
its only track), else the top line of all its pitched tracks together.

- ``avg_pitch_shift``: mean absolute interval between consecutive notes of the
  lead line, in semitones (MGEval's ``avg_pitch_shift``);
- ``step_share``: share of those intervals of at most 2 semitones (repeated notes
  and steps);
- ``leap_share``: share of at least 7 semitones (a fifth or more);
- ``pitch_range``: the 5–95 % span of the lead line's pitches, in semitones;
- the interval histogram (``interval_histogram``), pooled over pieces, for the
  KL against the data's.

Random notes drawn from a song's own scale pass scale consistency and
pitch-class entropy; they move by leaps, which these catch. Tracks whose name
says drums hold drum hits, not pitches, and are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from smdiff import NoteTable

STEP = 2  # semitones: a repeated note, a semitone or a tone
LEAP = 7  # semitones: a fifth or more
RANGE_PERCENTILES = (5, 95)
#: intervals of the histogram: −12 … +12 semitones, with everything beyond an octave in the two outer bins
INTERVAL_LIMIT = 12
INTERVAL_LABELS = ("<-12", *(f"{i:+d}" for i in range(-INTERVAL_LIMIT, INTERVAL_LIMIT + 1)), ">+12")


def top_line(table: NoteTable) -> np.ndarray:
    """The pitches of ``table``'s top line in time order: at each onset time, the highest note starting then."""
    if not len(table):
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((-table.pitch, table.onset))
    onsets = table.onset[order]
    first = np.concatenate([[True], np.diff(onsets) > 1e-9])
    return table.pitch[order][first]


def pitched_tracks(table: NoteTable) -> list[int]:
    """Indices of the tracks that have notes and are not drums (by name)."""
    names = table.track_names
    present = np.unique(table.track).tolist()
    return [t for t in present if not (t < len(names) and "drum" in names[t].lower())]


def lead_line(table: NoteTable) -> np.ndarray:
    """The melody's top line, else the top line of every pitched track together."""
    melody = table.melody_track()
    keep = table.track == melody if melody is not None else np.isin(table.track, pitched_tracks(table))
    return top_line(table.select(keep))


def track_lines(table: NoteTable) -> dict[int, np.ndarray]:
    """Every pitched track's own top line, by track index."""
    return {track: top_line(table.select(table.track == track)) for track in pitched_tracks(table)}


#: which line of a piece a statistic reads: :func:`lead_line` (the metrics), or :func:`top_line` of one track's notes
LineOf = Callable[[NoteTable], np.ndarray]


def _per_line(tables: Sequence[NoteTable], statistic: Callable[[np.ndarray], float], line_of: LineOf) -> np.ndarray:
    values = np.full(len(tables), np.nan)
    for index, table in enumerate(tables):
        line = line_of(table)
        if len(line) >= 2:
            values[index] = statistic(line)
    return values


def avg_pitch_shift(tables: Sequence[NoteTable], line_of: LineOf = lead_line) -> np.ndarray:
    """Per piece: mean |interval| between consecutive notes of the lead line (NaN with fewer than two notes)."""
    return _per_line(tables, lambda line: float(np.abs(np.diff(line)).mean()), line_of)


def step_share(tables: Sequence[NoteTable], line_of: LineOf = lead_line) -> np.ndarray:
    """Per piece: share of the lead line's intervals of at most :data:`STEP` semitones."""
    return _per_line(tables, lambda line: float((np.abs(np.diff(line)) <= STEP).mean()), line_of)


def leap_share(tables: Sequence[NoteTable], line_of: LineOf = lead_line) -> np.ndarray:
    """Per piece: share of the lead line's intervals of at least :data:`LEAP` semitones."""
    return _per_line(tables, lambda line: float((np.abs(np.diff(line)) >= LEAP).mean()), line_of)


def pitch_range(tables: Sequence[NoteTable], line_of: LineOf = lead_line) -> np.ndarray:
    """Per piece: the 5–95 % span of the lead line's pitches, in semitones."""
    return _per_line(tables, lambda line: float(np.subtract(*np.percentile(line, RANGE_PERCENTILES[::-1]))), line_of)


def interval_histogram(tables: Sequence[NoteTable]) -> np.ndarray:
    """Counts of the lead lines' intervals, −12 … +12 semitones and one bin each for larger falls and rises."""
    counts = np.zeros(len(INTERVAL_LABELS))
    for table in tables:
        intervals = np.clip(np.diff(lead_line(table)), -INTERVAL_LIMIT - 1, INTERVAL_LIMIT + 1)
        counts += np.bincount(intervals + INTERVAL_LIMIT + 1, minlength=len(INTERVAL_LABELS))
    return counts
