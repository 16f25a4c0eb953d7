"""Fixtures: the real POP909 folder (skipped when absent) and the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smdiff.cli.app import build_app
from smdiff.plugins import build_plugin_host
from smdiff.testing import music21_midi_folder, pop909_or_bundled, write_midi


@pytest.fixture(scope="session")
def pop909() -> Path:
    """POP909 (``SMDIFF_POP909`` or ../shared/data/POP909 beside the repository), else the bundled examples/pop909-mini."""
    return pop909_or_bundled(Path(__file__).resolve().parents[2])


@pytest.fixture(scope="module")
def cli():
    """Invoke the real ``smdiff`` app (installed plugins); returns the CliRunner result."""
    app, runner = build_app(build_plugin_host()), CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="session")
def melody_cache(tmp_path_factory) -> Path:
    """A small real ``melody`` cache: 16 four-bar songs written as MIDI and prepared by the real CLI (12 train, 4 val)."""
    root = tmp_path_factory.mktemp("songs")
    for song in range(16):
        notes = [(beat * 240, 240, 60 + (beat * (song % 5 + 1)) % 12, 90) for beat in range(64)]
        write_midi(root / f"s{song:02d}.mid", {"MELODY": notes})
    path = tmp_path_factory.mktemp("cache") / "melody.npy"
    subprocess.run(
        [sys.executable, "-m", "smdiff.cli", "prepare", "--tokenizer_id", "melody", "--bars", "4", "--root_dir", str(root),
         "--cache_path", str(path), "--set", "data.split=[0.75, 0.25, 0.0]"],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="session")
def music21_midi(request) -> Path:
    """Real works of music21's corpus as MIDI (chorales, madrigals, folk tunes, a quartet, a rag), made once."""
    return music21_midi_folder(request.config.cache.mkdir("music21-midi"))
