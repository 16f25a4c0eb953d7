"""``smdiff evaluate``: score samples (generated now, or from a sample folder) with every registered metric."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import attrs
import typer
from rich.table import Table

from smdiff.cli.options import ConfigFiles, DatasetId, Overrides
from smdiff.config import resolve_config
from smdiff.config.schema import SmdiffConfig
from smdiff.errors import DataError
from smdiff.plugins import PluginHost
from smdiff.progress import console, progress_bar, status

ARROWS = {"higher": "↑ higher", "lower": "↓ lower", "reference": "≈ data"}


def print_metrics(results: dict, task: str) -> None:
    """A table of metric values, directions and reference values."""
    table = Table(title=f"metrics ({task})")
    for column in ("metric", "value", "data", "better"):
        table.add_column(column)
    for name, row in sorted(results.items()):
        reference = "" if row["reference"] is None else f"{row['reference']:.4f}"
        table.add_row(name, f"{row['value']:.4f}", reference, ARROWS[row["direction"]])
    console.print(table)


def generate_for_evaluation(
    resolved: SmdiffConfig, load_dir: Path, registries: Any, dataset_id: str | None, into: Path
) -> None:
    """Sample ``eval.n_samples`` pieces (infilling the test split when no input MIDI is given) into ``into``."""
    from smdiff.generate import generate, load_run
    from smdiff.scoring import test_windows
    from smdiff.training.setup import cache_path

    settings = attrs.evolve(resolved.sample, n_samples=resolved.eval.n_samples)
    run = load_run(
        load_dir, load_step=settings.load_step, ema=settings.ema, registries=registries, dataset_id=dataset_id
    )
    task = registries.tasks.get(settings.task).factory(settings)
    originals = None
    if settings.task == "infill" and not (settings.input_midi or settings.input_midi_dir):
        version = registries.tokenizers.get(run.tokenizer.id).version
        originals = test_windows(cache_path(run.config), run.tokenizer, version, settings.n_samples)
    with progress_bar() as bar:
        progress = bar.add_task("generating", total=None)
        generate(run, settings, task, into, originals=originals,
                 on_sample=lambda done, total: bar.update(progress, completed=done, total=total))  # fmt: skip


def make_evaluate_command(host: PluginHost):
    """Build the ``evaluate`` command bound to ``host``."""

    def evaluate(
        load_dir: Annotated[
            Path | None, typer.Option("--load_dir", "--load-dir", help="Run to sample from and report into.")
        ] = None,
        sample_dir: Annotated[
            Path | None, typer.Option("--sample_dir", "--sample-dir", help="Score an existing sample folder.")
        ] = None,
        task: Annotated[str | None, typer.Option("--task", help="uncond or infill.")] = None,
        dataset_id: DatasetId = None,
        n_samples: Annotated[
            int | None, typer.Option("--n_samples", "--n-samples", help="Samples to generate.")
        ] = None,
        sample_steps: Annotated[
            int | None, typer.Option("--sample_steps", "--sample-steps", help="Reverse steps.")
        ] = None,
        sampler: Annotated[str | None, typer.Option("--sampler", help="ancestral or confidence.")] = None,
        save_samples: Annotated[
            bool, typer.Option("--save_samples", "--save-samples", help="Keep generated samples.")
        ] = False,
        mask_start_bar: Annotated[
            int | None, typer.Option("--mask_start_bar", "--mask-start-bar", help="Infill: first bar.")
        ] = None,
        mask_end_bar: Annotated[
            int | None, typer.Option("--mask_end_bar", "--mask-end-bar", help="Infill: bar after the last.")
        ] = None,
        mask_tracks: Annotated[
            str | None, typer.Option("--mask_tracks", "--mask-tracks", help="Infill: tracks, e.g. piano.")
        ] = None,
        load_step: Annotated[
            int | None, typer.Option("--load_step", "--load-step", help="Checkpoint step; 0 = best.")
        ] = None,
        metrics: Annotated[
            str | None, typer.Option("--metrics", help="Comma-separated metric ids (default: all).")
        ] = None,
        config: ConfigFiles = None,
        set_: Overrides = None,
    ) -> None:
        """Score samples against the dataset's test split: JSON in <run>/metrics, a table, and plots."""
        from smdiff.scoring import evaluate_folder, read_index
        from smdiff.training.setup import cache_path

        if load_dir is None and sample_dir is None:
            raise DataError("pass --load_dir RUN to generate and score samples, or --sample_dir DIR to score a folder")
        flags = {
            "sample.task": task, "sample.sample_steps": sample_steps, "sample.sampler": sampler, "sample.load_step": load_step,
            "sample.mask_start_bar": mask_start_bar, "sample.mask_end_bar": mask_end_bar,
            "sample.mask_tracks": tuple(t for t in mask_tracks.split(",") if t) if mask_tracks else None,
            "eval.n_samples": n_samples, "eval.save_samples": save_samples or None,
            "eval.metrics": tuple(m for m in metrics.split(",") if m) if metrics else None,
        }  # fmt: skip
        resolved = resolve_config(
            files=config or (), overrides=set_ or (), flags=flags, registries=host.registries, with_model=False
        )
        for name in resolved.eval.metrics:
            host.registries.metrics.get(name)
        with tempfile.TemporaryDirectory(prefix="smdiff-eval-") as scratch:
            if sample_dir is None:
                keep = load_dir / "metrics" / f"samples_{resolved.sample.task}"
                sample_dir = keep if resolved.eval.save_samples else Path(scratch)
                generate_for_evaluation(resolved, load_dir, host.registries, dataset_id, sample_dir)
            run_dir = load_dir or Path(read_index(sample_dir)["checkpoint"]).parent.parent
            evaluation, results, report, pictures = evaluate_folder(
                sample_dir, host.registries, cache_file_for=lambda data: cache_path(attrs.evolve(resolved, data=data)),
                reference_split=resolved.eval.reference_split, metrics=resolved.eval.metrics, out_dir=run_dir / "metrics",
            )  # fmt: skip
        print_metrics(results, evaluation.task)
        status(f"metrics: {report}; plots in {report.parent}: {', '.join(p.name for p in pictures)}")

    return evaluate
