"""Fixtures: the real POP909 folder, skipped when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from smdiff.testing import pop909_root


@pytest.fixture(scope="session")
def pop909() -> Path:
    """POP909 (``SMDIFF_POP909`` or ../shared/data/POP909 beside the repository)."""
    root = pop909_root(Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "POP909")
    if root is None:
        pytest.skip("POP909 not found; set SMDIFF_POP909")
    return root
