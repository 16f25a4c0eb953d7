"""Load a trained run and generate: unconditional pieces or infillings, written as MIDI, tokens and pictures."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import torch

from smdiff import checkpoints as ckpt
from smdiff.config.converter import converter
from smdiff.config.resolve import drop_unknown_keys, to_dict
from smdiff.config.schema import SampleConfig, SmdiffConfig
from smdiff.data.bars import BarGrid
from smdiff.data.keys import transpose_score
from smdiff.devices import resolve_device, use_tensor_cores
from smdiff.diffusion.sampling import sample
from smdiff.errors import ConfigError, DataError
from smdiff.kernels import KernelBackend, select_kernel
from smdiff.midi import find_midi_files, load_score, save_score
from smdiff.pianoroll import save_piano_roll
from smdiff.progress import warn
from smdiff.tokenizer import Tokenizer


@attrs.frozen
class LoadedRun:
    """A trained model ready to sample, with the config it was trained with."""

    config: SmdiffConfig
    tokenizer: Tokenizer
    model: torch.nn.Module
    kernel: KernelBackend
    device: torch.device
    checkpoint: Path
    step: int
    window_length: int


def find_checkpoint(run_dir: Path, load_step: int | None) -> Path:
    """``None`` → newest valid periodic checkpoint; ``0`` → ``best.pt``; ``N`` → step N."""
    if not run_dir.is_dir():
        raise DataError(f"run directory {run_dir} does not exist; pass the --load_dir of a training run")
    if load_step == 0:
        path = ckpt.checkpoint_dir(run_dir) / "best.pt"
    elif load_step is not None:
        path = ckpt.step_checkpoint(run_dir, load_step)
    else:
        found = ckpt.latest_valid_checkpoint(run_dir)
        if found is None:
            raise DataError(f"{run_dir} holds no checkpoint yet; train it first or check --load_dir")
        return found[0]
    if not path.exists():
        raise DataError(f"{path} does not exist; `ls {ckpt.checkpoint_dir(run_dir)}` shows the steps saved")
    return path


def load_run(
    run_dir: Path,
    *,
    load_step: int | None,
    ema: bool,
    registries: Any,
    device: str = "auto",
    dataset_id: str | None = None,
) -> LoadedRun:
    """Rebuild the model of a run from its checkpoint (EMA weights by default)."""
    path = find_checkpoint(run_dir, load_step)
    payload = ckpt.load_checkpoint(path)
    stored, dropped = drop_unknown_keys(payload["config"])
    # a run from before key normalisation existed read its pieces in their own keys,
    stored.setdefault("data", {}).setdefault("normalise_key", False)
    for option in ckpt.ABSENT_MEANS_OFF:  # nor rotary positions, pitch context or relative bias,
        stored.setdefault("model", {}).setdefault(option, False)
    stored.setdefault("diffusion", {}).setdefault("pitch_weight", 1.0)  # nor a pitch-weighted loss
    if dropped:
        warn(f"{path} holds settings this smdiff no longer has, ignored: {', '.join(dropped)}")
    config = converter.structure(stored, SmdiffConfig)
    if dataset_id is not None and dataset_id != config.data.dataset_id:
        wanted = registries.datasets.get(dataset_id).tokenizer if dataset_id not in config.datasets else None
        if wanted != config.data.tokenizer_id:
            raise DataError(
                f"{path} was trained with tokenizer '{config.data.tokenizer_id}' but dataset '{dataset_id}' uses "
                f"'{wanted}'; sample with the run's own dataset ({config.data.dataset_id})"
            )
    tokenizer = registries.tokenizers.get(config.data.tokenizer_id).factory(config.data)
    if tokenizer.token_spec.digest() != payload["identity"]["token_spec_digest"]:
        raise DataError(f"{path} was trained on another TokenSpec than tokenizer '{tokenizer.id}' makes now")
    target = resolve_device(device)
    use_tensor_cores(target, config.train.tf32)
    length = tokenizer.window_length(config.data.bars)
    model = registries.models.get(config.model.id).factory(tokenizer.token_spec, config.model, length)
    weights = payload["ema"] if ema and payload.get("ema") is not None else payload["model"]
    model.load_state_dict(weights)
    model = calibrated(model, tokenizer, config.diffusion.pitch_weight)
    model.to(target).eval()
    kernel = select_kernel(config.kernels.backend, registries, target)
    return LoadedRun(config, tokenizer, model, kernel, target, path, payload["state"]["step"], length)


def calibrated(model: torch.nn.Module, tokenizer: Tokenizer, pitch_weight: float) -> torch.nn.Module:
    """``model`` whose predictions are those of the data again when it was trained with a pitch-weighted loss."""
    from smdiff.diffusion.calibration import PitchWeightCorrection
    from smdiff.diffusion.losses import pitch_answer_table

    table = pitch_answer_table(tokenizer.pitch_tokens(), tokenizer.token_spec)
    if pitch_weight == 1.0 or table is None:
        return model
    return PitchWeightCorrection(model, table, tokenizer.token_spec, pitch_weight)


def conditioning_window(run: LoadedRun, midi: Path) -> tuple[np.ndarray, int]:
    """The first window (starting at bar 0) of ``midi`` in the run's encoding, and the semitones it was moved by.

    A run trained on key-normalised data (``data.normalise_key``) reads the input
    in C major / A minor too; its output is moved back into the input's key.
    """
    encoding = run.tokenizer.encode(midi, bars=run.config.data.bars)
    if len(encoding.windows) == 0:
        raise DataError(f"{midi}: no notes in the tracks {', '.join(run.tokenizer.track_names)}")
    first = int(np.argmin(encoding.start_bars))
    if encoding.start_bars[first] != 0:
        raise DataError(f"{midi}: its first {encoding.start_bars[first]} bars are empty; trim the file first")
    return encoding.windows[first].astype(np.int64), encoding.transposition


def output_shift(config: SampleConfig, transposition: int | None) -> int:
    """Semitones to move a decoded sample by: back into its input's key, or into the asked ``--key``.

    Without an input, a key-normalised model writes in C major or A minor;
    ``config.key`` names another key signature (``"G"`` and ``"E minor"`` both mean one sharp).
    """
    if transposition is not None:
        return -transposition
    if config.key is None:
        return 0
    from smdiff.data.keys import Key

    return -Key.parse(config.key).normalising_shift


def input_files(config: SampleConfig) -> list[Path | None]:
    """The conditioning MIDI files, or ``[None]`` for tasks without input."""
    if config.input_midi:
        return [Path(config.input_midi)]
    if config.input_midi_dir:
        files = find_midi_files(config.input_midi_dir)
        if not files:
            raise DataError(f"no .mid or .midi files under {config.input_midi_dir}")
        return list(files)
    return [None]


def shaded_quarters(
    score: Any, region: np.ndarray, tokenizer: Tokenizer, config: SampleConfig
) -> list[tuple[float, float]]:
    """The generated bar range in quarter notes, for the piano roll (whole piece when tracks are masked)."""
    if config.task != "infill" or (config.mask_start_bar is None and config.mask_end_bar is None):
        return []
    grid = BarGrid.for_score(score)
    starts = grid.bar_start_ticks / score.ticks_per_quarter
    first = starts[min(config.mask_start_bar or 0, len(starts) - 1)]
    last = starts[min(config.mask_end_bar, len(starts) - 1)] if config.mask_end_bar is not None else starts[-1]
    return [(float(first), float(last))]


def generate(
    run: LoadedRun,
    config: SampleConfig,
    task: Any,
    out_dir: Path,
    *,
    originals: Sequence[np.ndarray] | None = None,
    on_sample: Callable[[int, int], None] = lambda done, total: None,
    on_step: Callable[[int, int], None] = lambda step, total: None,
) -> dict[str, Any]:
    """Run ``task`` for every input and write each sample's ``.mid``, ``.npy`` and ``.png``; returns the index."""
    jobs = _jobs(run, config, task, originals)
    out_dir.mkdir(parents=True, exist_ok=True)
    records, started = [], time.perf_counter()
    for first in range(0, len(jobs), config.batch_size):
        batch = jobs[first : first + config.batch_size]
        seed = config.seed + first
        initial = torch.from_numpy(np.stack([job["initial"] for job in batch])).to(run.device)
        began = time.perf_counter()
        tokens, denoiser = sample(
            run.model, run.kernel, run.tokenizer.token_spec, initial, method=config.sampler, steps=config.sample_steps,
            temperature=config.temperature, top_k=config.top_k, top_p=config.top_p, confidence_noise=config.confidence_noise,
            confidence_score=config.confidence_score,
            generator=torch.Generator(run.device).manual_seed(seed), on_step=on_step,
        )  # fmt: skip
        seconds = time.perf_counter() - began
        for offset, (job, window) in enumerate(zip(batch, tokens.cpu().numpy(), strict=True)):
            if job["original"] is not None:
                window = run.tokenizer.finish_infill(window, job["prepared"], job["region"], config.mask_end_bar)
            records.append(_write_sample(run, config, job, window, out_dir, first + offset, seed, seconds / len(batch)))
            # the sampler draws one batch's noise from one generator: a sample is reproduced by its batch
            records[-1].update(
                network_calls_in_batch=denoiser.calls, batch_samples=len(batch), position_in_batch=offset
            )
            on_sample(len(records), len(jobs))
    index = _index(run, config, records, time.perf_counter() - started)
    (out_dir / "index.json").write_text(json.dumps(index, indent=1))
    return index


def estimate_seconds(run: LoadedRun, config: SampleConfig, count: int) -> float:
    """About how long sampling ``count`` pieces takes: one timed network call × steps × batches."""
    from smdiff.diffusion.sampling import default_steps

    size = max(1, min(config.batch_size, count))
    tokens = torch.tensor(run.tokenizer.token_spec.mask_ids, device=run.device).expand(size, run.window_length, -1)
    with torch.no_grad():
        run.model(tokens)  # the first call pays one-time costs
        began = time.perf_counter()
        run.model(tokens)
        call = time.perf_counter() - began
    steps = config.sample_steps or default_steps(config.sampler, run.window_length)
    return call * steps * -(-count // size)


def _jobs(
    run: LoadedRun, config: SampleConfig, task: Any, originals: Sequence[np.ndarray] | None
) -> list[dict[str, Any]]:
    """One job per sample: the initial tokens, the region to generate and the original (conditioning) window."""
    if originals is not None and task.needs_input:
        task.check_bars(run.config.data.bars)
        starts = [task.initial(run.tokenizer, run.window_length, window) for window in originals]
        return [
            {"source": None, "initial": i, "region": r, "original": w, "prepared": np.where(r, w, i), "shift": 0}
            for (i, r), w in zip(starts, originals, strict=True)
        ]
    jobs = []
    if config.key is not None and task.needs_input:
        raise ConfigError(f"--key applies to tasks without input; {config.task} keeps the key of its input MIDI")
    if config.key is not None and not run.config.data.normalise_key:
        raise ConfigError(
            f"--key needs a model trained on key-normalised data; {run.checkpoint} was trained with "
            "data.normalise_key=false, so the key of what it writes is not known"
        )
    for source in input_files(config) if task.needs_input else [None]:
        window, transposition = conditioning_window(run, source) if source is not None else (None, None)
        task.check_bars(run.config.data.bars)
        initial, region = task.initial(run.tokenizer, run.window_length, window)
        prepared = None if window is None else np.where(region, window, initial)
        repeats = config.samples_per_midi if config.input_midi_dir else config.n_samples
        jobs += [
            {
                "source": source,
                "initial": initial,
                "region": region,
                "original": window,
                "prepared": prepared,
                "shift": output_shift(config, transposition),
            }
            for _ in range(repeats)
        ]
    return jobs


def _write_sample(
    run: LoadedRun,
    config: SampleConfig,
    job: dict,
    window: np.ndarray,
    out_dir: Path,
    index: int,
    seed: int,
    seconds: float,
) -> dict[str, Any]:
    stem = out_dir / f"sample_{index:04d}"
    np.save(stem.with_suffix(".npy"), window)
    if job["original"] is not None:  # what evaluation compares an infilling with
        np.save(out_dir / f"{stem.name}.original.npy", job["original"])
        np.save(out_dir / f"{stem.name}.region.npy", job["region"])
    repaired, dropped = run.tokenizer.repair(window)
    decoded = run.tokenizer.decode(repaired)
    in_key = transpose_score(decoded, job["shift"])
    score = in_key if job["source"] is None else in_input_time(run, in_key, load_score(job["source"]), job["source"])
    save_score(score, stem.with_suffix(".mid"))
    shaded = shaded_quarters(score, job["region"], run.tokenizer, config)
    save_piano_roll(score, stem.with_suffix(".png"), shaded=shaded, title=f"{config.task} sample {index}")
    changed = None if job["original"] is None else _notes_changed(run, config, job["original"], decoded)
    return {
        "index": index,
        "midi": stem.with_suffix(".mid").name,
        "tokens": stem.with_suffix(".npy").name,
        "piano_roll": stem.with_suffix(".png").name,
        "source": str(job["source"]) if job["source"] is not None else None,
        "seed": seed,
        "seconds": seconds,
        "generated_elements": int(job["region"].sum()),
        "units_dropped_by_repair": dropped,
        "semitones_moved": job["shift"],
        "outside_gap_notes_changed": changed,
    }


def in_input_time(run: LoadedRun, decoded: Any, source: Any, source_path: Path | None, first_bar: int = 0) -> Any:
    """The decoded sample on its input's bars, tempo map, time signatures and velocities.

    ``source`` is the input score; ``source_path`` the file whose bar annotations apply (if any);
    ``first_bar`` the bar of the input where the decoded window starts.
    """
    from smdiff.retime import onto_source

    return onto_source(
        decoded, source, bars=run.config.data.bars, source_path=source_path,
        time_signature=run.config.data.time_signature, first_bar=first_bar,
    )  # fmt: skip


def _notes_changed(run: LoadedRun, config: SampleConfig, original: np.ndarray, generated: Any) -> int:
    """Notes of the decoded output that differ from the decoded input outside the gap (0 = the contract holds)."""
    from smdiff.evaluation import Gap
    from smdiff.infill_contract import notes_changed_outside_gap
    from smdiff.notes import NoteTable

    bars = run.config.data.bars
    gap = Gap.of(config.mask_start_bar, config.mask_end_bar, config.mask_tracks, run.tokenizer.track_names, bars)
    before = NoteTable.from_score(run.tokenizer.decode(run.tokenizer.repair(original)[0]), n_bars=bars)
    return notes_changed_outside_gap(before, NoteTable.from_score(generated, n_bars=bars), gap)


def _index(run: LoadedRun, config: SampleConfig, records: Sequence[dict], seconds: float) -> dict[str, Any]:
    return {
        "checkpoint": str(run.checkpoint),
        "step": run.step,
        "model": run.config.model.id,
        "tokenizer": run.tokenizer.id,
        "dataset": run.config.data.dataset_id,
        "sample": to_dict(attrs.evolve(run.config, sample=config))["sample"],
        "data": to_dict(run.config)["data"],
        "seconds": seconds,
        "samples_per_second": len(records) / seconds if seconds else None,
        "samples": list(records),
    }
