"""One inference pipeline for every front end: a trained run, a task, inputs and sampler settings in; pieces out.

``smdiff sample``, ``smdiff evaluate``, the studio and the benchmarks all go
through it and add only their own concerns (files and folders, HTTP, progress,
cancelling):

1. :func:`load_run` — the model of a run (EMA weights by default);
2. jobs — :func:`new_piece_jobs`, :func:`song_jobs` (the task's selection of a
   user's song, in the model window that holds it best) or :func:`window_jobs`
   (token windows, as evaluation fills them);
3. :func:`generate` — sampling in batches, the task's finishing, decoding, and
   for a song the result put back into it: **every front end returns the
   user's song**, whole, every track, with only the selection replaced.
"""

from smdiff.inference.folder import sample_to_folder, write_folder
from smdiff.inference.jobs import (
    Job,
    covering_window,
    jobs_for,
    key_shift,
    new_piece_forms,
    new_piece_jobs,
    song_jobs,
    window_jobs,
)
from smdiff.inference.pipeline import Generated, estimate_seconds, gap_ticks, generate
from smdiff.inference.runs import LoadedRun, find_checkpoint, load_run
from smdiff.inference.songs import Song, slot_tracks_of
from smdiff.inference.splice import notes_changed_outside, splice

__all__ = [
    "Generated",
    "Job",
    "LoadedRun",
    "Song",
    "covering_window",
    "estimate_seconds",
    "find_checkpoint",
    "gap_ticks",
    "generate",
    "jobs_for",
    "key_shift",
    "load_run",
    "new_piece_forms",
    "new_piece_jobs",
    "notes_changed_outside",
    "sample_to_folder",
    "slot_tracks_of",
    "song_jobs",
    "splice",
    "window_jobs",
    "write_folder",
]
