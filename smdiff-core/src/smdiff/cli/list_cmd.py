"""``smdiff list KIND``: every registered extension of one kind."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from smdiff.errors import SmdiffError, did_you_mean
from smdiff.plugins import PluginHost
from smdiff.progress import console
from smdiff.registry import REGISTRY_HOOKS
from smdiff.specs import DatasetSpec, ModelSpec, Spec, TokenizerSpec

KINDS = tuple(REGISTRY_HOOKS)


def _details(spec: Spec) -> str:
    if isinstance(spec, TokenizerSpec):
        return f"{spec.representation}, version {spec.version}"
    if isinstance(spec, ModelSpec):
        return f"for {'/'.join(spec.representations)}; presets: {', '.join(spec.presets)}"
    if isinstance(spec, DatasetSpec):
        from smdiff.data.catalog import describe_dataset

        return describe_dataset(spec)
    return ""


def spec_rows(host: PluginHost, kind: str) -> list[dict]:
    """JSON-ready rows describing every spec of ``kind``."""
    registry = host.registries.by_kind()[kind]
    return [
        {
            "id": spec.id,
            "aliases": list(spec.aliases),
            "summary": spec.summary,
            "plugin": registry.provider(spec.id),
            "details": _details(spec),
        }
        for spec in registry
    ]


def make_list_command(host: PluginHost):
    """Build the ``list`` command bound to ``host``."""

    def list_(
        kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    ) -> None:
        """List registered tokenizers, models, maskers, tasks, metrics, storage backends, datasets or kernels."""
        if kind not in KINDS:
            raise SmdiffError(f"cannot list '{kind}'{did_you_mean(kind, KINDS)} Choose one of: {', '.join(KINDS)}")
        rows = spec_rows(host, kind)
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        table = Table(title=f"smdiff {kind}")
        table.add_column("id", no_wrap=True)  # ids are never broken; text wraps between words
        for column in ("aliases", "summary", "details"):  # wrap between words; fold only a word wider than the column
            table.add_column(column, overflow="fold", ratio=1)
        table.add_column("plugin", no_wrap=True)
        for row in rows:
            table.add_row(row["id"], ", ".join(row["aliases"]), row["summary"], row["details"], row["plugin"])
        console.print(table)

    return list_
