"""Render the CLI reference (``docs/cli.md``) from the Typer app itself, so it cannot drift.

python -m smdiff.cli.reference > docs/cli.md
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from smdiff.cli.app import build_app
from smdiff.plugins import build_plugin_host

HEADER = """# CLI reference

Generated from the `smdiff` app by `python -m smdiff.cli.reference > docs/cli.md`; a test fails
when this file is stale. Exit codes: 0 ok, 1 failure, 2 bad usage or input; training stopped by a
signal exits 128 + the signal number (SIGTERM 143, SIGUSR1 138, SIGINT 130) after checkpointing.
Every command that reads configuration also takes `--config FILE` (repeatable) and
`--set dotted.key=value` (repeatable); see the user guide for the layering. Options are shown
hyphenated; the seed scripts' underscore spelling (`--load_dir`, `--n_samples`) is the same option.
"""


def _option_line(param: Any) -> str:
    names = ", ".join(f"`{name}`" for name in [*param.opts, *getattr(param, "secondary_opts", [])])
    help_text = (getattr(param, "help", None) or "").strip()
    if getattr(param, "param_type_name", "") == "argument":
        return f"- `{param.name.upper()}` (argument) — {help_text}"
    default = param.default
    shown = "" if default in (None, False, (), []) or callable(default) else f" (default: `{default}`)"
    return f"- {names} — {help_text}{shown}"


def _render(command: Any, path: str, lines: list[str]) -> None:
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name in sorted(subcommands):
            _render(subcommands[name], f"{path} {name}", lines)
        return
    lines += [f"## `{path}`", "", (command.help or "").strip().split("\n\n")[0], ""]
    lines += [_option_line(param) for param in command.params if param.name != "help"]
    lines.append("")


def render_reference() -> str:
    """The whole reference as Markdown, built from the installed plugins' app."""
    command = typer.main.get_command(build_app(build_plugin_host()))
    lines = [HEADER]
    _render(command, "smdiff", lines)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_reference())
