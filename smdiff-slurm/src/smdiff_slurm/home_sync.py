"""``home_sync``: run on fast scratch, mirror to a permanent home folder, come back from home after a requeue.

Every copy goes to a temporary name in the destination folder, is checked
(size and sha256) and only then renamed into place; older checkpoint copies at
home are pruned after that. A failed sync is retried, reported, and never
deletes the source or leaves a half-written file at home.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from smdiff import ConfigError, StorageConfig, status, warn

SLURM_KEYS = ("SLURM_JOB_ID", "SLURM_JOB_NODELIST", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_RESTART_COUNT",
              "SLURM_NTASKS", "SLURM_PROCID", "SLURM_CLUSTER_NAME")  # fmt: skip
JOB_LOG = "slurm_jobs.jsonl"


def sha256(path: Path) -> str:
    """Hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_verified(source: Path, destination: Path) -> None:
    """Copy to a temporary name beside ``destination``, verify size and hash, then rename into place."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    try:
        shutil.copyfile(source, temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        if temporary.stat().st_size != source.stat().st_size or sha256(temporary) != sha256(source):
            raise OSError(f"copy of {source} to {destination} does not match the source")
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)


def _needs_copy(source: Path, destination: Path) -> bool:
    if not destination.exists():
        return True
    stat, other = source.stat(), destination.stat()
    return stat.st_size != other.st_size or stat.st_mtime_ns > other.st_mtime_ns


class HomeSync:
    """Run in ``scratch_dir/<run>``; keep ``home_dir/<run>`` a verified mirror."""

    def __init__(self, config: StorageConfig, run_dir: Path) -> None:
        if not config.home_dir:
            raise ConfigError("storage.backend=home_sync needs storage.home_dir (a permanent folder, e.g. under $HOME)")
        scratch = config.scratch_dir or os.environ.get("SLURM_TMPDIR")
        if not scratch:
            raise ConfigError("storage.backend=home_sync needs storage.scratch_dir, or $SLURM_TMPDIR set by SLURM")
        self.config = config
        self.run_dir = Path(scratch) / Path(run_dir).name
        self.home = Path(config.home_dir) / Path(run_dir).name

    def restore(self) -> bool:
        """Copy the run back from home when scratch is empty (a requeued job on a new node); log the SLURM job."""
        restored = False
        if not any((self.run_dir / "checkpoints").glob("*.pt")) and any((self.home / "checkpoints").glob("*.pt")):
            for source in sorted(p for p in self.home.rglob("*") if p.is_file() and ".partial-" not in p.name):
                copy_verified(source, self.run_dir / source.relative_to(self.home))
            status(f"restored run {self.run_dir.name} from {self.home} onto scratch {self.run_dir}")
            restored = True
        self.run_dir.mkdir(parents=True, exist_ok=True)
        record = {key: os.environ[key] for key in SLURM_KEYS if key in os.environ}
        with open(self.run_dir / JOB_LOG, "a") as handle:
            handle.write(json.dumps({"time": time.time(), "restored_from_home": restored, **record}) + "\n")
        return restored

    def sync(self, reason: str) -> None:
        """Mirror new or changed files to home (retrying), then prune old checkpoint copies there."""
        for attempt in range(1, self.config.sync_retries + 1):
            try:
                self._mirror()
                self._prune()
                return
            except OSError as error:
                warn(f"sync of {self.run_dir} to {self.home} ({reason}) failed, attempt {attempt}: {error}")
                time.sleep(min(2**attempt, 10) if attempt < self.config.sync_retries else 0)
        warn(f"{self.home} may be behind {self.run_dir}; scratch still holds everything")

    def _mirror(self) -> None:
        for source in sorted(p for p in self.run_dir.rglob("*") if p.is_file() and ".tmp-" not in p.name):
            destination = self.home / source.relative_to(self.run_dir)
            if _needs_copy(source, destination):
                copy_verified(source, destination)

    def _prune(self) -> None:
        periodic = sorted((self.home / "checkpoints").glob("step_*.pt"))
        for old in periodic[: -self.config.keep] if self.config.keep > 0 else []:
            old.unlink()

    def finish(self, stopped_by: str | None) -> None:
        """After a SIGUSR1 with ``storage.requeue``: ask SLURM to requeue this job."""
        job = os.environ.get("SLURM_JOB_ID")
        if stopped_by != "SIGUSR1" or not self.config.requeue:
            return
        if not job:
            warn("storage.requeue is on but SLURM_JOB_ID is not set: not running under SLURM, nothing to requeue")
            return
        if shutil.which("scontrol") is None:
            warn(f"storage.requeue is on but scontrol is not on PATH; requeue job {job} by hand")
            return
        result = subprocess.run(["scontrol", "requeue", job], capture_output=True, text=True)
        if result.returncode:
            warn(f"scontrol requeue {job} failed: {result.stderr.strip() or result.returncode}")
        else:
            status(f"requeued SLURM job {job}; it will resume from {self.home}")
