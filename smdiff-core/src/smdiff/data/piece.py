"""A piece read for tokenizing: its score, its bar grid, and its notes per track slot."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import attrs
import numpy as np
import symusic

from smdiff.data.bars import BarGrid
from smdiff.data.tracks import select_tracks
from smdiff.errors import DataError
from smdiff.midi import MidiLike, load_score


@attrs.frozen
class SlotNotes:
    """Every note of one slot's tracks, as parallel arrays (ticks)."""

    time: np.ndarray
    end: np.ndarray
    pitch: np.ndarray
    velocity: np.ndarray


@attrs.frozen
class Piece:
    """A score with its bars and the notes of each track slot of a track map."""

    score: symusic.Score
    grid: BarGrid
    notes: dict[str, SlotNotes]

    @classmethod
    def read(
        cls,
        midi: MidiLike,
        *,
        track_map: Mapping[str, str],
        time_signature: str | None = None,
        source: str | Path | None = None,
    ) -> Piece:
        """Read ``midi``; a file where no track matches any slot is a :class:`DataError`."""
        score = load_score(midi)
        if source is None and isinstance(midi, (str, Path)):
            source = midi
        grid = BarGrid.for_score(score, source_path=source, time_signature=time_signature)
        selected = select_tracks(score, track_map)
        if not any(selected.values()):
            wanted = ", ".join(f"{slot} ({selector})" for slot, selector in track_map.items())
            raise DataError(f"no track matches {wanted}; name the tracks with data.track_map")
        notes = {}
        for slot, tracks in selected.items():
            arrays = [track.notes.numpy() for track in tracks]
            arrays = [a for a in arrays if len(a["time"])]
            if not arrays:
                continue
            time = np.concatenate([a["time"] for a in arrays]).astype(np.float64)
            notes[slot] = SlotNotes(
                time=time,
                end=time + np.concatenate([a["duration"] for a in arrays]),
                pitch=np.concatenate([a["pitch"] for a in arrays]).astype(np.int64),
                velocity=np.concatenate([a["velocity"] for a in arrays]).astype(np.int64),
            )
        return cls(score, grid, notes)
