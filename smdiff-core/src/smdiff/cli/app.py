"""The ``smdiff`` Typer app, built by a factory so plugins can add commands and tests need no reloads."""

from __future__ import annotations

from typing import Annotated

import typer

from smdiff import __version__
from smdiff.cli.config_cmd import make_config_app
from smdiff.cli.convert_cmd import make_convert_command
from smdiff.cli.errors import SmdiffGroup
from smdiff.cli.evaluate_cmd import make_evaluate_command
from smdiff.cli.list_cmd import make_list_command
from smdiff.cli.plugins_cmd import make_plugins_command
from smdiff.cli.prepare_cmd import make_prepare_command
from smdiff.cli.sample_cmd import make_sample_command
from smdiff.cli.studio_cmd import make_studio_command
from smdiff.cli.train_cmd import make_train_command
from smdiff.plugins import PluginHost, get_plugin_host
from smdiff.progress import set_quiet


def option_spelling(token: str) -> str:
    """Options are declared hyphenated (``--load-dir``); the seed's underscore spelling (``--load_dir``) is the same option."""
    return token.replace("_", "-")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"smdiff {__version__}")
        raise typer.Exit()


def build_app(host: PluginHost | None = None) -> typer.Typer:
    """The full ``smdiff`` app: kernel commands plus every plugin's commands."""
    host = host or get_plugin_host()
    app = typer.Typer(
        cls=SmdiffGroup,
        name="smdiff",
        help="Train, sample and evaluate discrete diffusion models of symbolic music.",
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
        add_completion=False,
        context_settings={"token_normalize_func": option_spelling},
    )

    @app.callback()
    def root(
        version: Annotated[
            bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
        ] = False,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or status lines.")] = False,
    ) -> None:
        set_quiet(quiet)

    app.command("plugins")(make_plugins_command(host))
    app.command("list")(make_list_command(host))
    app.add_typer(make_config_app(host), name="config")
    app.command("prepare")(make_prepare_command(host))
    app.command("convert")(make_convert_command(host))
    app.command("train")(make_train_command(host))
    app.command("sample")(make_sample_command(host))
    app.command("evaluate")(make_evaluate_command(host))
    app.command("studio")(make_studio_command(host))
    for spec in host.registries.commands:
        app.add_typer(spec.factory(), name=spec.id, help=spec.summary)
    return app
