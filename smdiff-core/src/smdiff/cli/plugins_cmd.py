"""``smdiff plugins``: what is installed and what each plugin registered."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from smdiff.plugins import DEFAULT_PLUGINS, PluginHost
from smdiff.progress import console


def registered_ids(host: PluginHost) -> dict[str, dict[str, list[str]]]:
    """For each plugin name, the ids it registered, by registry kind."""
    owned: dict[str, dict[str, list[str]]] = {}
    for kind, registry in host.registries.by_kind().items():
        for spec in registry:
            owned.setdefault(registry.provider(spec.id), {}).setdefault(kind, []).append(spec.id)
    return owned


def plugin_rows(host: PluginHost, include_builtins: bool) -> list[dict]:
    """One JSON-ready row per plugin (and per failed plugin)."""
    owned = registered_ids(host)
    rows = [
        {
            "name": info.name,
            "distribution": info.distribution,
            "version": info.version,
            "hooks": list(info.hooks),
            "registered": owned.get(info.name, {}),
        }
        for info in host.plugins()
        if include_builtins or info.name not in DEFAULT_PLUGINS
    ]
    rows += [
        {"name": f.name, "distribution": f.distribution, "version": f.version, "error": f.error} for f in host.failures
    ]
    return rows


def make_plugins_command(host: PluginHost):
    """Build the ``plugins`` command bound to ``host``."""

    def plugins(
        all_: Annotated[bool, typer.Option("--all", help="Include the kernel's built-in plugins.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    ) -> None:
        """List installed plugins: distribution, version, hooks implemented and ids registered."""
        rows = plugin_rows(host, include_builtins=all_)
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        table = Table(title="smdiff plugins")
        for column in ("plugin", "distribution", "version"):  # names are never broken
            table.add_column(column, no_wrap=True)
        table.add_column("registered (hooks in --json)", overflow="fold")  # wraps between ids
        for row in rows:
            if "error" in row:
                table.add_row(
                    row["name"], row["distribution"], row["version"], f"[red]failed to load[/red]: {row['error']}"
                )
                continue
            registered = "\n".join(f"{kind}: {', '.join(ids)}" for kind, ids in row["registered"].items())
            table.add_row(row["name"], row["distribution"], row["version"], registered)
        console.print(table)

    return plugins
