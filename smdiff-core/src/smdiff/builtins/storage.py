"""Built-in storage backend: ``local``."""

from __future__ import annotations

from pathlib import Path

from smdiff import hookimpl
from smdiff.specs import StorageBackendSpec


def _make_local(config, run_dir: Path):
    from smdiff.storage import LocalStorage

    return LocalStorage(config, run_dir)


@hookimpl
def smdiff_storage_backends() -> list[StorageBackendSpec]:
    """Register the ``local`` backend: artefacts stay in the run directory."""
    return [StorageBackendSpec(id="local", summary="keep run artefacts in the run directory", factory=_make_local)]
