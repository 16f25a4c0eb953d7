"""All progress and status display, in one place so it can be silenced.

Progress bars appear when stdout is a terminal and ``--quiet`` is off. When
stdout is a file or a pipe (a SLURM log, CI) a plain progress line is printed
instead every ``SMDIFF_LOG_EVERY`` seconds (30 by default): task, count, rate,
elapsed time, ETA and the task's fields. Status lines appear unless ``--quiet``
is on. Nothing else in smdiff prints progress.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

BAR_WIDTH = 10  # narrow enough that the longest progress line (training) keeps elapsed and ETA at 80 columns
_quiet = False
console = Console(highlight=False)
error_console = Console(stderr=True, highlight=False)


def set_quiet(quiet: bool) -> None:
    """Silence (or restore) progress bars and status lines for this process."""
    global _quiet
    _quiet = quiet


def bars_enabled() -> bool:
    """Whether progress bars are drawn: a terminal on stdout and not quiet."""
    return not _quiet and sys.stdout.isatty()


def status(message: str) -> None:
    """Print one status line (rich markup allowed) unless quiet."""
    if not _quiet:
        console.print(message, soft_wrap=True)


def warn(message: str) -> None:
    """Print a warning to stderr; warnings are never silenced."""
    error_console.print(f"[yellow]warning:[/yellow] {message}", soft_wrap=True)


def field_column(template: str) -> TextColumn:
    """A progress column showing task fields, e.g. ``"loss {task.fields[loss]:.4f}"``."""
    return TextColumn(template)


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


class LogProgress:
    """The progress of tasks as a plain line every ``interval`` seconds, for output that is not a terminal."""

    def __init__(self, interval: float, write: Any = None) -> None:
        self.interval = interval
        self.write = write or (lambda line: print(line, flush=True))
        self.tasks: list[dict[str, Any]] = []
        self.last = time.monotonic()

    def add_task(self, description: str, total: float | None = None, **fields: Any) -> int:
        """Start tracking a task; returns its id."""
        completed = float(fields.pop("completed", 0))
        self.tasks.append({"description": description, "total": total, "completed": completed, "start": completed,
                           "started": time.monotonic(), "fields": fields})  # fmt: skip
        return len(self.tasks) - 1

    def update(self, task_id: int, **fields: Any) -> None:
        """Change a task's count (``completed``, ``advance``), ``total`` or fields; maybe print a line."""
        task = self.tasks[task_id]
        if "completed" in fields:
            task["completed"] = float(fields.pop("completed"))
        task["completed"] += float(fields.pop("advance", 0))
        if "total" in fields:
            task["total"] = fields.pop("total")
        task["fields"].update(fields)
        if time.monotonic() - self.last >= self.interval:
            self.flush()

    def advance(self, task_id: int, advance: float = 1) -> None:
        """Add ``advance`` to a task's count."""
        self.update(task_id, advance=advance)

    def line(self, task: dict[str, Any]) -> str:
        """One task as ``name: done/total (rate/s), elapsed, ETA, fields``."""
        elapsed = time.monotonic() - task["started"]
        done, total = task["completed"], task["total"]
        rate = (done - task["start"]) / elapsed if elapsed > 0 else 0.0
        parts = [f"{task['description']}: {done:g}" + (f"/{total:g}" if total else "")]
        parts.append(f"{rate:.2f}/s, elapsed {_clock(elapsed)}")
        if total and rate > 0:
            parts.append(f"ETA {_clock((total - done) / rate)}")
        parts += [f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in task["fields"].items()]
        return ", ".join(parts)

    def flush(self) -> None:
        """Print the line of every task that has started."""
        self.last = time.monotonic()
        for task in self.tasks:
            if task["completed"] > task["start"] or task["total"]:
                self.write(self.line(task))


@contextmanager
def progress_bar(*extra_columns: Any) -> Iterator[Progress | LogProgress]:
    """A rich progress display on a terminal, plain log lines otherwise, nothing with ``--quiet``."""
    if _quiet:
        with Progress(disable=True) as silent:
            yield silent
        return
    if not sys.stdout.isatty():
        log = LogProgress(float(os.environ.get("SMDIFF_LOG_EVERY", "30")))
        yield log
        log.flush()
        return
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=BAR_WIDTH),
        MofNCompleteColumn(),
        *extra_columns,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, transient=False, expand=False) as progress:
        yield progress
