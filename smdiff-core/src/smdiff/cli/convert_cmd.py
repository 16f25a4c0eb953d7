"""``smdiff convert``: token arrays (``.npy``) → MIDI files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smdiff.cli.options import ConfigFiles, Overrides, resolve_config
from smdiff.errors import DataError
from smdiff.plugins import PluginHost
from smdiff.progress import progress_bar, status, warn


def make_convert_command(host: PluginHost):
    """Build the ``convert`` command bound to ``host``."""

    def convert(
        input_: Annotated[Path, typer.Option("--input", "-i", help="A .npy of one window or a batch (or a cache).")],
        output_dir: Annotated[Path, typer.Option("--output-dir", "-o", help="Folder for MIDI files.")] = Path(
            "midi_out"
        ),
        tokenizer_id: Annotated[
            str | None,
            typer.Option("--tokenizer-id", help="Tokenizer (read from a cache's sidecar or a sample's index.json)."),
        ] = None,
        bars: Annotated[
            int | None, typer.Option("--bars", help="Bars per window (read like the tokenizer; Octuple needs it).")
        ] = None,
        limit: Annotated[int | None, typer.Option("--limit", help="Convert only the first N windows.")] = None,
        config: ConfigFiles = None,
        set_: Overrides = None,
    ) -> None:
        """Decode token windows to standard MIDI files; invalid tokens are reported with their position.

        The tokenizer and bars come from a cache's sidecar or, for ``smdiff sample``
        outputs, from the ``index.json`` beside them. Windows of a key-normalised
        cache are written in their songs' own keys; samples in the key they were written in.
        """
        from smdiff.data.convert import convert_windows, load_token_windows, stored_settings
        from smdiff.plugins import build_tokenizer

        flags = {"data.tokenizer_id": tokenizer_id, "data.bars": bars}
        resolved = resolve_config(
            files=config or (), overrides=set_ or (), flags=flags, registries=host.registries, with_model=False
        )
        stored = stored_settings(input_, resolved.data)
        if stored is not None and tokenizer_id not in (None, stored.data.tokenizer_id):
            raise DataError(f"{input_} was made by tokenizer '{stored.data.tokenizer_id}', not '{tokenizer_id}'")
        if stored is not None and bars not in (None, stored.data.bars):
            raise DataError(f"{input_} holds windows of {stored.data.bars} bars ({stored.origin}), not {bars}")
        if stored is None and tokenizer_id is None:
            raise DataError(
                f"{input_} has no cache sidecar and no sample index.json beside it: "
                "say which tokenizer made it with --tokenizer_id (and --bars)"
            )
        tokenizer = build_tokenizer(stored.data if stored is not None else resolved.data)
        tokens = load_token_windows(input_, tokenizer.token_spec.n_channels)
        tokens = tokens[:limit] if limit else tokens
        shifts = stored.shifts if stored is not None else None
        with progress_bar() as bar:
            task = bar.add_task("writing MIDI", total=len(tokens))
            report = convert_windows(
                tokens, tokenizer, output_dir, input_.stem, shifts=shifts, on_window=lambda: bar.advance(task)
            )
        for failure in report.failed:
            warn(failure)
        status(f"wrote {len(report.written)} MIDI file(s) to {output_dir} ({len(report.failed)} window(s) invalid)")
        if not report.written:
            raise DataError(f"no window of {input_} could be decoded (first: {report.failed[0]})")

    return convert
