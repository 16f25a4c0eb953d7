"""Options shared by several subcommands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from smdiff.config.schema import SmdiffConfig

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


def resolve_config(**layers: Any) -> SmdiffConfig:
    """:func:`smdiff.config.resolve_config`, imported when a command runs rather than when the CLI starts."""
    from smdiff.config import resolve_config as resolve

    return resolve(**layers)


def to_toml(config: SmdiffConfig) -> str:
    """:func:`smdiff.config.to_toml`, imported when needed."""
    from smdiff.config import to_toml as render

    return render(config)
