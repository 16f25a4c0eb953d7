"""The pipeline: jobs in, pieces out — sampled in batches, finished by their task, decoded, put back into the song."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import attrs
import numpy as np
import symusic
import torch

from smdiff.config.schema import SampleConfig
from smdiff.data.keys import transpose_score
from smdiff.diffusion.sampling import sample
from smdiff.inference.jobs import Job
from smdiff.inference.runs import LoadedRun
from smdiff.inference.splice import splice
from smdiff.tasks import Task

OnStep = Callable[[int, int], None]


@attrs.frozen
class Generated:
    """One finished piece.

    ``tokens`` is the model window after sampling and the task's finishing;
    ``window_score`` the window decoded (in the input's key, and on the input's
    bars and tempo when there is a song); ``score`` what the user gets: the
    song with only its selection replaced, or the new piece.
    """

    job: Job
    tokens: np.ndarray = attrs.field(eq=False)
    window_score: symusic.Score = attrs.field(eq=False)
    score: symusic.Score = attrs.field(eq=False)
    repaired_units: int
    seed: int
    seconds: float
    network_calls_in_batch: int
    batch_samples: int
    position_in_batch: int


def generate(
    run: LoadedRun,
    task: Task,
    jobs: Sequence[Job],
    settings: SampleConfig,
    *,
    on_step: OnStep = lambda step, total: None,
    on_piece: Callable[[int, int], None] = lambda done, total: None,
) -> list[Generated]:
    """Every job, ``settings.batch_size`` at a time; batch ``k`` (from job ``i``) draws from seed ``settings.seed + i``.

    ``on_step`` sees the reverse steps of each batch (and may raise to cancel);
    ``on_piece`` the pieces finished so far.
    """
    results: list[Generated] = []
    for first in range(0, len(jobs), settings.batch_size):
        batch = jobs[first : first + settings.batch_size]
        seed = settings.seed + first
        initial = torch.from_numpy(np.stack([job.initial for job in batch])).to(run.device)
        ties = batch_ties(batch)
        began = time.perf_counter()
        tokens, denoiser = sample(
            run.model, run.kernel, run.tokenizer.token_spec, initial, method=settings.sampler,
            steps=settings.sample_steps, temperature=settings.temperature, top_k=settings.top_k, top_p=settings.top_p,
            confidence_noise=settings.confidence_noise, confidence_score=settings.confidence_score,
            generator=torch.Generator(run.device).manual_seed(seed), on_step=on_step,
            ties=None if ties is None else ties.to(run.device),
        )  # fmt: skip
        seconds = (time.perf_counter() - began) / len(batch)
        for offset, (job, window) in enumerate(zip(batch, tokens.cpu().numpy(), strict=True)):
            finished = window if job.prepared is None else task.finish(
                run.tokenizer, window, job.prepared, job.region, job.window, job.window_selection
            )  # fmt: skip
            repaired, dropped = run.tokenizer.repair(finished)
            decoded = transpose_score(run.tokenizer.decode(repaired), job.shift)
            window_score, score = in_song(run, job, decoded)
            results.append(
                Generated(
                    job, finished, window_score, score, dropped, seed, seconds, denoiser.calls, len(batch), offset
                )
            )
            on_piece(len(results), len(jobs))
    return results


def batch_ties(batch: Sequence[Job]) -> torch.Tensor | None:
    """The batch's tie maps ``[B, L, C]`` (untied rows for jobs without one); ``None`` when no job ties anything."""
    if all(job.ties is None for job in batch):
        return None
    from smdiff.form.ties import untied

    maps = [untied(*job.initial.shape) if job.ties is None else job.ties for job in batch]
    return torch.from_numpy(np.stack(maps))


def in_song(run: LoadedRun, job: Job, decoded: symusic.Score) -> tuple[symusic.Score, symusic.Score]:
    """The decoded window on its song's time, and the song with the job's selection replaced by it.

    Without a song both are the decoded window.
    """
    if job.song is None or job.selection is None:
        return decoded, decoded
    from smdiff.retime import onto_source

    song = job.song
    timed = onto_source(
        decoded, song.score, bars=run.config.data.bars, source_path=song.bars_from,
        time_signature=run.config.data.time_signature, first_bar=job.first_bar,
    )  # fmt: skip
    tracks = job.selection.tracks or tuple(song.slot_tracks)
    return timed, splice(song.score, timed, song.slot_tracks, tracks, gap_ticks(run, job))


def gap_ticks(run: LoadedRun, job: Job) -> list[tuple[int, int]]:
    """The tick ranges of the song that the job's selection replaces (empty without a song)."""
    if job.song is None or job.selection is None:
        return []
    starts = job.song.bar_starts(run.config.data.time_signature)
    return [(round(starts[start]), round(starts[min(end, len(starts) - 1)])) for start, end in job.selection.spans]


def estimate_seconds(run: LoadedRun, settings: SampleConfig, count: int) -> float:
    """About how long sampling ``count`` pieces takes: one timed network call × steps × batches."""
    from smdiff.diffusion.forward import mask_ids
    from smdiff.diffusion.sampling import default_steps

    size = max(1, min(settings.batch_size, count))
    tokens = mask_ids(run.tokenizer.token_spec, run.device).expand(size, run.window_length, -1)
    with torch.no_grad():
        run.model(tokens)  # the first call pays one-time costs
        began = time.perf_counter()
        run.model(tokens)
        call = time.perf_counter() - began
    steps = settings.sample_steps or default_steps(settings.sampler, run.window_length)
    return call * steps * -(-count // size)
