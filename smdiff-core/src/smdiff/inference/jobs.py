"""Jobs: one piece each to generate — the reverse process's start, and where the result goes back.

Three kinds of input make jobs, the same way for every task and front end:

- nothing (:func:`new_piece_jobs`): a task without input writes new pieces;
- a song (:func:`song_jobs`): the task's selection of the song, the model window
  around it, the song to put the result back into;
- a window of tokens (:func:`window_jobs`): what evaluation fills (test-split
  windows), compared as windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs
import numpy as np

from smdiff.config.schema import SampleConfig
from smdiff.errors import ConfigError, DataError
from smdiff.form.match import PassageMatch, matching_passage
from smdiff.form.plan import Form
from smdiff.form.request import FormRequest
from smdiff.inference.runs import LoadedRun
from smdiff.inference.songs import Song
from smdiff.midi import find_midi_files
from smdiff.notes import NoteTable
from smdiff.tasks import Selection, Task, Window
from smdiff.tokenizer import window_notes


@attrs.frozen
class Job:
    """One piece to generate.

    ``initial`` and ``region`` start the reverse process; ``prepared`` is the
    window the task kept (``None`` for a new piece). With a ``song``, the
    window starts at its bar ``first_bar`` and ``selection`` (in the song's
    bars) is what the result replaces there. ``shift`` is how many semitones
    the output moves: back into the input's key, or to the key asked for.
    ``ties`` (``[L, C]`` leader rows, :mod:`smdiff.diffusion.ties`) makes
    elements one shared decision: the repeats of ``form``, the form a new
    piece follows (asked for, or drawn from the run's form prior).
    """

    initial: np.ndarray = attrs.field(eq=False)
    region: np.ndarray = attrs.field(eq=False)
    window: Window
    prepared: np.ndarray | None = attrs.field(default=None, eq=False)
    song: Song | None = None
    first_bar: int = 0
    selection: Selection | None = None
    shift: int = 0
    ties: np.ndarray | None = attrs.field(default=None, eq=False)
    form: Form | None = None
    #: the bars (of the song, or the window) the gap repeats because the song's form says so (:mod:`smdiff.form.match`)
    song_form: PassageMatch | None = None

    @property
    def window_selection(self) -> Selection | None:
        """The selection in the window's bars."""
        return None if self.selection is None else self.selection.shifted(self.first_bar)


def _window(run: LoadedRun, tokens: np.ndarray | None = None) -> Window:
    return Window(run.config.data.bars, run.window_length, tokens)


def new_piece_forms(run: LoadedRun, settings: SampleConfig, count: int) -> list[FormRequest | None]:
    """The form each of ``count`` new pieces follows: the one ``settings`` ask for, else one drawn from the run's
    form prior (:mod:`smdiff.form.prior`; off with ``--no-form-prior``, and under ``--chords``), else none."""
    asked = FormRequest.from_settings(settings, run.config.data.bars)
    if asked is not None:
        if asked.form is None:
            raise DataError(f"{asked.flag} makes a gap of an input song repeat other bars; it needs the infill task")
        return [asked] * count
    if not settings.form_prior or settings.chords is not None or run.form_prior is None:
        return [None] * count
    rng = np.random.default_rng(settings.seed)
    return [FormRequest(form=run.form_prior.draw(rng), seed=settings.seed + n) for n in range(count)]


def new_piece_jobs(run: LoadedRun, task: Task, forms: Sequence[FormRequest | None], shift: int = 0) -> list[Job]:
    """One job of a task without input per entry of ``forms`` (:func:`new_piece_forms`): a piece ties the sections
    its form repeats; pieces without a form are alike (the sampler's seed makes them differ)."""
    window = _window(run)
    initial, region = task.initial(run.tokenizer, window, None)
    return [
        Job(initial, region, window, shift=shift, ties=None if form is None else form.ties(run.tokenizer, window, None, region),
            form=None if form is None else form.form)
        for form in forms
    ]  # fmt: skip


def window_jobs(run: LoadedRun, task: Task, windows: Sequence[np.ndarray], *, song_form: bool = False) -> list[Job]:
    """One job per token window (e.g. test-split windows), the task's selection taken inside the window; with
    ``song_form``, a gap repeats the window's bars whose surroundings match its own (:func:`follow_song_form`)."""
    jobs = []
    for tokens in windows:
        window = _window(run, np.asarray(tokens, dtype=np.int64))
        selection = task.selection(window.bars, window.bars)
        job = _job(run, task, window, selection, None, 0, 0)
        if song_form and selection is not None and _ties_bars(run):
            job = follow_song_form(run, job, window_notes(run.tokenizer, window.tokens, window.bars)[0])
        jobs.append(job)
    return jobs


def _ties_bars(run: LoadedRun) -> bool:
    """Whether the run's tokenizer has rows at fixed places of the bars (a grid), so a gap can be tied to a passage.

    The song's form is followed unasked on grids only: an Octuple gap would take the passage by copying its notes,
    which is not yet checked against notes held into the gap from before it (docs/decisions.md).
    """
    return run.tokenizer.bar_of_rows(run.config.data.bars) is not None


def follow_song_form(run: LoadedRun, job: Job, table: NoteTable) -> Job:
    """A window's ``job`` with its gap tied to the passage of ``table`` (the window's notes) whose surroundings
    match the gap's, when one does (:func:`smdiff.form.match.matching_passage`); else ``job`` as it is."""
    if job.selection is None or len(job.selection.spans) != 1:
        return job
    match = matching_passage(table, job.selection.spans[0], window_bars=job.window.bars)
    if match is None:
        return job
    return attrs.evolve(with_form(run, FormRequest(source=match.source), job, 0), song_form=match)


def song_jobs(
    run: LoadedRun, task: Task, song: Song, repeats: int, *, centred: bool = False, form: FormRequest | None = None,
    song_form: bool = False,
) -> list[Job]:  # fmt: skip
    """``repeats`` jobs for ``song``: the task's selection of it, in a model window that holds it.

    The window is the earliest that holds the whole selection (from bar 0 when
    it fits there), or with ``centred`` the one with the most context on both
    sides of it (the studio's choice). With ``form``, the window also holds
    the bars the gap repeats or varies, and the gap is tied to them; else with
    ``song_form``, the gap repeats the song's passage whose surroundings match
    its own, when one does, a window holds both and the tokenizer is a grid
    (:func:`follow_song_form`).
    """
    time_signature = run.config.data.time_signature
    selection = task.selection(song.n_bars(time_signature), run.config.data.bars)
    if selection is None:
        raise DataError(f"{song.name}: this task writes new pieces and takes no input song")
    slots = [slot.lower() for slot in run.tokenizer.track_names]
    for slot in selection.tracks:
        if slot.lower() not in slots:
            raise DataError(f"{run.tokenizer.id} has no track '{slot}'; its tracks are {', '.join(slots)}")
    encoding = run.tokenizer.encode(song.score, bars=run.config.data.bars, source=song.bars_from)
    if len(encoding.windows) == 0:
        raise DataError(f"{song.name}: no notes in the tracks {', '.join(run.tokenizer.track_names)}")
    match = None
    if form is None and song_form and len(selection.spans) == 1 and _ties_bars(run):
        table = NoteTable.from_score(song.score, source_path=song.bars_from)
        match = matching_passage(table, selection.spans[0], window_bars=run.config.data.bars)
        form = None if match is None else FormRequest(source=match.source)
    reach = selection if form is None else form.reaches(selection, run.config.data.bars)
    try:
        chosen = covering_window(encoding.start_bars, reach, run.config.data.bars, centred=centred)
    except DataError:
        if match is None:
            raise
        form, match, reach = None, None, selection  # no window with notes holds gap and passage: the model alone
        chosen = covering_window(encoding.start_bars, reach, run.config.data.bars, centred=centred)
    first_bar = int(encoding.start_bars[chosen])
    window = _window(run, encoding.windows[chosen].astype(np.int64))
    job = _job(run, task, window, selection.shifted(first_bar), song, first_bar, -encoding.transposition)
    if form is not None:
        job = attrs.evolve(with_form(run, form, job, first_bar), song_form=match)
    return [attrs.evolve(job, selection=selection) for _ in range(repeats)]


def with_form(run: LoadedRun, form: FormRequest, job: Job, first_bar: int) -> Job:
    """``job`` with its gap tied to the bars it repeats or varies — or, for a tokenizer whose rows have no fixed
    bar, with those bars copied into the gap (the region left is what a variation regenerates)."""
    if run.tokenizer.bar_of_rows(job.window.bars) is not None or job.prepared is None or job.selection is None:
        return attrs.evolve(job, ties=form.ties(run.tokenizer, job.window, job.selection, job.region, first_bar))
    prepared, region = form.copy(run.tokenizer, job.window, job.prepared, job.region, job.selection, first_bar)
    masks = np.broadcast_to(np.asarray(run.tokenizer.token_spec.mask_ids), prepared.shape)
    return attrs.evolve(job, initial=np.where(region, masks, prepared), prepared=prepared, region=region)


def jobs_for(
    run: LoadedRun, task: Task, settings: SampleConfig, windows: Sequence[np.ndarray] | None = None
) -> list[Job]:
    """The jobs ``settings`` ask for: token ``windows`` when given, else the input files, else new pieces.

    ``--input_midi`` gives ``n_samples`` variants of one song; ``--input_midi_dir``
    ``samples_per_midi`` of each of its files.
    """
    if not task.needs_input:
        return new_piece_jobs(run, task, new_piece_forms(run, settings, settings.n_samples), key_shift(run, settings))
    form = FormRequest.from_settings(settings, run.config.data.bars)
    if windows is not None:
        if form is not None:
            raise ConfigError(f"{form.flag} applies to sampling songs and new pieces, not to test windows")
        return window_jobs(run, task, windows, song_form=settings.song_form)
    if settings.key is not None:
        raise ConfigError(f"--key applies to tasks without input; {settings.task} keeps the key of its input MIDI")
    if settings.input_midi:
        song = Song.read(Path(settings.input_midi), run)
        return song_jobs(run, task, song, settings.n_samples, form=form, song_form=settings.song_form)
    if settings.input_midi_dir:
        files = find_midi_files(settings.input_midi_dir)
        if not files:
            raise DataError(f"no .mid or .midi files under {settings.input_midi_dir}")
        return [
            job
            for path in files
            for job in song_jobs(
                run, task, Song.read(path, run), settings.samples_per_midi, form=form, song_form=settings.song_form
            )
        ]
    raise DataError(f"task {settings.task} needs an input piece: pass --input_midi FILE or --input_midi_dir DIR")


def key_shift(run: LoadedRun, settings: SampleConfig) -> int:
    """Semitones to move new pieces by: into the ``--key`` asked for, or back into the key of ``--chords`` (a
    key-normalised model writes in C / A minor, and reads given chords moved there)."""
    if settings.key is None and (settings.chords is None or not run.config.data.normalise_key):
        return 0
    if not run.config.data.normalise_key:
        raise ConfigError(
            f"--key needs a model trained on key-normalised data; {run.checkpoint} was trained with "
            "data.normalise_key=false, so the key of what it writes is not known"
        )
    if settings.key is not None and settings.chords is not None:
        raise ConfigError("--key and --chords both set the key of a new piece; the chords say it: drop --key")
    from smdiff.data.chords import parse_progression, progression_shift
    from smdiff.data.keys import Key

    if settings.chords is not None:
        return -progression_shift(parse_progression(settings.chords))
    return -Key.parse(settings.key).normalising_shift


def _job(
    run: LoadedRun, task: Task, window: Window, local: Selection | None, song: Song | None, first_bar: int, shift: int
) -> Job:
    initial, region = task.initial(run.tokenizer, window, local)
    prepared = None if window.tokens is None else np.where(region, window.tokens, initial)
    return Job(initial, region, window, prepared, song, first_bar, local, shift)


def covering_window(start_bars: np.ndarray, selection: Selection, window_bars: int, *, centred: bool = True) -> int:
    """The window (by index) that holds the whole selection: with the most context on both sides of it, or the earliest.

    A selection longer than the window, or outside every window with notes, is a :class:`DataError`.
    """
    length = selection.end_bar - selection.start_bar
    if length > window_bars:
        raise DataError(f"bars {selection.start_bar + 1}-{selection.end_bar} are {length} bars; the model fills at "
                        f"most {window_bars} at once (its window)")  # fmt: skip
    starts = np.asarray(start_bars)
    fits = np.flatnonzero((starts <= selection.start_bar) & (starts + window_bars >= selection.end_bar))
    if not len(fits):
        raise DataError(
            f"bars {selection.start_bar + 1}-{selection.end_bar} are outside the windows the model can read "
            f"(past the end of the piece, or where its tracks are silent for {window_bars} bars)"
        )
    if not centred:
        return int(fits[np.argmin(starts[fits])])
    centre = (selection.start_bar + selection.end_bar) / 2
    return int(fits[np.argmin(np.abs(starts[fits] + window_bars / 2 - centre))])
