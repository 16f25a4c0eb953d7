"""Turn user errors into one line on stderr and exit code 2, for every subcommand."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from smdiff.errors import SmdiffError
from smdiff.progress import error_console


class SmdiffGroup(TyperGroup):
    """The root command group: a :class:`SmdiffError` anywhere below it becomes ``error: ...`` and exit 2."""

    def invoke(self, ctx: Any) -> Any:
        """Run the chosen subcommand, reporting user errors without a traceback."""
        try:
            return super().invoke(ctx)
        except SmdiffError as error:
            error_console.print(f"[red]error:[/red] {error}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(error.exit_code) from None
