"""``smdiff sample``: generate with a trained run — new pieces, infillings, accompaniments."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smdiff.cli.options import (
    ConfigFiles,
    DatasetId,
    LoadStep,
    MaskEndBar,
    MaskStartBar,
    MaskTracks,
    ModelId,
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
from smdiff.progress import progress_bar, status
from smdiff.tasks import Task as TaskRunner


def free_folder(base: Path) -> Path:
    """``base``, or ``base-2``, ``base-3``… when it already exists (earlier samples are never overwritten)."""
    candidate, number = base, 2
    while candidate.exists():
        candidate, number = base.with_name(f"{base.name}-{number}"), number + 1
    return candidate


#: settings every task with input reads: which pieces to condition on, and how many variants
INPUT_OPTIONS = frozenset({"input_midi", "input_midi_dir", "samples_per_midi", "song_form"})


#: the ``SampleConfig`` fields whose flags only some tasks read
TASK_FLAGS = frozenset(
    {
        "input_midi",
        "input_midi_dir",
        "samples_per_midi",
        "mask_start_bar",
        "mask_end_bar",
        "mask_tracks",
        "key",
        "infill_notes",
        "form",
        "form_from",
        "form_prior",
        "song_form",
        "repeat_from",
        "vary_from",
        "vary_keep",
        "chords",
    }
)


def refuse_flags_without_effect(
    task: TaskRunner, task_id: str, given: dict[str, object], n_samples_given: bool
) -> None:
    """A flag the chosen task or input ignores is a one-line error, never silence.

    ``given`` maps the ``SampleConfig`` fields of :data:`TASK_FLAGS` to the
    values passed on the command line; the task says which it reads
    (:attr:`~smdiff.tasks.Task.options`, and the input options when it needs input).
    """
    present = {field for field, value in given.items() if value not in (None, ())}
    reads = task.options | (INPUT_OPTIONS if task.needs_input else frozenset())
    ignored = sorted(present - reads)
    if ignored:
        known = ", ".join(f"--{field}" for field in sorted(reads & TASK_FLAGS)) or "none of these options"
        raise DataError(f"--{ignored[0]} has no effect with --task {task_id} (it reads {known})")
    if "vary_keep" in present and not present & {"form", "form_from", "vary_from"}:
        raise DataError(
            "--vary-keep has no effect without a variation: --form with a primed section (A'8) or --vary-from"
        )
    if "form_prior" in present and (chosen := present & {"form", "form_from", "chords"}):
        raise DataError(
            f"--no-form-prior has no effect with --{min(chosen).replace('_', '-')}: the form prior is drawn only "
            "for new pieces that ask for no form and no chords"
        )
    if "song_form" in present and (chosen := present & {"repeat_from", "vary_from"}):
        raise DataError(f"--no-song-form has no effect with --{min(chosen).replace('_', '-')}: the gap follows the "
                        "bars you gave")  # fmt: skip
    if {"input_midi", "input_midi_dir"} <= present:
        raise DataError("pass --input_midi FILE or --input_midi_dir DIR, not both")
    if "input_midi" in present and "samples_per_midi" in present:
        raise DataError(
            "--samples_per_midi is for --input_midi_dir; with --input_midi, --n_samples N writes N variants"
        )
    if "input_midi_dir" in present and n_samples_given:
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
        task: Task = None,
        model: ModelId = None,
        dataset_id: DatasetId = None,
        n_samples: NSamples = None,
        sample_steps: SampleSteps = None,
        sampler: Sampler = None,
        load_step: LoadStep = None,
        no_ema: Annotated[bool, typer.Option("--no-ema", help="Use the raw weights, not the EMA ones.")] = False,
        input_midi: Annotated[Path | None, typer.Option("--input-midi", help="Piece to condition on.")] = None,
        input_midi_dir: Annotated[Path | None, typer.Option("--input-midi-dir", help="Folder of pieces.")] = None,
        samples_per_midi: Annotated[
            int | None,
            typer.Option("--samples-per-midi", help="Variants per file of --input_midi_dir."),
        ] = None,
        mask_start_bar: MaskStartBar = None,
        mask_end_bar: MaskEndBar = None,
        mask_tracks: MaskTracks = None,
        temperature: Annotated[float | None, typer.Option("--temperature", help="Softmax temperature.")] = None,
        top_k: Annotated[int | None, typer.Option("--top-k", help="Keep the k most likely tokens.")] = None,
        top_p: Annotated[float | None, typer.Option("--top-p", help="Nucleus probability mass.")] = None,
        key: Annotated[
            str | None, typer.Option("--key", help="Key of new pieces, e.g. G or 'E minor' (default C / A minor).")
        ] = None,
        form: Annotated[
            str | None,
            typer.Option("--form", help="New pieces: sections as letter + bars, e.g. 'A8 A8 B8 A8' (A' varies A)."),
        ] = None,
        form_from: Annotated[
            Path | None, typer.Option("--form-from", help="New pieces: follow the form found in this song.")
        ] = None,
        no_form_prior: Annotated[
            bool,
            typer.Option(
                "--no-form-prior",
                help="New pieces: no form drawn from the training songs' forms (the model alone repeats nothing).",
            ),
        ] = False,
        no_song_form: Annotated[
            bool,
            typer.Option(
                "--no-song-form",
                help="Infill: the gap never repeats the song's passage whose surroundings match its own.",
            ),
        ] = False,
        repeat_from: Annotated[
            str | None, typer.Option("--repeat-from", help="Infill: the gap repeats these bars, START-END from 0.")
        ] = None,
        vary_from: Annotated[
            str | None, typer.Option("--vary-from", help="Infill: the gap varies these bars, START-END from 0.")
        ] = None,
        vary_keep: Annotated[
            float | None,
            typer.Option("--vary-keep", help="Share of the original a variation keeps (quarter bars; default 0.5)."),
        ] = None,
        chords: Annotated[
            str | None,
            typer.Option("--chords", help="New pieces over these chords: 'C G Am F' (a bar each) or 'C*2 G*0.5'."),
        ] = None,
        seed: Annotated[int | None, typer.Option("--seed", help="Seed; the same seed gives the same samples.")] = None,
        out_dir: Annotated[Path | None, typer.Option("--out-dir", help="Output folder.")] = None,
        config: ConfigFiles = None,
        set_: Overrides = None,
    ) -> None:
        """Generate samples from a trained run: MIDI, tokens, piano rolls and an index.json per call."""
        from smdiff.diffusion.sampling import default_steps
        from smdiff.inference import load_run, sample_to_folder
        from smdiff.inference.folder import unasked_forms

        flags = {
            "sample.task": task, "sample.n_samples": n_samples, "sample.sample_steps": sample_steps, "sample.sampler": sampler,
            "sample.load_step": load_step, "sample.ema": False if no_ema else None, "sample.samples_per_midi": samples_per_midi,
            "sample.input_midi": str(input_midi) if input_midi else None,
            "sample.input_midi_dir": str(input_midi_dir) if input_midi_dir else None,
            "sample.mask_start_bar": mask_start_bar, "sample.mask_end_bar": mask_end_bar,
            "sample.mask_tracks": split_list(mask_tracks), "sample.temperature": temperature, "sample.top_k": top_k,
            "sample.top_p": top_p, "sample.seed": seed, "sample.out_dir": str(out_dir) if out_dir else None,
            "sample.key": key, "sample.form": form, "sample.form_from": str(form_from) if form_from else None,
            "sample.form_prior": False if no_form_prior else None,
            "sample.song_form": False if no_song_form else None,
            "sample.repeat_from": repeat_from, "sample.vary_from": vary_from, "sample.vary_keep": vary_keep,
            "sample.chords": chords,
        }  # fmt: skip
        settings = resolve_config(
            files=config or (), overrides=set_ or (), flags=flags, registries=host.registries, with_model=False
        ).sample
        if settings.key is not None:
            from smdiff.data.keys import Key

            Key.parse(settings.key)  # a bad key name fails before the model loads
        if settings.form is not None:
            from smdiff.form import Form

            Form.parse(settings.form)  # so does a bad form
        task_runner = host.registries.tasks.get(settings.task).factory(settings)
        given = {name.removeprefix("sample."): value for name, value in flags.items()}
        refuse_flags_without_effect(
            task_runner, settings.task, {field: given.get(field) for field in TASK_FLAGS}, n_samples is not None
        )
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
            index = sample_to_folder(
                run, task_runner, settings, target,
                on_piece=lambda done, total: bar.update(samples_task, completed=done, total=total),
                on_step=lambda step, total: bar.update(steps_task, completed=step, total=total),
            )  # fmt: skip
        status(f"wrote {len(index['samples'])} sample(s) to {target} ({index['samples_per_second']:.2f} samples/s): "
               f".mid, .npy and .png per sample, index.json")  # fmt: skip
        unasked_forms(index, ("--no-form-prior", "--no-song-form"))

    return sample
