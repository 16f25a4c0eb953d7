"""The infilling contract, checked on decoded notes: outside the gap the output sounds exactly like the input.

The gap is bars ``[start_bar, end_bar)`` of some tracks (all when none are
named), i.e. the time span ``[t0, t1)`` of those tracks. For the input's notes:

- a note of a track outside the gap, or one that ends by ``t0`` or starts at or
  after ``t1``, must come back unchanged (track, onset, pitch, duration);
- a note that starts before the gap and sounds into it keeps its onset and
  pitch; how long it lasts inside the gap is the gap's to decide (it is held or
  cut by what is generated), but it sounds until ``t0`` at least;
- a note that sounds across the gap's end sounds on after ``t1`` to its
  original end, so what follows the gap sounds as in the input: re-struck at
  ``t1`` (the grid tokenizers do this) or kept whole (Octuple keeps such a note
  as the input has it).

A gap that runs to the end of the window has nothing after it to keep.

The output may not add anything outside the gap either: every output note that
starts outside the gap must be one of the above, and every note generated in
the gap must end by ``t1``.
"""

from __future__ import annotations

import numpy as np

from smdiff.evaluation import Gap
from smdiff.notes import NoteTable

DIGITS = 6  # quarter-note times are compared rounded to a millionth of a quarter


def _gap_times(table: NoteTable, gap: Gap) -> tuple[float, float]:
    return float(table.bar_start(np.array([gap.start_bar]))[0]), float(table.bar_start(np.array([gap.end_bar]))[0])


def _rows(table: NoteTable) -> list[tuple[int, float, int, float]]:
    """(track, onset, pitch, end) of every note, times rounded."""
    ends = table.onset + table.duration
    return list(
        zip(
            table.track.tolist(),
            np.round(table.onset, DIGITS).tolist(),
            table.pitch.tolist(),
            np.round(ends, DIGITS).tolist(),
            strict=True,
        )
    )


def notes_changed_outside_gap(original: NoteTable, generated: NoteTable, gap: Gap) -> int:
    """How many notes break the contract: expected ones missing or altered, plus output notes that should not be there.

    ``0`` means the output sounds exactly like the input outside the gap.
    """
    t0, t1 = _gap_times(original, gap)
    if gap.end_bar >= original.n_bars:  # nothing follows the gap: it runs to the end of the piece
        t1 = float("inf")
    in_gap_track = (lambda track: True) if not gap.tracks else (lambda track: track in gap.tracks)
    exact, held_from_before, crossing_end = set(), {}, set()
    for track, onset, pitch, end in _rows(original):
        if not in_gap_track(track) or end <= t0 or onset >= t1:
            exact.add((track, onset, pitch, end))
        else:
            if onset < t0:
                held_from_before[(track, onset, pitch)] = end
            if end > t1:
                crossing_end.add((track, pitch, end))
    changed = 0
    matched_exact, matched_held, matched_crossing = set(), set(), set()
    for note in _rows(generated):
        track, onset, pitch, end = note
        sounds_on = (track, pitch, end) in crossing_end and onset <= t1 + 1e-6
        if note in exact:
            matched_exact.add(note)
        elif (track, onset, pitch) in held_from_before and end >= t0 - 1e-6:
            matched_held.add((track, onset, pitch))
            if sounds_on:
                matched_crossing.add((track, pitch, end))
            elif end > t1 + 1e-6:
                changed += 1  # held past the gap's end where the input did not sound it
        elif sounds_on:
            matched_crossing.add((track, pitch, end))
        elif in_gap_track(track) and t0 - 1e-6 <= onset < t1 - 1e-6:
            changed += int(end > t1 + 1e-6)  # generated in the gap, spilling past its end
        else:
            changed += 1  # an output note outside the gap that the input does not have
    missing = (
        len(exact - matched_exact) + len(set(held_from_before) - matched_held) + len(crossing_end - matched_crossing)
    )
    return changed + missing
