"""The model side of the studio: open songs, regenerate selections, write new pieces; one generation at a time."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import symusic
import torch

from smdiff.config.schema import SampleConfig
from smdiff.data.keys import transpose_score
from smdiff.data.roles import assign_roles
from smdiff.diffusion.sampling import sample
from smdiff.errors import DataError
from smdiff.generate import LoadedRun, in_input_time
from smdiff.midi import load_score
from smdiff.studio.pieces import PieceStore, StudioPiece, bar_starts, roll
from smdiff.studio.splice import Selection, splice
from smdiff.tasks import Infill, Unconditional
from smdiff.tokenizer import Encoding

SAMPLERS = ("confidence", "ancestral")
MAX_VARIANTS = 16
MAX_STEPS = 1024


class Busy(Exception):
    """Another generation holds the model."""


class Cancelled(Exception):
    """The page cancelled the generation."""


@attrs.frozen
class Options:
    """How to sample: the page's sampler, steps, temperature and number of variants."""

    sampler: str = "confidence"
    steps: int = 32
    temperature: float = 1.0
    n: int = 2
    seed: int | None = None

    def check(self) -> None:
        """Refuse what the server will not run, naming the field and the allowed values."""
        if self.sampler not in SAMPLERS:
            raise DataError(f"sampler {self.sampler!r} is not one of {', '.join(SAMPLERS)}")
        if not 1 <= self.steps <= MAX_STEPS:
            raise DataError(f"steps must be between 1 and {MAX_STEPS}, got {self.steps}")
        if not 1 <= self.n <= MAX_VARIANTS:
            raise DataError(f"n (variants) must be between 1 and {MAX_VARIANTS}, got {self.n}")
        if not 0.05 <= self.temperature <= 5.0:
            raise DataError(f"temperature must be between 0.05 and 5, got {self.temperature}")


@attrs.define
class Progress:
    """Where a running generation is; ``cancelled`` is set by the page."""

    step: int = 0
    total: int = 0
    cancelled: bool = False


class Engine:
    """A loaded run and the pieces of one studio session."""

    def __init__(self, run: LoadedRun, workdir: Path) -> None:
        self.run = run
        self.workdir = workdir
        self.pieces = PieceStore()
        self.jobs: dict[str, Progress] = {}
        self._model = threading.Lock()

    @property
    def window_bars(self) -> int:
        """How many bars the model sees (from bar 1)."""
        return int(self.run.config.data.bars)

    def info(self) -> dict[str, Any]:
        """What the page shows about the run."""
        run = self.run
        return {
            "model": run.config.model.id,
            "tokenizer": run.tokenizer.id,
            "step": run.step,
            "checkpoint": run.checkpoint.name,
            "run": run.checkpoint.parent.parent.name,
            "window_bars": self.window_bars,
            "slots": list(run.tokenizer.track_names),
            "samplers": list(SAMPLERS),
            "limits": {"variants": MAX_VARIANTS, "steps": MAX_STEPS},
        }

    def view(self, piece: StudioPiece) -> dict[str, Any]:
        """The piece as the page draws it."""
        return roll(piece, self.window_bars, self.run.config.data.time_signature)

    def open(self, name: str, path: Path, bars_from: Path | None) -> StudioPiece:
        """Read a MIDI file into a new piece; a file the model cannot read is a :class:`DataError`."""
        try:
            score = load_score(path)
        except DataError:
            raise DataError(f"{name} is not a readable MIDI file") from None
        slots = self.run.tokenizer.track_names
        slot_tracks = self._slot_tracks(score)
        if not slot_tracks:
            raise DataError(f"{name}: no track with notes fits the model's tracks ({', '.join(slots)})")
        if not len(self._encode(score, bars_from).windows):
            raise DataError(
                f"{name}: the model's tracks ({', '.join(slots)}) hold no {self.window_bars}-bar stretch with notes "
                "(the piece is shorter than the model's window, or those tracks are empty)"
            )
        return self.pieces.add(name, score, bars_from, slot_tracks)

    def _slot_tracks(self, score: symusic.Score) -> dict[str, tuple[int, ...]]:
        """For each of the model's slots that ``score`` fills, its track indices (as the tokenizer chooses them)."""
        roles = assign_roles(score, self.run.tokenizer.track_names, self.run.config.data.track_map or None)
        return {slot: choice.tracks for slot, choice in roles.items()}

    def _encode(self, score: symusic.Score, bars_from: Path | None) -> Encoding:
        return self.run.tokenizer.encode(score, bars=self.window_bars, source=bars_from)

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
        self, piece: StudioPiece, selection: Selection, options: Options, job: str | None = None
    ) -> list[StudioPiece]:
        """``options.n`` variants of ``piece`` with ``selection`` regenerated; everything else kept (see ``splice``)."""
        options.check()
        self._check_tracks(piece, selection)
        encoding = self._encode(piece.score, piece.bars_from)
        chosen = covering_window(encoding.start_bars, selection, self.window_bars)
        window, offset = encoding.windows[chosen].astype(np.int64), int(encoding.start_bars[chosen])
        local = Selection(selection.start_bar - offset, selection.end_bar - offset, selection.tracks)
        config = SampleConfig(task="infill", mask_start_bar=local.start_bar, mask_end_bar=local.end_bar,
                              mask_tracks=local.tracks)  # fmt: skip
        task = Infill(config)
        initial, region = task.initial(self.run.tokenizer, self.run.window_length, window)
        prepared = np.where(region, window, initial)
        windows = self._sample(initial, options, job)
        starts = bar_starts(piece.score, piece.bars_from, self.run.config.data.time_signature)
        gap = (int(starts[selection.start_bar]), int(starts[selection.end_bar]))
        variants = []
        for number, tokens in enumerate(windows):
            tokens = self.run.tokenizer.finish_infill(tokens, prepared, region, local.end_bar)
            repaired = self.run.tokenizer.repair(tokens)[0]
            decoded = transpose_score(self.run.tokenizer.decode(repaired), -encoding.transposition)
            generated = in_input_time(self.run, decoded, piece.score, piece.bars_from, first_bar=offset)
            score = splice(piece.score, generated, piece.slot_tracks, selection.tracks, gap)
            name = f"{piece.name} · variant {number + 1}"
            variants.append(
                self.pieces.add(name, score, piece.bars_from, piece.slot_tracks, parent=piece.id, selection=selection)
            )
        return variants

    def generate(self, options: Options, job: str | None = None) -> list[StudioPiece]:
        """``options.n`` new pieces of ``window_bars`` bars from nothing."""
        options.check()
        initial, _ = Unconditional().initial(self.run.tokenizer, self.run.window_length, None)
        windows = self._sample(initial, options, job)
        stamp = time.strftime("%H:%M:%S")
        tokenizer = self.run.tokenizer
        scores = [tokenizer.decode(tokenizer.repair(tokens)[0]) for tokens in windows]
        return [
            self.pieces.add(f"new piece {stamp} · {n + 1}", score, None, self._slot_tracks(score))
            for n, score in enumerate(scores)
        ]

    def _check_tracks(self, piece: StudioPiece, selection: Selection) -> None:
        known = piece.slot_tracks
        unknown = [track for track in selection.tracks if track not in known]
        if not selection.tracks or unknown:
            raise DataError(
                f"tracks {unknown or '[]'} cannot be regenerated; choose from {', '.join(known)} (the tracks the model reads)"
            )

    def _sample(self, initial: np.ndarray, options: Options, job: str | None) -> np.ndarray:
        """``options.n`` completions of ``initial`` ``[L, C]``; one generation at a time (else :class:`Busy`)."""
        if not self._model.acquire(blocking=False):
            raise Busy("a generation is already running; wait for it (or cancel it) and try again")
        progress = Progress(total=options.steps)
        if job is not None:
            self.jobs[job] = progress
        try:
            on_step = _stepper(progress)
            run = self.run
            batch = torch.from_numpy(np.repeat(initial[None], options.n, axis=0)).to(run.device)
            seed = options.seed if options.seed is not None else secrets.randbits(31)
            with torch.no_grad():
                tokens, _ = sample(
                    run.model, run.kernel, run.tokenizer.token_spec, batch, method=options.sampler, steps=options.steps,  # type: ignore[arg-type]
                    temperature=options.temperature, generator=torch.Generator(run.device).manual_seed(seed),
                    on_step=on_step,
                )  # fmt: skip
            return tokens.cpu().numpy()
        finally:
            if job is not None:
                self.jobs.pop(job, None)
            self._model.release()


def covering_window(start_bars: np.ndarray, selection: Selection, window_bars: int) -> int:
    """The window (by index) that holds the whole selection with the most context on both sides of it.

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
    centre = (selection.start_bar + selection.end_bar) / 2
    return int(fits[np.argmin(np.abs(starts[fits] + window_bars / 2 - centre))])


def _stepper(progress: Progress) -> Callable[[int, int], None]:
    def on_step(step: int, total: int) -> None:
        progress.step, progress.total = step, total
        if progress.cancelled:
            raise Cancelled("cancelled")

    return on_step
