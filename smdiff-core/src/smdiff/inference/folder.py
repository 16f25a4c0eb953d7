"""A sample folder: what ``smdiff sample`` (and ``smdiff evaluate --save_samples``) write, and what evaluation reads.

Per piece: ``sample_NNNN.mid`` (the user's song with only the selection
replaced, or the new piece), ``.npy`` (the model window's tokens), ``.png``
(the piano roll, the selection shaded) and, when the window held an input,
``.original.npy`` and ``.region.npy`` (what evaluation compares). One
``index.json`` lists every piece with how it was made.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from smdiff.config.resolve import to_dict
from smdiff.config.schema import SampleConfig
from smdiff.errors import DataError
from smdiff.inference.jobs import Job, jobs_for
from smdiff.inference.pipeline import Generated, OnStep, gap_ticks, generate
from smdiff.inference.runs import LoadedRun
from smdiff.inference.splice import notes_changed_outside
from smdiff.midi import save_score
from smdiff.pianoroll import save_piano_roll
from smdiff.progress import status
from smdiff.tasks import Task

#: the file a sample folder lists its pieces in
INDEX = "index.json"


def has_index(sample_dir: Path) -> bool:
    """Whether ``sample_dir`` is a sample folder (it holds ``index.json``)."""
    return (sample_dir / INDEX).is_file()


def read_index(sample_dir: Path) -> dict[str, Any]:
    """The ``index.json`` of a sample folder."""
    path = sample_dir / INDEX
    if not path.is_file():
        raise DataError(f"{sample_dir} has no index.json; pass a folder written by `smdiff sample`")
    return json.loads(path.read_text())


def sample_to_folder(
    run: LoadedRun,
    task: Task,
    settings: SampleConfig,
    out_dir: Path,
    *,
    windows: Sequence[np.ndarray] | None = None,
    on_step: OnStep = lambda step, total: None,
    on_piece: Callable[[int, int], None] = lambda done, total: None,
) -> dict[str, Any]:
    """The pieces ``settings`` ask for (:func:`~smdiff.inference.jobs.jobs_for`), generated and written to ``out_dir``."""
    jobs = jobs_for(run, task, settings, windows)
    began = time.perf_counter()
    pieces = generate(run, task, jobs, settings, on_step=on_step, on_piece=on_piece)
    return write_folder(run, settings, pieces, out_dir, time.perf_counter() - began)


def write_folder(
    run: LoadedRun, settings: SampleConfig, pieces: Sequence[Generated], out_dir: Path, seconds: float
) -> dict[str, Any]:
    """Write every piece and ``index.json`` into ``out_dir``; returns the index."""
    out_dir.mkdir(parents=True, exist_ok=True)
    records = [_write_piece(run, settings, piece, out_dir, number) for number, piece in enumerate(pieces)]
    index = {
        "checkpoint": str(run.checkpoint),
        "step": run.step,
        "model": run.config.model.id,
        "tokenizer": run.tokenizer.id,
        "dataset": run.config.data.dataset_id,
        "sample": to_dict(attrs.evolve(run.config, sample=settings))["sample"],
        "data": to_dict(run.config)["data"],
        "seconds": seconds,
        "samples_per_second": len(records) / seconds if seconds else None,
        "samples": records,
    }
    (out_dir / INDEX).write_text(json.dumps(index, indent=1))
    return index


def _write_piece(
    run: LoadedRun, settings: SampleConfig, piece: Generated, out_dir: Path, number: int
) -> dict[str, Any]:
    job = piece.job
    stem = out_dir / f"sample_{number:04d}"
    np.save(stem.with_suffix(".npy"), piece.tokens)
    if job.window.tokens is not None:  # what evaluation compares an infilling with
        np.save(out_dir / f"{stem.name}.original.npy", job.window.tokens)
        np.save(out_dir / f"{stem.name}.region.npy", job.region)
    save_score(piece.score, stem.with_suffix(".mid"))
    shaded = _shaded_quarters(run, piece)
    save_piano_roll(piece.score, stem.with_suffix(".png"), shaded=shaded, title=f"{settings.task} sample {number}")
    local = job.window_selection
    return {
        "index": number,
        "midi": stem.with_suffix(".mid").name,
        "tokens": stem.with_suffix(".npy").name,
        "piano_roll": stem.with_suffix(".png").name,
        "source": str(job.song.bars_from) if job.song is not None else None,
        "seed": piece.seed,
        "seconds": piece.seconds,
        "generated_elements": int(job.region.sum()),
        "units_dropped_by_repair": piece.repaired_units,
        "semitones_moved": job.shift,
        "form": None if job.form is None else str(job.form),
        "song_form": _song_form(job),
        "first_bar": job.first_bar,
        "song_tracks": None if job.song is None else {slot: list(t) for slot, t in job.song.slot_tracks.items()},
        "selection": None if job.selection is None else _selection(job.selection),
        "window_selection": None if local is None else _selection(local),
        "outside_gap_notes_changed": _changed_outside(run, piece),
        "network_calls_in_batch": piece.network_calls_in_batch,
        "batch_samples": piece.batch_samples,
        "position_in_batch": piece.position_in_batch,
    }


def unasked_forms(index: dict[str, Any], switches: tuple[str, str]) -> dict[str, int]:
    """How many pieces of a sample folder followed a form drawn from the run's prior, and how many gaps repeated
    the passage their song's form matched — said in one line each, with the ``switches`` that turn them off, so a
    form stage is never taken for the model alone."""
    records, asked = index["samples"], index["sample"].get("form") or index["sample"].get("form_from")
    drawn = 0 if asked else sum(bool(record.get("form")) for record in records)
    repeated = [record["song_form"] for record in records if record.get("song_form")]
    if drawn:
        status(f"{drawn} of {len(records)} new pieces follow forms drawn from the training songs' "
               f"({switches[0]} for the model alone)")  # fmt: skip
    if repeated:
        start, end = repeated[0]["repeats_bars"]
        status(f"{len(repeated)} of {len(records)} gaps repeat the passage their song's form matched (e.g. bars "
               f"{start}-{end}, surroundings alike {repeated[0]['surroundings_similarity']:.2f}; {switches[1]} for "
               "the model's own)")  # fmt: skip
    return {"pieces_with_drawn_forms": drawn, "gaps_following_song_form": len(repeated)}


def _song_form(job: Job) -> dict[str, Any] | None:
    """The passage of the song the gap repeats because its surroundings match the gap's (``None`` when it does not)."""
    if job.song_form is None:
        return None
    return {"repeats_bars": list(job.song_form.source), "surroundings_similarity": round(job.song_form.similarity, 3)}


def _selection(selection: Any) -> dict[str, Any]:
    return {"spans": [list(span) for span in selection.spans], "tracks": list(selection.tracks)}


def _changed_outside(run: LoadedRun, piece: Generated) -> int | None:
    """Notes of the input song that came back changed outside the selection (``None`` without a song)."""
    job = piece.job
    if job.song is None or job.selection is None:
        return None
    slots = job.selection.tracks or tuple(job.song.slot_tracks)
    tracks = {index for slot in slots for index in job.song.slot_tracks.get(slot, ())}
    return notes_changed_outside(job.song.score, piece.score, gap_ticks(run, job), tracks)


def _shaded_quarters(run: LoadedRun, piece: Generated) -> list[tuple[float, float]]:
    """The selection's time spans in quarter notes, for the piano roll."""
    tpq = piece.score.ticks_per_quarter
    return [(start / tpq, end / tpq) for start, end in gap_ticks(run, piece.job)]
