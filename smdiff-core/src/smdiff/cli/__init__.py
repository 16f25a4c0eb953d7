"""The ``smdiff`` command line: one Typer sub-app per module, composed in :mod:`smdiff.cli.app`."""
