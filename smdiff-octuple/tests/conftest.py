"""Fixtures: the real POP909 folder, skipped when absent."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from smdiff.cli.app import build_app
from smdiff.plugins import build_plugin_host
from smdiff.testing import music21_midi_folder, pop909_or_bundled


@pytest.fixture(scope="session")
def pop909() -> Path:
    """POP909 (``SMDIFF_POP909`` or ../shared/data/POP909 beside the repository), else the bundled examples/pop909-mini."""
    return pop909_or_bundled(Path(__file__).resolve().parents[2])


@pytest.fixture(scope="session")
def music21_midi(request) -> Path:
    """Real works of music21's corpus as MIDI (chorales, madrigals, folk tunes, a quartet, a rag), made once."""
    return music21_midi_folder(request.config.cache.mkdir("music21-midi"))


@pytest.fixture(scope="module")
def cli():
    """Invoke the real ``smdiff`` app (installed plugins); returns the CliRunner result."""
    app, runner = build_app(build_plugin_host()), CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)
