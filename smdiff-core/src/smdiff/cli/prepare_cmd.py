"""``smdiff prepare``: turn a MIDI folder into a token cache."""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from smdiff.cli.options import ConfigFiles, DatasetId, Overrides, resolve_config
from smdiff.plugins import PluginHost
from smdiff.progress import console, progress_bar, status, warn

if TYPE_CHECKING:
    from smdiff.data.prepare import PrepareReport

#: slots listed one row each in the report; more (a multi-instrument tokenizer) are summed in one row
MAX_ROLE_ROWS = 6


def print_report(report: PrepareReport) -> None:
    """Summarise a prepare run: counts, splits, skipped files by reason."""
    from smdiff.config.schema import SPLIT_NAMES  # the config layer is heavy; building the CLI does without it

    cache = report.cache
    table = Table(title=f"prepared {cache.path}", show_header=False)
    table.add_row("files found / encoded", f"{report.files_found} / {report.files_encoded}")
    table.add_row(
        "windows", f"{len(cache.windows)} × {cache.windows.shape[1]} × {cache.windows.shape[2]} ({cache.windows.dtype})"
    )
    for split in SPLIT_NAMES:
        table.add_row(f"{split} windows", str(len(cache.split_indices(split))))
    for key, value in sorted(report.counts.items()):
        table.add_row(key.replace("_", " "), str(value))
    if cache.meta["settings"].get("normalise_key"):
        moved = cache.meta["counts"]["files_transposed"]
        table.add_row("keys", f"normalised to C major / A minor ({moved} of {report.files_encoded} files transposed)")
    else:
        table.add_row("keys", "kept as they are (data.normalise_key=false)")
    roles = cache.meta.get("roles_summary", {})
    if len(roles) <= MAX_ROLE_ROWS:
        for slot, rules in roles.items():
            table.add_row(f"{slot} chosen by", ", ".join(f"{rule} {count}" for rule, count in rules.items()))
    else:  # a multi-instrument tokenizer: one row for all its instrument slots
        totals = Counter(rule for rules in roles.values() for rule, count in rules.items() for _ in range(count))
        table.add_row(
            f"tracks of {len(roles)} instruments chosen by", ", ".join(f"{r} {n}" for r, n in totals.most_common())
        )
    for reason, count in report.skipped_by_reason().most_common():
        table.add_row(f"[yellow]skipped[/yellow]: {reason}", str(count))
    table.add_row("seconds", f"{report.seconds:.2f}")
    console.print(table)
    for line in cache.meta.get("warnings", []):
        warn(line)
    if report.skipped:
        status(f"skipped files and reasons are listed under 'skipped' in {cache.path.with_suffix('.json')}")


def make_prepare_command(host: PluginHost):
    """Build the ``prepare`` command bound to ``host``."""

    def prepare(
        root_dir: Annotated[Path | None, typer.Option("--root-dir", help="Folder of MIDI files (recursive).")] = None,
        tokenizer_id: Annotated[str | None, typer.Option("--tokenizer-id", help="Tokenizer id.")] = None,
        bars: Annotated[int | None, typer.Option("--bars", help="Bars per window.")] = None,
        cache_path: Annotated[Path | None, typer.Option("--cache-path", help="Output .npy path.")] = None,
        limit: Annotated[int | None, typer.Option("--limit", help="Use only the first N files.")] = None,
        num_workers: Annotated[
            int | None, typer.Option("--num-workers", help="Processes (default: CPU count).")
        ] = None,
        max_tensors_per_ns: Annotated[
            int | None,
            typer.Option("--max-tensors-per-ns", help="Windows kept per song (default 5)."),
        ] = None,
        strict_tempo: Annotated[bool, typer.Option("--strict-tempo", help="Skip songs with tempo changes.")] = False,
        time_signature: Annotated[
            str | None,
            typer.Option("--time-signature", help="Force bars of this signature, e.g. 4/4."),
        ] = None,
        dataset_id: DatasetId = None,
        config: ConfigFiles = None,
        set_: Overrides = None,
    ) -> None:
        """Encode a folder of MIDI files into a memory-mappable token cache with a JSON sidecar."""
        from smdiff.data.catalog import config_cache_path, prepared_name
        from smdiff.data.prepare import prepare_cache
        from smdiff.plugins import build_tokenizer

        flags = {
            "data.root_dir": str(root_dir) if root_dir else None,
            "data.tokenizer_id": tokenizer_id,
            "data.bars": bars,
            "data.cache_path": str(cache_path) if cache_path else None,
            "data.limit": limit,
            "data.num_workers": num_workers,
            "data.max_tensors_per_ns": max_tensors_per_ns,
            "data.strict_tempo": strict_tempo or None,
            "data.time_signature": time_signature,
            "data.dataset_id": dataset_id,
        }
        resolved = resolve_config(
            files=config or (), overrides=set_ or (), flags=flags, registries=host.registries, with_model=False
        )
        data = resolved.data
        spec = host.registries.tokenizers.get(data.tokenizer_id)  # unknown ids fail before any work
        path = config_cache_path(resolved)
        name = prepared_name(resolved, host.registries)
        status(f"preparing [bold]{name}[/bold]: {data.tokenizer_id}, {data.bars} bars, from {data.root_dir}")
        with progress_bar() as bar:
            task = bar.add_task("encoding MIDI", total=None)
            report = prepare_cache(
                data,
                functools.partial(build_tokenizer, data),
                path,
                tokenizer_version=spec.version,
                on_start=lambda total: bar.update(task, total=total),
                on_file=lambda: bar.advance(task),
            )
        print_report(report)

    return prepare
