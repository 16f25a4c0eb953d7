"""Storage backends: where a run's artefacts live and how they are made durable.

The training loop writes into ``backend.run_dir`` and calls :meth:`sync` after
each checkpoint and at the end; :meth:`restore` runs once before training so a
backend can bring back a run from somewhere safer (see smdiff-slurm).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from smdiff.config.schema import StorageConfig


@runtime_checkable
class StorageBackend(Protocol):
    """What the training loop needs from a storage backend."""

    run_dir: Path

    def restore(self) -> bool:
        """Bring the run's artefacts into ``run_dir`` if they live elsewhere; return whether anything came back."""

    def sync(self, reason: str) -> None:
        """Make what is in ``run_dir`` durable (``reason`` is e.g. ``"checkpoint"`` or ``"end"``)."""

    def finish(self, stopped_by: str | None) -> None:
        """The run ended: normally (``None``) or stopped by the named signal (e.g. ``"SIGUSR1"``)."""


class LocalStorage:
    """The run directory is the permanent home: nothing to restore or sync."""

    def __init__(self, config: StorageConfig, run_dir: Path) -> None:
        self.config = config
        self.run_dir = Path(run_dir)

    def restore(self) -> bool:
        """Nothing lives elsewhere."""
        return False

    def sync(self, reason: str) -> None:
        """Files written to ``run_dir`` are already where they belong."""

    def finish(self, stopped_by: str | None) -> None:
        """Nothing to do at the end."""
