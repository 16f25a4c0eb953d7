"""``smdiff sample``: generate with a trained run — new pieces, infillings, accompaniments."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smdiff.cli.options import ConfigFiles, DatasetId, ModelId, Overrides, resolve_config
from smdiff.errors import DataError
from smdiff.plugins import PluginHost
from smdiff.progress import progress_bar, status


def free_folder(base: Path) -> Path:
    """``base``, or ``base-2``, ``base-3``… when it already exists (earlier samples are never overwritten)."""
    candidate, number = base, 2
    while candidate.exists():
        candidate, number = base.with_name(f"{base.name}-{number}"), number + 1
    return candidate


def refuse_flags_without_effect(needs_input: bool, task: str, given: dict[str, object]) -> None:
    """A flag the chosen task or input ignores is a one-line error, never silence."""
    present = {flag for flag, value in given.items() if value not in (None, ())}
    if not needs_input:
        ignored = sorted(present & {"--input_midi", "--input_midi_dir", "--samples_per_midi", "--mask_start_bar",
                                    "--mask_end_bar", "--mask_tracks"})  # fmt: skip
        if ignored:
            raise DataError(f"{ignored[0]} has no effect with --task {task}; use --task infill to condition on a piece")
        return
    if {"--input_midi", "--input_midi_dir"} <= present:
        raise DataError("pass --input_midi FILE or --input_midi_dir DIR, not both")
    if "--input_midi" in present and "--samples_per_midi" in present:
        raise DataError(
            "--samples_per_midi is for --input_midi_dir; with --input_midi, --n_samples N writes N variants"
        )
    if "--input_midi_dir" in present and "--n_samples" in present:
        raise DataError(
            "--n_samples has no effect with --input_midi_dir; --samples_per_midi N writes N variants per file"
        )


def refuse_used_folder(folder: Path) -> None:
    """An explicit ``--out_dir`` that already holds samples is refused, so two runs never mix in one folder."""
    if folder.is_dir() and ((folder / "index.json").exists() or any(folder.glob("sample_*"))):
        raise DataError(f"--out_dir {folder} already holds samples; choose a new folder (nothing was written)")


def make_sample_command(host: PluginHost):
    """Build the ``sample`` command bound to ``host``."""

    def sample(
        load_dir: Annotated[Path, typer.Option("--load-dir", help="Run directory to sample from.")],
        task: Annotated[str | None, typer.Option("--task", help="uncond or infill (see `smdiff list tasks`).")] = None,
        model: ModelId = None,
        dataset_id: DatasetId = None,
        n_samples: Annotated[
            int | None, typer.Option("--n-samples", help="Samples (variants of --input_midi).")
        ] = None,
        sample_steps: Annotated[
            int | None, typer.Option("--sample-steps", help="Reverse steps (default: 32 confidence, length ancestral).")
        ] = None,
        sampler: Annotated[str | None, typer.Option("--sampler", help="confidence (default) or ancestral.")] = None,
        load_step: Annotated[
            int | None, typer.Option("--load-step", help="Checkpoint step; 0 = best; default latest.")
        ] = None,
        no_ema: Annotated[bool, typer.Option("--no-ema", help="Use the raw weights, not the EMA ones.")] = False,
        input_midi: Annotated[Path | None, typer.Option("--input-midi", help="Piece to condition on.")] = None,
        input_midi_dir: Annotated[Path | None, typer.Option("--input-midi-dir", help="Folder of pieces.")] = None,
        samples_per_midi: Annotated[
            int | None,
            typer.Option("--samples-per-midi", help="Variants per file of --input_midi_dir."),
        ] = None,
        mask_start_bar: Annotated[int | None, typer.Option("--mask-start-bar", help="First bar to fill.")] = None,
        mask_end_bar: Annotated[int | None, typer.Option("--mask-end-bar", help="Bar after the last to fill.")] = None,
        mask_tracks: Annotated[
            str | None, typer.Option("--mask-tracks", help="Tracks to fill, e.g. piano,bridge.")
        ] = None,
        temperature: Annotated[float | None, typer.Option("--temperature", help="Softmax temperature.")] = None,
        top_k: Annotated[int | None, typer.Option("--top-k", help="Keep the k most likely tokens.")] = None,
        top_p: Annotated[float | None, typer.Option("--top-p", help="Nucleus probability mass.")] = None,
        key: Annotated[
            str | None, typer.Option("--key", help="Key of new pieces, e.g. G or 'E minor' (default C / A minor).")
        ] = None,
        seed: Annotated[int | None, typer.Option("--seed", help="Seed; the same seed gives the same samples.")] = None,
        out_dir: Annotated[Path | None, typer.Option("--out-dir", help="Output folder.")] = None,
        config: ConfigFiles = None,
        set_: Overrides = None,
    ) -> None:
        """Generate samples from a trained run: MIDI, tokens, piano rolls and an index.json per call."""
        from smdiff.diffusion.sampling import default_steps
        from smdiff.generate import generate, load_run

        flags = {
            "sample.task": task, "sample.n_samples": n_samples, "sample.sample_steps": sample_steps, "sample.sampler": sampler,
            "sample.load_step": load_step, "sample.ema": False if no_ema else None, "sample.samples_per_midi": samples_per_midi,
            "sample.input_midi": str(input_midi) if input_midi else None,
            "sample.input_midi_dir": str(input_midi_dir) if input_midi_dir else None,
            "sample.mask_start_bar": mask_start_bar, "sample.mask_end_bar": mask_end_bar,
            "sample.mask_tracks": tuple(t.strip() for t in mask_tracks.split(",") if t.strip()) if mask_tracks else None,
            "sample.temperature": temperature, "sample.top_k": top_k, "sample.top_p": top_p, "sample.seed": seed,
            "sample.out_dir": str(out_dir) if out_dir else None, "sample.key": key,
        }  # fmt: skip
        settings = resolve_config(
            files=config or (), overrides=set_ or (), flags=flags, registries=host.registries, with_model=False
        ).sample
        if settings.key is not None:
            from smdiff.data.keys import Key

            Key.parse(settings.key)  # a bad key name fails before the model loads
        task_runner = host.registries.tasks.get(settings.task).factory(settings)
        refuse_flags_without_effect(
            task_runner.needs_input, settings.task,
            {"--input_midi": input_midi, "--input_midi_dir": input_midi_dir, "--samples_per_midi": samples_per_midi,
             "--n_samples": n_samples, "--mask_start_bar": mask_start_bar, "--mask_end_bar": mask_end_bar,
             "--mask_tracks": mask_tracks},
        )  # fmt: skip
        if settings.out_dir:
            refuse_used_folder(Path(settings.out_dir))
        run = load_run(
            load_dir, load_step=settings.load_step, ema=settings.ema, registries=host.registries, dataset_id=dataset_id
        )
        if (
            model is not None
            and host.registries.models.get(model).id != host.registries.models.get(run.config.model.id).id
        ):
            raise DataError(f"{run.checkpoint} holds a '{run.config.model.id}' model, not '{model}'")
        target = (
            Path(settings.out_dir)
            if settings.out_dir
            else free_folder(load_dir / "generated" / f"{settings.task}-step{run.step}")
        )
        status(
            f"sampling {settings.task} from {run.checkpoint} "
            f"({settings.sampler}, {settings.sample_steps or default_steps(settings.sampler, run.window_length)} steps)"
        )
        with progress_bar() as bar:
            samples_task = bar.add_task("samples", total=None)
            steps_task = bar.add_task("reverse steps", total=None)
            index = generate(
                run, settings, task_runner, target,
                on_sample=lambda done, total: bar.update(samples_task, completed=done, total=total),
                on_step=lambda step, total: bar.update(steps_task, completed=step, total=total),
            )  # fmt: skip
        status(f"wrote {len(index['samples'])} sample(s) to {target} ({index['samples_per_second']:.2f} samples/s): "
               f".mid, .npy and .png per sample, index.json")  # fmt: skip

    return sample
