"""``smdiff evaluate``: score samples (generated now, or from a sample folder) with every registered metric."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import attrs
import typer
from rich.table import Table

from smdiff.cli.options import (
    ConfigFiles,
    DatasetId,
    LoadStep,
    MaskEndBar,
    MaskStartBar,
    MaskTracks,
    NSamples,
    Overrides,
    Sampler,
    SampleSteps,
    Task,
    resolve_config,
    split_list,
)
from smdiff.errors import DataError
from smdiff.plugins import PluginHost
from smdiff.progress import console, progress_bar, status, warn

if TYPE_CHECKING:
    from smdiff.config.schema import SmdiffConfig
    from smdiff.registry import Registries

ARROWS = {"higher": "↑", "lower": "↓", "reference": "≈ data"}
#: short labels of the baselines and controls metrics report, and what each one is
BASELINE_LABELS = {
    "copy_previous": ("prev", "the bars before the gap copied in"),
    "copy_next": ("next", "the bars after the gap copied in"),
    "context_pitches": ("ctx", "the gap's rhythm with pitches drawn from the context"),
    "scale_random": ("scale", "the data with random pitches of each piece's own scale"),
    "bars_shuffled": ("shuf", "the data with each piece's bars shuffled"),
    "random_chords": ("rand", "random triads of the key in place of the song's chords"),
    "chords_late": ("late", "the song's chords a bar late"),
}


def _number(value: float | None, spread: list[float] | None = None) -> str:
    if value is None or value != value:  # None or NaN
        return "n/a"
    return f"{value:.3f}" if spread is None else f"{value:.3f} [{spread[0]:.2f}–{spread[1]:.2f}]"


def _blank(value: float | None, spread: list[float] | None = None) -> str:
    return "" if value is None else _number(value, spread)


def print_metrics(results: dict, task: str) -> None:
    """A table of metric values, directions, reference values and baselines; per-piece metrics first."""
    table = Table(title=f"metrics ({task}); per piece: median [10–90 %]")
    with_baselines = any(row.get("baselines") for row in results.values())
    table.add_column("metric", no_wrap=True)
    for column in ("value", "data", *(["baselines"] if with_baselines else []), "better"):
        table.add_column(column)
    order = sorted(results.items(), key=lambda item: (item[1].get("spread") is None, item[0]))
    for name, row in order:
        cells = [_number(row["value"], row.get("spread")), _blank(row["reference"], row.get("reference_spread"))]
        if with_baselines:
            baselines = row.get("baselines", {})
            cells.append(" ".join(f"{BASELINE_LABELS.get(k, (k,))[0]} {_number(v)}" for k, v in baselines.items()))
        table.add_row(name, *cells, ARROWS[row["direction"]])
    console.print(table)
    shown = {name for row in results.values() for name in row.get("baselines", {})}
    if shown:
        console.print(
            "baselines: "
            + "; ".join(f"{label} = {meaning}" for name, (label, meaning) in BASELINE_LABELS.items() if name in shown)
        )


def print_probe(results: list) -> None:
    """The probe's bits per masked pitch at each masking rate, beside its three baselines."""
    table = Table(title="probe: bits per masked pitch (lower is better)")
    for column in ("masked", "pitches", "model", "unigram", "context histogram", "neighbours"):
        table.add_column(column)
    for r in results:
        bits = (r.model_bits, r.unigram_bits, r.context_bits, r.neighbour_bits)
        table.add_row(f"{r.rate:.0%}", str(r.positions), *(f"{value:.3f}" for value in bits))
    console.print(table)


def generate_for_evaluation(
    resolved: SmdiffConfig, load_dir: Path, registries: Registries, dataset_id: str | None, into: Path
) -> None:
    """Sample what ``resolved`` asks to evaluate into ``into``, with the estimate and a progress bar."""
    from smdiff.evaluation.generation import sample_for_evaluation

    with progress_bar() as bar:
        progress = bar.add_task("generating", total=None)
        sample_for_evaluation(
            resolved, load_dir, registries, dataset_id, into, on_estimate=status,
            on_piece=lambda done, total: bar.update(progress, completed=done, total=total),
        )  # fmt: skip


def _probe(load_dir: Path, resolved: SmdiffConfig, registries: Registries) -> list:
    """Run the model probe on ``load_dir``'s checkpoint and print its table."""
    from smdiff.data.catalog import config_cache_path as cache_path
    from smdiff.evaluation.probing import probe_run
    from smdiff.inference import load_run

    run = load_run(load_dir, load_step=resolved.sample.load_step, ema=resolved.sample.ema, registries=registries)
    status(f"probing the model of {run.checkpoint} on test windows")
    results = probe_run(run, registries, cache_path(run.config))
    print_probe(results)
    return results


def make_evaluate_command(host: PluginHost):
    """Build the ``evaluate`` command bound to ``host``."""

    def evaluate(
        load_dir: Annotated[Path | None, typer.Option("--load-dir", help="Run to sample from and report into.")] = None,
        sample_dir: Annotated[
            Path | None,
            typer.Option("--sample-dir", help="Score a folder: `smdiff sample` output or any MIDI files."),
        ] = None,
        reference_dir: Annotated[
            Path | None,
            typer.Option("--reference-dir", help="Compare with this MIDI folder, not the test split."),
        ] = None,
        out_dir: Annotated[
            Path | None, typer.Option("--out-dir", help="Report folder (a new -2, -3 … if it has one).")
        ] = None,
        probe: Annotated[
            bool, typer.Option("--probe", help="Also probe the run's model: masked-pitch bits vs baselines.")
        ] = False,
        task: Task = None,
        dataset_id: DatasetId = None,
        n_samples: NSamples = None,
        sample_steps: SampleSteps = None,
        sampler: Sampler = None,
        save_samples: Annotated[bool, typer.Option("--save-samples", help="Keep generated samples.")] = False,
        mask_start_bar: MaskStartBar = None,
        mask_end_bar: MaskEndBar = None,
        mask_tracks: MaskTracks = None,
        load_step: LoadStep = None,
        metrics: Annotated[
            str | None, typer.Option("--metrics", help="Comma-separated metric ids (default: all).")
        ] = None,
        config: ConfigFiles = None,
        set_: Overrides = None,
    ) -> None:
        """Score samples against the dataset's test split (or --reference_dir): JSON report, table and plots."""
        from smdiff.data.catalog import config_cache_path as cache_path
        from smdiff.evaluation.inputs import evaluate_folder, fresh_report_dir, has_index, read_index

        if load_dir is None and sample_dir is None:
            raise DataError("pass --load_dir RUN to generate and score samples, or --sample_dir DIR to score a folder")
        if probe and load_dir is None:
            raise DataError("--probe needs --load_dir RUN: it probes that run's model")
        flags = {
            "data.dataset_id": dataset_id if sample_dir is not None and load_dir is None else None,
            "sample.task": task, "sample.sample_steps": sample_steps, "sample.sampler": sampler, "sample.load_step": load_step,
            "sample.mask_start_bar": mask_start_bar, "sample.mask_end_bar": mask_end_bar,
            "sample.mask_tracks": split_list(mask_tracks),
            "eval.n_samples": n_samples, "eval.save_samples": save_samples or None, "eval.metrics": split_list(metrics),
        }  # fmt: skip
        resolved = resolve_config(
            files=config or (), overrides=set_ or (), flags=flags, registries=host.registries, with_model=False
        )
        for name in resolved.eval.metrics:
            host.registries.metrics.get(name)
        if not list(host.registries.metrics):
            warn(
                "no metric is registered: the report will be empty; install the smdiff-metrics package (./smdiff-metrics in the smdiff repository)"
            )
        if sample_dir is not None:
            ignored = {"--task": task, "--n_samples": n_samples, "--sample_steps": sample_steps, "--sampler": sampler,
                       "--mask_start_bar": mask_start_bar, "--mask_end_bar": mask_end_bar, "--mask_tracks": mask_tracks}  # fmt: skip
            for flag in [flag for flag, value in ignored.items() if value is not None]:
                warn(f"{flag} has no effect with --sample_dir (the folder's samples are scored as they are)")
            task_name = read_index(sample_dir)["sample"]["task"] if has_index(sample_dir) else "uncond"
            if load_dir is None and has_index(sample_dir):
                from smdiff.checkpoints import run_dir_of

                load_dir = run_dir_of(Path(read_index(sample_dir)["checkpoint"]))
        else:
            task_name = resolved.sample.task
        default_out = load_dir / "metrics" if load_dir is not None else Path("evaluations") / sample_dir.resolve().name
        report_dir = fresh_report_dir(out_dir or default_out, task_name)
        with tempfile.TemporaryDirectory(prefix="smdiff-eval-") as scratch:
            generated_now = sample_dir is None
            if sample_dir is None:
                keep = report_dir / f"samples_{task_name}"
                sample_dir = keep if resolved.eval.save_samples else Path(scratch)
                generate_for_evaluation(resolved, load_dir, host.registries, dataset_id, sample_dir)
            scored = evaluate_folder(
                sample_dir, host.registries, data=resolved.data,
                cache_file_for=lambda data: cache_path(attrs.evolve(resolved, data=data)),
                reference_split=resolved.eval.reference_split, metrics=resolved.eval.metrics, out_dir=report_dir,
                reference_dir=reference_dir, kept_samples=not generated_now or resolved.eval.save_samples,
                probe=_probe(load_dir, resolved, host.registries) if probe else None,
            )  # fmt: skip
        print_metrics(scored.results, scored.evaluation.task)
        for item in scored.unreadable:
            warn(f"skipped {item.file}: {item.reason}")
        status(f"report folder: {report_dir}")
        status(f"metrics: {scored.report}; plots: {', '.join(p.name for p in scored.pictures)}")

    return evaluate
