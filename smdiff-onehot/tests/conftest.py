"""Fixtures: the real POP909 folder (skipped when absent) and the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from smdiff.cli.app import build_app
from smdiff.plugins import build_plugin_host
from smdiff.testing import pop909_or_skip


@pytest.fixture(scope="session")
def pop909() -> Path:
    """POP909 (``SMDIFF_POP909`` or ../shared/data/POP909 beside the repository)."""
    return pop909_or_skip(Path(__file__).resolve().parents[2])


@pytest.fixture(scope="module")
def cli():
    """Invoke the real ``smdiff`` app (installed plugins); returns the CliRunner result."""
    app = build_app(build_plugin_host())
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)
