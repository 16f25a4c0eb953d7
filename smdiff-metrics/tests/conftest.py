"""Fixtures: real POP909 songs (the full set beside the repository, else the bundled subset), as notes."""

from __future__ import annotations

from pathlib import Path

import pytest
import symusic

from smdiff.notes import NoteTable
from smdiff.testing import pop909_or_bundled

REPOSITORY = Path(__file__).resolve().parents[2]
BARS = 64
SONGS = 40


@pytest.fixture(scope="session")
def pop909() -> Path:
    """A POP909-shaped folder of real songs; never skipped."""
    return pop909_or_bundled(REPOSITORY)


@pytest.fixture(scope="session")
def songs(pop909) -> list[NoteTable]:
    """64 bars of the first 40 songs (melody, bridge and piano), from the first bar of the melody."""
    tables = []
    for path in sorted(pop909.glob("*/*.mid"))[:SONGS]:
        table = NoteTable.from_score(symusic.Score(str(path)))
        tables.append(table.excerpt(int(table.bar[table.track == table.melody_track()].min()), BARS))
    return tables


@pytest.fixture(scope="session")
def melodies(songs) -> list[NoteTable]:
    """The melody track of each of :func:`songs`."""
    return [song.select(song.track == song.melody_track()) for song in songs]
