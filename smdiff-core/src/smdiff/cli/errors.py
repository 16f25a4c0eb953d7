"""Turn user errors into one line on stderr and exit code 2, for every subcommand."""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from smdiff.errors import SmdiffError
from smdiff.progress import error_console

#: options whose value may be left out, and the value they then take
OPTIONAL_VALUES = {"--resume": "latest"}


def fill_optional_values(args: list[str]) -> list[str]:
    """``--resume`` with no value (last, or followed by another option) becomes ``--resume latest``."""
    filled: list[str] = []
    for index, arg in enumerate(args):
        filled.append(arg)
        following = args[index + 1] if index + 1 < len(args) else None
        if arg in OPTIONAL_VALUES and (following is None or following.startswith("-")):
            filled.append(OPTIONAL_VALUES[arg])
    return filled


class SmdiffGroup(TyperGroup):
    """The root command group: a :class:`SmdiffError` anywhere below it becomes ``error: ...`` and exit 2."""

    def main(self, args: list[str] | None = None, *rest: Any, **kwargs: Any) -> Any:
        """Parse ``args`` (default ``sys.argv[1:]``) after filling in optional option values."""
        return super().main(fill_optional_values(list(sys.argv[1:] if args is None else args)), *rest, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        """Run the chosen subcommand, reporting user errors without a traceback."""
        try:
            return super().invoke(ctx)
        except SmdiffError as error:
            error_console.print(f"[red]error:[/red] {error}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(error.exit_code) from None
