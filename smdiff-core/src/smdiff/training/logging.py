"""Metrics to TensorBoard event files and a ``metrics.jsonl``, continuing cleanly on resume."""

from __future__ import annotations

import json
import time
from pathlib import Path

from torch.utils.tensorboard import SummaryWriter


class MetricsLogger:
    """Writes scalars to ``run_dir/tensorboard`` and one JSON object per line to ``run_dir/metrics.jsonl``.

    On resume from step ``k``, records after ``k`` (written after the last
    checkpoint by the interrupted run) are discarded from both, so no step is
    logged twice.
    """

    def __init__(self, run_dir: Path, resume_step: int | None = None) -> None:
        self.path = run_dir / "metrics.jsonl"
        if resume_step is not None and self.path.exists():
            kept = [
                line for line in self.path.read_text().splitlines() if line and json.loads(line)["step"] <= resume_step
            ]
            self.path.write_text("".join(line + "\n" for line in kept))
        self.writer = SummaryWriter(str(run_dir / "tensorboard"), purge_step=resume_step + 1 if resume_step else None)
        self.handle = self.path.open("a")

    def log(self, step: int, kind: str, values: dict[str, float]) -> None:
        """Record ``values`` under ``kind/`` (e.g. ``train/loss``) at ``step``."""
        for name, value in values.items():
            self.writer.add_scalar(f"{kind}/{name}", value, step)
        self.handle.write(json.dumps({"step": step, "kind": kind, "time": time.time(), **values}) + "\n")
        self.handle.flush()

    def close(self) -> None:
        """Flush and close both outputs."""
        self.writer.close()
        self.handle.close()
