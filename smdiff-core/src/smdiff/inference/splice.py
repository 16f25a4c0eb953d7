"""Put generated notes into a song for a selection of bars × tracks, keeping every other note as it was.

The contract every front end keeps, on the whole file rather than the model's
window: a note of an unselected track, or one starting outside the selected
bars, is kept exactly (start, duration, pitch, velocity, track). A note of a
selected track that starts before a selected span and sounds into it is cut at
the span's start; generated notes start inside a span and are cut at its end.
Tracks the tokenizer does not read are never touched. A selected slot the song
has no track for (an accompaniment for a melody-only file, chords for a song
without a chord track) becomes a new track after the song's, holding only
generated notes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import symusic

from smdiff.midi import note_rows, set_note_rows


def _generated(track: symusic.Track, gap: tuple[int, int]) -> np.ndarray:
    """The notes of a generated track that start in ``gap``, cut at its end (rows as :func:`smdiff.midi.note_rows`)."""
    start, end = gap
    rows = note_rows(track)
    rows = rows[(rows[:, 0] >= start) & (rows[:, 0] < end)]
    rows[:, 1] = np.minimum(rows[:, 1], end)
    return rows


def splice(
    song: symusic.Score,
    generated: symusic.Score,
    slot_tracks: Mapping[str, Sequence[int]],
    tracks: Sequence[str],
    gaps: Sequence[tuple[int, int]],
) -> symusic.Score:
    """``song`` with the notes of slots ``tracks`` in each tick range ``[start, end)`` of ``gaps`` replaced by ``generated``'s.

    ``slot_tracks`` names the song's track indices that fill each slot;
    ``generated`` is in ``song``'s time base with one track per slot, named
    after it (any case). Generated notes go into the slot's first track, or
    into a new track named after the slot when the song has none for it.
    """
    out = song.copy()
    by_name = {track.name.strip().lower(): track for track in generated.tracks}
    for slot in tracks:
        if not slot_tracks.get(slot):
            if slot in by_name:
                out.tracks.append(symusic.Track(slot.upper(), 0, False))
                set_note_rows(out.tracks[-1], np.concatenate([_generated(by_name[slot], gap) for gap in gaps]))
            continue
        indices = list(slot_tracks[slot])
        for index in indices:
            rows = note_rows(out.tracks[index])
            for start, end in gaps:
                inside = (rows[:, 0] >= start) & (rows[:, 0] < end)
                rows = rows[~inside]
                crossing = (rows[:, 0] < start) & (rows[:, 1] > start)
                rows[crossing, 1] = start
                if index == indices[0] and slot in by_name:
                    rows = np.concatenate([rows, _generated(by_name[slot], (start, end))])
            set_note_rows(out.tracks[index], rows)
    return out


def notes_changed_outside(
    before: symusic.Score, after: symusic.Score, gaps: Sequence[tuple[int, int]], tracks: set[int]
) -> int:
    """How many notes break :func:`splice`'s contract between an input song and what came back (0: it holds).

    Every note of a track not in ``tracks`` (indices), and every note of those
    tracks starting outside the tick ranges ``gaps``, must come back unchanged,
    except that a note sounding into a range ends where the range starts. A
    track lost counts all its notes; a track added, those starting outside the ranges.
    """

    def rows(track: symusic.Track) -> list[tuple[int, int, int, int]]:
        return [(n.time, n.duration, n.pitch, n.velocity) for n in track.notes]

    def outside(time: int) -> bool:
        return not any(start <= time < end for start, end in gaps)

    def cut(time: int, duration: int) -> int:
        for start, _ in gaps:
            if time < start < time + duration:
                duration = min(duration, start - time)
        return duration

    changed = sum(len(track.notes) for track in list(before.tracks)[len(after.tracks) :])
    changed += sum(outside(note.time) for track in list(after.tracks)[len(before.tracks) :] for note in track.notes)
    for index, (old, new) in enumerate(zip(before.tracks, after.tracks, strict=False)):
        if index not in tracks:
            expected, got = rows(old), rows(new)
        else:
            expected = [(t, cut(t, d), p, v) for t, d, p, v in rows(old) if outside(t)]
            got = [row for row in rows(new) if outside(row[0])]
        missing, added = Counter(expected) - Counter(got), Counter(got) - Counter(expected)
        changed += sum(missing.values()) + sum(added.values())
    return changed
