"""Put generated notes into a song for a selection of bars × tracks, keeping every other note as it was.

The studio's contract, on the whole file rather than the model's window: a
note of an unselected track, or one starting outside the selected bars, is
kept exactly (start, duration, pitch, velocity, track). A note of a selected
track that starts before the selection and sounds into it is cut at the
selection's start; generated notes start inside the selection and are cut at
its end. Tracks the tokenizer does not read are never touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
import numpy as np
import symusic


@attrs.frozen
class Selection:
    """Bars ``[start_bar, end_bar)`` (0-based) of the tokenizer slots ``tracks``."""

    start_bar: int
    end_bar: int
    tracks: tuple[str, ...]


def _notes(track: symusic.Track) -> np.ndarray:
    """``[n, 4]`` int64: start, end, pitch, velocity."""
    data = track.notes.numpy()
    return np.stack([data["time"], data["time"] + data["duration"], data["pitch"], data["velocity"]], axis=1).astype(
        np.int64
    )


def _set_notes(track: symusic.Track, rows: np.ndarray) -> None:
    rows = rows[np.lexsort((rows[:, 2], rows[:, 0]))] if len(rows) else rows
    track.notes = symusic.Note.from_numpy(
        time=rows[:, 0].astype(np.int32),
        duration=np.maximum(rows[:, 1] - rows[:, 0], 1).astype(np.int32),
        pitch=rows[:, 2].astype(np.int8),
        velocity=rows[:, 3].astype(np.int8),
        ttype="tick",
    )


def splice(
    song: symusic.Score,
    generated: symusic.Score,
    slot_tracks: Mapping[str, Sequence[int]],
    tracks: Sequence[str],
    gap: tuple[int, int],
) -> symusic.Score:
    """``song`` with the notes of ``tracks`` in ticks ``[gap[0], gap[1])`` replaced by ``generated``'s.

    ``slot_tracks`` names the song's track indices that fill each slot;
    ``generated`` is in ``song``'s time base with one track per slot, named
    after it (any case). Generated notes go into the slot's first track.
    """
    start, end = gap
    out = song.copy()
    by_name = {track.name.strip().lower(): track for track in generated.tracks}
    for slot in tracks:
        indices = list(slot_tracks[slot])
        for index in indices:
            rows = _notes(out.tracks[index])
            inside = (rows[:, 0] >= start) & (rows[:, 0] < end)
            rows = rows[~inside]
            crossing = (rows[:, 0] < start) & (rows[:, 1] > start)
            rows[crossing, 1] = start
            if index == indices[0] and slot in by_name:
                new = _notes(by_name[slot])
                new = new[(new[:, 0] >= start) & (new[:, 0] < end)]
                new[:, 1] = np.minimum(new[:, 1], end)
                rows = np.concatenate([rows, new])
            _set_notes(out.tracks[index], rows)
    return out
