"""``smdiff train``: train a denoiser on a prepared dataset."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from smdiff.cli.options import ConfigFiles, DatasetId, ModelId, Overrides, resolve_config, to_toml
from smdiff.plugins import PluginHost
from smdiff.progress import console, status

if TYPE_CHECKING:
    from smdiff.training.loop import TrainReport


def print_report(report: TrainReport) -> None:
    """The final report of a run: steps, time, validation, where things are."""
    console.print(f"training run {report.run_dir}", soft_wrap=True, markup=False)
    table = Table(show_header=False)
    table.add_row("steps", str(report.steps))
    table.add_row("time", f"{report.seconds:.1f} s")
    if report.initial_val is not None:
        table.add_row("validation bits/token at start", f"{report.initial_val:.4f}")
    if report.last_val is not None:
        table.add_row("validation bits/token now", f"{report.last_val:.4f}")
    best = f"{report.best_val:.4f}" if report.best_val != float("inf") else "none yet (no validation has run)"
    table.add_row("best validation bits/token", best)
    table.add_row("skipped non-finite steps", str(report.nonfinite_steps))
    if report.stopped_by:
        table.add_row("stopped by", f"{report.stopped_by} (resume with --resume)")
    console.print(table)
    # paths and commands whole, each on its own line, so they can be copied at any terminal width
    for label, value in (
        ("last checkpoint", report.last_checkpoint),
        ("TensorBoard", f"tensorboard --logdir {report.run_dir / 'tensorboard'}"),
        ("samples", report.run_dir / "samples"),
    ):
        console.print(f"{label}:", style="bold")
        console.print(f"  {value}", soft_wrap=True, markup=False)


def make_train_command(host: PluginHost):
    """Build the ``train`` command bound to ``host``."""

    def train(
        model: ModelId = None,
        dataset_id: DatasetId = None,
        bars: Annotated[int | None, typer.Option("--bars", help="Bars per window.")] = None,
        batch_size: Annotated[int | None, typer.Option("--batch-size", help="Windows per step and process.")] = None,
        lr: Annotated[float | None, typer.Option("--lr", help="Peak learning rate.")] = None,
        warmup_steps: Annotated[
            int | None, typer.Option("--warmup-steps", help="Warm-up steps (default: a twentieth of --steps, ≤ 500).")
        ] = None,
        steps: Annotated[int | None, typer.Option("--steps", help="Optimizer steps.")] = None,
        log_dir: Annotated[Path | None, typer.Option("--log-dir", help="Run directory.")] = None,
        no_ema: Annotated[
            bool, typer.Option("--no-ema", help="Keep no EMA of the weights (default: keep one).")
        ] = False,
        ema_rate: Annotated[float | None, typer.Option("--ema-rate", help="EMA decay.")] = None,
        resume: Annotated[
            str | None,
            typer.Option(
                "--resume", help="Continue the newest valid checkpoint of the run; --resume PATH: exactly that file."
            ),
        ] = None,
        init_from: Annotated[
            Path | None, typer.Option("--init-from", help="Start from a checkpoint's weights.")
        ] = None,
        allow_partial: Annotated[
            bool, typer.Option("--allow-partial", help="With --init_from: load what matches.")
        ] = False,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the resolved config; touch nothing.")] = False,
        validate_config: Annotated[bool, typer.Option("--validate-config", help="Check the config and exit.")] = False,
        config: ConfigFiles = None,
        set_: Overrides = None,
    ) -> None:
        """Train a denoiser; progress, TensorBoard logs, samples and checkpoints go to the run directory."""
        flags = {
            "model.id": model, "data.dataset_id": dataset_id, "data.bars": bars, "train.batch_size": batch_size,
            "train.lr": lr, "train.warmup_steps": warmup_steps, "train.steps": steps, "train.log_dir": str(log_dir) if log_dir else None, "train.ema": False if no_ema else None,
            "train.ema_rate": ema_rate,
        }  # fmt: skip
        resolved = resolve_config(files=config or (), overrides=set_ or (), flags=flags, registries=host.registries)
        if dry_run:
            typer.echo(to_toml(resolved), nl=False)
            return
        from smdiff.training.components import build_components
        from smdiff.training.run import run_training

        if validate_config:
            build_components(resolved, host.registries)
            status("config ok: the cache, model, masker and kernel all build")
            return
        report = run_training(
            resolved,
            host.registries,
            resume=resume,
            init_from=str(init_from) if init_from else None,
            allow_partial=allow_partial,
        )
        print_report(report)
        if report.exit_code:
            raise typer.Exit(report.exit_code)

    return train
