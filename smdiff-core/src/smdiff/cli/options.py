"""Options shared by several subcommands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ConfigFiles = Annotated[
    list[Path] | None,
    typer.Option("--config", "-c", help="TOML config file (repeatable; later files win).", show_default=False),
]
Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="Override one value: dotted.key=value (repeatable).", show_default=False),
]
ModelId = Annotated[str | None, typer.Option("--model", help="Model id (see `smdiff list models`).")]
DatasetId = Annotated[str | None, typer.Option("--dataset-id", help="Dataset id (see `smdiff list datasets`).")]
