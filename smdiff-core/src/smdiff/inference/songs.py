"""The user's song as the pipeline holds it: the whole score, where its bars come from, and its tracks' roles."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import attrs
import numpy as np
import symusic

from smdiff.data.bars import BarGrid
from smdiff.data.roles import assign_roles
from smdiff.errors import DataError
from smdiff.inference.runs import LoadedRun
from smdiff.midi import load_score


@attrs.frozen
class Song:
    """An input piece: every track of it, whole.

    ``bars_from`` is the file whose bar annotations (``beat_midi.txt`` beside
    it) define the bars; ``slot_tracks`` the track indices that fill each of
    the model's slots (chosen once, when the song is read).
    """

    name: str
    score: symusic.Score = attrs.field(eq=False)
    bars_from: Path | None
    slot_tracks: Mapping[str, tuple[int, ...]]

    @classmethod
    def read(cls, path: Path, run: LoadedRun, *, name: str | None = None, bars_from: Path | None = None) -> Song:
        """``path`` read as a song for ``run``'s model; no track the model reads is a :class:`DataError`."""
        score = load_score(path)
        slot_tracks = slot_tracks_of(score, run)
        if not slot_tracks:
            names = ", ".join(run.tokenizer.track_names)
            raise DataError(f"{name or path}: no track with notes fits the model's tracks ({names})")
        return cls(name or path.name, score, bars_from if bars_from is not None else path, slot_tracks)

    def bar_starts(self, time_signature: str | None) -> np.ndarray:
        """Tick of every bar start through the end of its last note (past the grid, bars repeat)."""
        return bar_starts(self.score, self.bars_from, time_signature)

    def n_bars(self, time_signature: str | None) -> int:
        """Bars from the first through the one holding the last note's end."""
        return max(len(self.bar_starts(time_signature)) - 1, 1)


def bar_starts(score: symusic.Score, bars_from: Path | None, time_signature: str | None) -> np.ndarray:
    """Tick of every bar start of ``score`` through the end of its last note (past the grid, bars repeat)."""
    grid = BarGrid.for_score(score, source_path=bars_from, time_signature=time_signature)
    return grid.extended_starts(until=max([int(track.end()) for track in score.tracks] + [0]))


def slot_tracks_of(score: symusic.Score, run: LoadedRun) -> dict[str, tuple[int, ...]]:
    """For each of the model's slots that ``score`` fills, its track indices (as the tokenizer chooses them)."""
    roles = assign_roles(score, run.tokenizer.track_names, run.config.data.track_map or None)
    return {slot: choice.tracks for slot, choice in roles.items()}
