"""The pieces a studio session holds: each a score under a random, opaque id, and what the page draws of it."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import symusic

from smdiff.data.bars import BarGrid
from smdiff.data.beat_chords import beat_chords
from smdiff.data.tempo import ticks_to_seconds
from smdiff.inference.songs import bar_starts
from smdiff.tasks import Selection

ID_LENGTH = 16  # hex digits of a piece id


@attrs.frozen
class StudioPiece:
    """One version of a song: a score in its own time base, and where its bars come from.

    ``bars_from`` is the file whose bar annotations (``beat_midi.txt`` beside
    it) define the bars; ``slot_tracks`` the track indices that fill each of the
    model's slots, chosen when the song was opened. Variants keep both from
    their parent, so bar numbers and track roles never move. ``selection`` is
    what was regenerated to make this variant; ``form`` the sections it was
    asked to follow, as (name, first bar, bar after the last), 0-based.
    """

    id: str
    name: str
    score: symusic.Score = attrs.field(eq=False)
    bars_from: Path | None
    slot_tracks: Mapping[str, tuple[int, ...]]
    parent: str | None = None
    selection: Selection | None = None
    form: tuple[tuple[str, int, int], ...] = ()


class PieceStore:
    """Pieces by id; ids are random hex strings, looked up in memory only (never a path)."""

    def __init__(self) -> None:
        self._pieces: dict[str, StudioPiece] = {}
        self._lock = threading.Lock()

    def add(
        self, name: str, score: symusic.Score, bars_from: Path | None, slot_tracks: Mapping[str, tuple[int, ...]],
        **extra: Any,
    ) -> StudioPiece:  # fmt: skip
        """Store a new piece under a fresh id."""
        piece = StudioPiece(secrets.token_hex(ID_LENGTH // 2), name, score, bars_from, slot_tracks, **extra)
        with self._lock:
            self._pieces[piece.id] = piece
        return piece

    def get(self, piece_id: str) -> StudioPiece | None:
        """The piece, or ``None`` for an unknown (or malformed) id."""
        with self._lock:
            return self._pieces.get(piece_id)


def chord_lane(piece: StudioPiece, time_signature: str | None) -> list[dict[str, Any]]:
    """The piece's chords as the model reads them (its chord track, else annotation, else recognised), merged into
    spans of equal chords: start and end in quarter notes and the lead-sheet symbol (no-chord spans left out)."""
    grid = BarGrid.for_score(piece.score, source_path=piece.bars_from, time_signature=time_signature)
    found = beat_chords(piece.score, piece.bars_from, grid=grid)
    beats = found.beat_ticks / piece.score.ticks_per_quarter
    lane: list[dict[str, Any]] = []
    for index, chord in enumerate(found.chords):
        if chord.root is None:
            continue
        if lane and lane[-1]["end"] == round(float(beats[index]), 4) and lane[-1]["symbol"] == chord.lead_sheet:
            lane[-1]["end"] = round(float(beats[index + 1]), 4)
        else:
            lane.append({"start": round(float(beats[index]), 4), "end": round(float(beats[index + 1]), 4),
                         "symbol": chord.lead_sheet})  # fmt: skip
    return lane


def roll(piece: StudioPiece, window_bars: int, time_signature: str | None, chords: bool = False) -> dict[str, Any]:
    """What the page draws: tracks with notes in quarter notes, bar starts in quarters and seconds, the selection,
    and with ``chords`` the chord lane (:func:`chord_lane`)."""
    score, tpq = piece.score, piece.score.ticks_per_quarter
    starts = bar_starts(score, piece.bars_from, time_signature)
    slot_of = {index: slot for slot, indices in piece.slot_tracks.items() for index in indices}
    tracks = []
    for index, track in enumerate(score.tracks):
        notes = track.notes.numpy()
        tracks.append({
            "index": index,
            "name": track.name.strip() or f"track {index + 1}",
            "program": int(track.program),
            "is_drum": bool(track.is_drum),
            "slot": slot_of.get(index),
            "notes": np.stack([notes["time"] / tpq, notes["duration"] / tpq, notes["pitch"], notes["velocity"]], axis=1)
            .round(4).tolist(),
        })  # fmt: skip
    selection = piece.selection
    return {
        "id": piece.id,
        "name": piece.name,
        "parent": piece.parent,
        "tracks": tracks,
        "bars": (starts / tpq).round(4).tolist(),
        "bar_seconds": ticks_to_seconds(score, starts).round(4).tolist(),
        "window_bars": window_bars,
        "selection": None if selection is None else {
            "bars": [selection.start_bar + 1, selection.end_bar], "tracks": list(selection.tracks),
            "spans": [[start + 1, end] for start, end in selection.spans]
        },
        "form": [{"name": name, "bars": [start + 1, end]} for name, start, end in piece.form],
        "chords": chord_lane(piece, time_signature) if chords else None,
    }  # fmt: skip
