"""Checkpoints: one file each, written atomically, loadable with ``torch.load(weights_only=True)``.

Files live in ``run_dir/checkpoints``: ``step_00001000.pt`` (periodic and
latest), ``best.pt`` (best validation), ``emergency_step_*.pt`` (after a crash,
beside — never over — the good ones). Rotation keeps the newest ``keep_last``
periodic files and never deletes before the new file is durable.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import torch

from smdiff.data.atomic import atomic_writer
from smdiff.errors import DataError
from smdiff.progress import warn

FORMAT_VERSION = 1
PERIODIC_PREFIX = "step_"


def checkpoint_dir(run_dir: Path) -> Path:
    """Where a run's checkpoints live."""
    return run_dir / "checkpoints"


def run_dir_of(checkpoint: Path) -> Path:
    """The run folder a checkpoint file belongs to: the inverse of :func:`checkpoint_dir`."""
    return Path(checkpoint).parent.parent


def config_digest(config_dict: dict[str, Any]) -> str:
    """A short hash of a resolved config."""
    return hashlib.sha256(json.dumps(config_dict, sort_keys=True, default=str).encode()).hexdigest()[:16]


def save_checkpoint(path: Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` to ``path`` atomically (temp file, flush, fsync, ``os.replace``, fsync the folder)."""
    with atomic_writer(path) as handle:
        torch.save({"format_version": FORMAT_VERSION, **payload}, handle)
    return path


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Load a checkpoint onto the CPU; an unreadable, truncated or foreign file is a :class:`DataError` naming it.

    Always the CPU, whatever device the run uses: ``load_state_dict`` copies
    weights and optimizer moments onto the model's device, and random states
    must stay CPU byte tensors (``torch.set_rng_state`` and
    ``Generator.set_state`` refuse anything else, so mapping a checkpoint to
    a GPU made every GPU resume crash).
    """
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise DataError(f"checkpoint {path} does not exist") from None
    except Exception as error:  # truncated zip, pickle errors, foreign formats
        raise DataError(f"checkpoint {path} is unreadable ({type(error).__name__}: {error})") from None
    if not isinstance(payload, dict) or payload.get("format_version") != FORMAT_VERSION:
        raise DataError(f"{path} is not an smdiff checkpoint of format {FORMAT_VERSION}")
    return payload


def periodic_checkpoints(run_dir: Path) -> list[Path]:
    """Periodic checkpoints of a run, oldest first."""
    return sorted(checkpoint_dir(run_dir).glob(f"{PERIODIC_PREFIX}*.pt"))


def latest_valid_checkpoint(run_dir: Path) -> tuple[Path, dict[str, Any]] | None:
    """The newest periodic checkpoint that loads (onto the CPU), warning about (and skipping) corrupt newer ones."""
    for path in reversed(periodic_checkpoints(run_dir)):
        try:
            return path, load_checkpoint(path)
        except DataError as error:
            warn(f"{error}; falling back to an older checkpoint")
    return None


def step_checkpoint(run_dir: Path, step: int) -> Path:
    """The periodic checkpoint path of ``step``."""
    return checkpoint_dir(run_dir) / f"{PERIODIC_PREFIX}{step:08d}.pt"


def rotate(run_dir: Path, keep_last: int) -> list[Path]:
    """Delete all but the newest ``keep_last`` periodic checkpoints; returns the deleted paths."""
    old = periodic_checkpoints(run_dir)[: -keep_last or None] if keep_last > 0 else []
    for path in old:
        path.unlink(missing_ok=True)
    return old


def check_free_space(run_dir: Path, needed_bytes: int) -> None:
    """Refuse to start when the run's disk cannot hold a few checkpoints."""
    run_dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(run_dir).free
    if free < needed_bytes:
        raise DataError(
            f"only {free / 2**20:.0f} MiB free at {run_dir}; checkpoints need about {needed_bytes / 2**20:.0f} MiB. "
            "Free space or choose another --log_dir"
        )


#: model options added after checkpoints existed: a checkpoint without one was trained with it off
ABSENT_MEANS_OFF = ("rotary", "pitch_context", "relative_bias", "bar_echoes")

COMPATIBILITY_KEYS = (
    ("tokenizer", "tokenizer id and version"),
    ("token_spec_digest", "TokenSpec"),
    ("model_id", "model"),
    ("model_shape", "model size"),
)


def compatibility_diff(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Readable lines for every way a checkpoint's identity differs from the current run's."""
    lines = []
    if "model_shape" in saved:  # checkpoints from before these options existed were trained without them
        absent = {key: saved["model_shape"].get(key, False) for key in ABSENT_MEANS_OFF}
        saved = {**saved, "model_shape": {**saved["model_shape"], **absent}}
    for key, label in COMPATIBILITY_KEYS:
        if saved.get(key) != current.get(key):
            lines.append(f"{label}: checkpoint has {saved.get(key)!r}, this run has {current.get(key)!r}")
    return lines
