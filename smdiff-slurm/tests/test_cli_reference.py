"""docs/cli.md is generated from the app; it must match what the installed commands say now."""

from __future__ import annotations

from pathlib import Path

from smdiff.cli.reference import render_reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_is_current():
    assert DOC.read_text() == render_reference(), "docs/cli.md is stale: python -m smdiff.cli.reference > docs/cli.md"
