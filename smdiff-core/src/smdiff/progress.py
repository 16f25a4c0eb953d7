"""All progress and status display, in one place so it can be silenced.

Progress bars appear only when stdout is a terminal and ``--quiet`` is off;
status lines appear unless ``--quiet`` is on. Nothing else in smdiff prints
progress.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

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


class _SilentProgress:
    """Stands in for :class:`rich.progress.Progress` when bars are off."""

    def add_task(self, description: str, total: float | None = None, **fields: Any) -> int:
        return 0

    def update(self, task_id: int, **fields: Any) -> None:
        pass

    def advance(self, task_id: int, advance: float = 1) -> None:
        pass


@contextmanager
def progress_bar(*extra_columns: Any) -> Iterator[Progress | _SilentProgress]:
    """A rich progress display (or a silent stand-in); extra columns show task fields."""
    if not bars_enabled():
        yield _SilentProgress()
        return
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        *extra_columns,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, transient=False) as progress:
        yield progress
