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

# what to sample and how: `smdiff sample` and `smdiff evaluate` read the same settings through the same flags
Task = Annotated[
    str | None,
    typer.Option("--task", help="uncond, infill, accompany, melody, harmonize or a plugin's (`smdiff list tasks`)."),
]
NSamples = Annotated[int | None, typer.Option("--n-samples", help="Samples (variants of --input_midi).")]
SampleSteps = Annotated[
    int | None, typer.Option("--sample-steps", help="Reverse steps (default: 32 confidence, length ancestral).")
]
Sampler = Annotated[str | None, typer.Option("--sampler", help="confidence (default) or ancestral.")]
LoadStep = Annotated[int | None, typer.Option("--load-step", help="Checkpoint step; 0 = best; default latest.")]
MaskStartBar = Annotated[int | None, typer.Option("--mask-start-bar", help="Infill: first bar to fill (from 0).")]
MaskEndBar = Annotated[int | None, typer.Option("--mask-end-bar", help="Infill: the bar after the last to fill.")]
MaskTracks = Annotated[str | None, typer.Option("--mask-tracks", help="Infill: tracks to fill, e.g. piano,bridge.")]


def split_list(text: str | None) -> tuple[str, ...] | None:
    """A comma-separated option as a tuple of its non-empty, stripped items (``None`` when not given)."""
    return None if text is None else tuple(item.strip() for item in text.split(",") if item.strip())


def resolve_config(**layers: Any) -> SmdiffConfig:
    """:func:`smdiff.config.resolve_config`, imported when a command runs rather than when the CLI starts."""
    from smdiff.config import resolve_config as resolve

    return resolve(**layers)


def to_toml(config: SmdiffConfig) -> str:
    """:func:`smdiff.config.to_toml`, imported when needed."""
    from smdiff.config import to_toml as render

    return render(config)
