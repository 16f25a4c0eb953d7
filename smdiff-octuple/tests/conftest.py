"""Fixtures: the real POP909 folder, skipped when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from smdiff.testing import pop909_or_skip


@pytest.fixture(scope="session")
def pop909() -> Path:
    """POP909 (``SMDIFF_POP909`` or ../shared/data/POP909 beside the repository)."""
    return pop909_or_skip(Path(__file__).resolve().parents[2])
