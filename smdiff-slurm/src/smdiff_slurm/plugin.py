"""Entry-point module of smdiff-slurm: cheap to import, it only describes what the package registers."""

from __future__ import annotations

from smdiff import CommandSpec, StorageBackendSpec, hookimpl


def _home_sync(config, run_dir):
    from smdiff_slurm.home_sync import HomeSync

    return HomeSync(config, run_dir)


def _slurm_app():
    from smdiff_slurm.cli import make_slurm_app

    return make_slurm_app()


@hookimpl
def smdiff_storage_backends() -> list[StorageBackendSpec]:
    """Register ``home_sync``: run on scratch, mirror to home, restore after a requeue."""
    return [
        StorageBackendSpec(
            id="home_sync", summary="run on fast scratch, mirror verified copies to a home folder", factory=_home_sync
        )
    ]


@hookimpl
def smdiff_cli() -> list[CommandSpec]:
    """Add ``smdiff slurm script|submit``."""
    return [CommandSpec(id="slurm", summary="write and submit SLURM jobs that survive pre-emption", factory=_slurm_app)]
