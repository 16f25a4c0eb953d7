"""The run directory: where a run keeps its config snapshot, logs, samples and checkpoints."""

from __future__ import annotations

from pathlib import Path

from smdiff.config.schema import SmdiffConfig
from smdiff.errors import DataError

CONFIG_SNAPSHOT = "config.toml"


def default_run_dir(config: SmdiffConfig) -> Path:
    """``train.log_dir`` or ``runs/<model>_<dataset>``."""
    if config.train.log_dir:
        return Path(config.train.log_dir)
    return Path("runs") / f"{config.model.id}_{config.data.dataset_id}"


def holds_a_run(run_dir: Path) -> bool:
    """Whether ``run_dir`` already contains another run's snapshot or checkpoints."""
    return (run_dir / CONFIG_SNAPSHOT).exists() or any((run_dir / "checkpoints").glob("*.pt"))


def claim_run_dir(run_dir: Path, *, resuming: bool) -> bool:
    """Create ``run_dir``; a folder holding another run is refused unless resuming it.

    Returns whether there is a run to resume (``--resume`` on an empty folder
    starts a new run, so a scheduler can always pass it).
    """
    existing = holds_a_run(run_dir)
    if existing and not resuming:
        raise DataError(
            f"run directory {run_dir} already holds a run; continue it with --resume, "
            "or start a new one with --log_dir DIR"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    return existing
