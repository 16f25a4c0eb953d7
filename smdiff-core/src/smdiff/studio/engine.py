"""The model side of the studio: open songs, regenerate selections, write new pieces; one generation at a time.

Generation goes through the inference pipeline (:mod:`smdiff.inference`), as
``smdiff sample`` does; the studio adds the piece store, one generation at a
time, progress and cancelling.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from smdiff.config.converter import converter
from smdiff.config.errors import describe_structure_error
from smdiff.config.schema import SampleConfig
from smdiff.data.chord_tokens import CHORD_SLOT
from smdiff.data.chord_track import with_chords
from smdiff.data.chords import parse_progression
from smdiff.errors import DataError
from smdiff.form.request import FormRequest
from smdiff.inference import (
    Generated,
    Job,
    LoadedRun,
    Song,
    generate,
    new_piece_forms,
    new_piece_jobs,
    slot_tracks_of,
    song_jobs,
)
from smdiff.inference.songs import bar_starts
from smdiff.midi import load_score
from smdiff.studio.pieces import PieceStore, StudioPiece, roll
from smdiff.tasks import Selection, Task, Unconditional

if TYPE_CHECKING:
    from smdiff.registry import Registries

SAMPLERS = ("confidence", "ancestral")
MAX_VARIANTS = 16
MAX_STEPS = 1024
#: what the page may set, by its name on the page → the ``SampleConfig`` field it sets
PAGE_SETTINGS = {"sampler": "sampler", "steps": "sample_steps", "temperature": "temperature", "n": "n_samples",
                 "seed": "seed", "form": "form", "vary_keep": "vary_keep"}  # fmt: skip
DEFAULT_VARIANTS = 2


class Busy(Exception):
    """Another generation holds the model."""


class Cancelled(Exception):
    """The page cancelled the generation."""


def page_settings(values: Mapping[str, Any]) -> SampleConfig:
    """The sampler settings a page request asks for, checked by the config schema like any ``--set``.

    Unset values take the schema's defaults (the variants: :data:`DEFAULT_VARIANTS`;
    the seed: a fresh random one, without touching torch's global generator).
    Wrong types, unknown samplers and the studio's limits are a
    :class:`~smdiff.errors.DataError` naming the field.
    """
    unknown = sorted(set(values) - set(PAGE_SETTINGS))
    if unknown:
        raise DataError(f"unknown setting {unknown[0]!r}; the page sets {', '.join(PAGE_SETTINGS)}")
    given = {PAGE_SETTINGS[name]: value for name, value in values.items() if value is not None}
    given.setdefault("n_samples", DEFAULT_VARIANTS)
    given.setdefault("seed", secrets.randbits(31))
    try:
        settings = converter.structure({**converter.unstructure(SampleConfig()), **given}, SampleConfig)
    except Exception as error:  # cattrs' grouped errors: one line naming each field
        raise DataError(
            describe_structure_error(error).replace("sample_steps", "steps").replace("n_samples", "n")
        ) from None
    if settings.sampler not in SAMPLERS:
        raise DataError(f"sampler {settings.sampler!r} is not one of {', '.join(SAMPLERS)}")
    if settings.sample_steps is not None and not 1 <= settings.sample_steps <= MAX_STEPS:
        raise DataError(f"steps must be between 1 and {MAX_STEPS}, got {settings.sample_steps}")
    if not 1 <= settings.n_samples <= MAX_VARIANTS:
        raise DataError(f"n (variants) must be between 1 and {MAX_VARIANTS}, got {settings.n_samples}")
    if not 0.05 <= settings.temperature <= 5.0:
        raise DataError(f"temperature must be between 0.05 and 5, got {settings.temperature}")
    return attrs.evolve(settings, batch_size=settings.n_samples)


@attrs.define
class Progress:
    """Where a running generation is; ``cancelled`` is set by the page."""

    step: int = 0
    total: int = 0
    cancelled: bool = False


class Engine:
    """A loaded run and the pieces of one studio session; ``registries`` provides the tasks."""

    def __init__(self, run: LoadedRun, workdir: Path, registries: Registries) -> None:
        self.run = run
        self.workdir = workdir
        self.registries = registries
        self.pieces = PieceStore()
        self.jobs: dict[str, Progress] = {}
        self._model = threading.Lock()

    @property
    def has_chords(self) -> bool:
        """Whether the model reads chords (a tokenizer with a ``chords`` channel)."""
        return CHORD_SLOT in self.run.tokenizer.track_names

    @property
    def window_bars(self) -> int:
        """How many bars the model sees (from bar 1)."""
        return int(self.run.config.data.bars)

    def info(self) -> dict[str, Any]:
        """What the page shows about the run."""
        run = self.run
        from smdiff.checkpoints import run_dir_of

        return {
            "model": run.config.model.id,
            "tokenizer": run.tokenizer.id,
            "step": run.step,
            "checkpoint": run.checkpoint.name,
            "run": run_dir_of(run.checkpoint).name,
            "window_bars": self.window_bars,
            "slots": list(run.tokenizer.track_names),
            "samplers": list(SAMPLERS),
            "tasks": [spec.id for spec in self.registries.tasks if spec.id != "uncond"],
            "limits": {"variants": MAX_VARIANTS, "steps": MAX_STEPS},
            "chords": self.has_chords,
            "accompaniment": [slot for slot in self.run.tokenizer.track_names if slot not in ("melody", CHORD_SLOT)],
        }

    def view(self, piece: StudioPiece) -> dict[str, Any]:
        """The piece as the page draws it."""
        return roll(piece, self.window_bars, self.run.config.data.time_signature, chords=self.has_chords)

    def set_chords(self, piece: StudioPiece, start_bar: int, end_bar: int, text: str) -> StudioPiece:
        """A new version of ``piece`` whose chords in bars ``[start_bar, end_bar)`` are ``text`` ("C G Am F": a bar
        each, or "C*2 G*0.5"; repeated to fill the bars), written into its chord track; the rest is kept."""
        if not self.has_chords:
            raise DataError(
                f"this run's model ({self.run.tokenizer.id}) reads no chords; train on lead_sheet or trio_chords"
            )
        try:
            progression = parse_progression(text)
        except DataError as error:
            raise DataError(str(error).replace("--chords", "chords")) from None
        starts = bar_starts(piece.score, piece.bars_from, self.run.config.data.time_signature)
        if not 0 <= start_bar < end_bar <= len(starts) - 1:
            raise DataError(f"bars {start_bar + 1}-{end_bar} are not bars of the piece (1-{len(starts) - 1})")
        tick = lambda bar: int(np.rint(np.interp(bar, np.arange(len(starts)), starts)))  # noqa: E731
        spans, position, index = [], float(start_bar), 0
        while position < end_bar:
            chord, bars = progression[index % len(progression)]
            spans.append((tick(position), tick(min(position + bars, end_bar)), chord))
            position, index = position + bars, index + 1
        score = with_chords(piece.score, tick(start_bar), tick(end_bar), spans)
        return self.pieces.add(
            f"{piece.name} · chords", score, piece.bars_from, slot_tracks_of(score, self.run), parent=piece.id,
            selection=Selection.bars(start_bar, end_bar, (CHORD_SLOT,)), form=piece.form,
        )  # fmt: skip

    def open(self, name: str, path: Path, bars_from: Path | None) -> StudioPiece:
        """Read a MIDI file into a new piece; a file the model cannot read is a :class:`DataError`."""
        try:
            score = load_score(path)
        except DataError:
            raise DataError(f"{name} is not a readable MIDI file") from None
        slots = self.run.tokenizer.track_names
        slot_tracks = slot_tracks_of(score, self.run)
        if not slot_tracks:
            raise DataError(f"{name}: no track with notes fits the model's tracks ({', '.join(slots)})")
        if not len(self.run.tokenizer.encode(score, bars=self.window_bars, source=bars_from).windows):
            raise DataError(
                f"{name}: the model's tracks ({', '.join(slots)}) hold no {self.window_bars}-bar stretch with notes "
                "(the piece is shorter than the model's window, or those tracks are empty)"
            )
        return self.pieces.add(name, score, bars_from, slot_tracks)

    def progress(self, job: str) -> Progress | None:
        """The progress of job ``job`` while it runs."""
        return self.jobs.get(job)

    def cancel(self, job: str) -> bool:
        """Ask job ``job`` to stop at its next step; whether it was running."""
        progress = self.jobs.get(job)
        if progress is not None:
            progress.cancelled = True
        return progress is not None

    def infill(
        self,
        piece: StudioPiece,
        selection: Selection,
        settings: SampleConfig,
        job: str | None = None,
        task_id: str = "infill",
    ) -> list[StudioPiece]:
        """``settings.n_samples`` variants of ``piece`` with ``selection`` regenerated by task ``task_id``.

        Everything outside the selection is kept (:func:`smdiff.inference.splice`).
        """
        if not selection.tracks:
            raise DataError(f"choose at least one track to regenerate from {', '.join(piece.slot_tracks)}")
        spec = self.registries.tasks.get(task_id)
        asked = attrs.evolve(settings, task=spec.id, mask_start_bar=selection.start_bar,
                             mask_end_bar=selection.end_bar, mask_tracks=selection.tracks)  # fmt: skip
        task = spec.factory(asked)
        if not task.needs_input:
            raise DataError(f"task {spec.id} writes new pieces; regenerate a selection with a task that keeps the song")
        song = Song(piece.name, piece.score, piece.bars_from, piece.slot_tracks)
        last = song.n_bars(self.run.config.data.time_signature)
        if selection.end_bar > last:
            raise DataError(
                f"bars {selection.start_bar + 1}-{selection.end_bar} are outside the windows the model can read "
                f"(past the end of the piece, bar {last})"
            )
        form = FormRequest.from_settings(settings, self.window_bars)
        if form is not None and form.form is not None:
            raise DataError(
                "a form is for new pieces; a selection repeats or varies given bars (repeat_from, vary_from)"
            )
        jobs = song_jobs(self.run, task, song, settings.n_samples, centred=True, form=form)
        made = self._generate(task, jobs, settings, job)
        return [
            self.pieces.add(
                f"{piece.name} · variant {number + 1}",
                result.score,
                piece.bars_from,
                piece.slot_tracks,
                parent=piece.id,
                selection=result.job.selection,
                form=gap_sections(form, selection),
            )
            for number, result in enumerate(made)
        ]

    def generate(self, settings: SampleConfig, job: str | None = None) -> list[StudioPiece]:
        """``settings.n_samples`` new pieces of ``window_bars`` bars from nothing."""
        task = Unconditional()
        form = FormRequest.from_settings(settings, self.window_bars)
        if form is not None and form.form is None:
            raise DataError("a new piece takes a form (e.g. A8 A8 B8 A8); repeating given bars needs a song")
        forms = new_piece_forms(self.run, settings, settings.n_samples)
        made = self._generate(task, new_piece_jobs(self.run, task, forms), settings, job)
        stamp = time.strftime("%H:%M:%S")
        return [
            self.pieces.add(
                f"new piece {stamp} · {n + 1}",
                result.score,
                None,
                slot_tracks_of(result.score, self.run),
                form=() if result.job.form is None else tuple(
                    (section.name, section.start_bar, section.end_bar) for section in result.job.form.sections
                ),
            )
            for n, result in enumerate(made)
        ]  # fmt: skip

    def _generate(self, task: Task, jobs: list[Job], settings: SampleConfig, job: str | None) -> list[Generated]:
        """The pipeline's pieces for ``jobs``; one generation at a time (else :class:`Busy`)."""
        if not self._model.acquire(blocking=False):
            raise Busy("a generation is already running; wait for it (or cancel it) and try again")
        progress = Progress()
        if job is not None:
            self.jobs[job] = progress
        try:
            return generate(self.run, task, jobs, settings, on_step=_stepper(progress))
        finally:
            if job is not None:
                self.jobs.pop(job, None)
            self._model.release()


def gap_sections(form: FormRequest | None, selection: Selection) -> tuple[tuple[str, int, int], ...]:
    """The brackets a variant shows: the bars a gap repeats (``A``) and the gap (``A`` again, or ``A'``)."""
    if form is None or form.source is None:
        return ()
    return (("A", *form.source), ("A" if form.exact else "A'", selection.start_bar, selection.end_bar))


def _stepper(progress: Progress) -> Callable[[int, int], None]:
    def on_step(step: int, total: int) -> None:
        progress.step, progress.total = step, total
        if progress.cancelled:
            raise Cancelled("cancelled")

    return on_step
