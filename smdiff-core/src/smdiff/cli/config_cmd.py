"""``smdiff config show|validate``: see and check the resolved configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smdiff.cli.options import ConfigFiles, DatasetId, ModelId, Overrides, resolve_config, to_toml
from smdiff.plugins import PluginHost
from smdiff.progress import console


def make_config_app(host: PluginHost) -> typer.Typer:
    """Build the ``config`` sub-app bound to ``host``."""
    app = typer.Typer(help="Show or check configuration.", no_args_is_help=True)

    @app.command("show")
    def show(
        model: ModelId = None,
        dataset_id: DatasetId = None,
        config: ConfigFiles = None,
        set_: Overrides = None,
    ) -> None:
        """Print the resolved configuration as TOML (feed it back with --config)."""
        resolved = resolve_config(
            files=config or (),
            overrides=set_ or (),
            flags={"model.id": model, "data.dataset_id": dataset_id},
            registries=host.registries,
        )
        typer.echo(to_toml(resolved), nl=False)

    @app.command("validate")
    def validate(file: Annotated[Path, typer.Argument(help="TOML config file to check.")]) -> None:
        """Check that a config file resolves; prints the first error and exits 2 otherwise."""
        resolve_config(files=[file], registries=host.registries)
        console.print(f"{file}: ok")

    return app
