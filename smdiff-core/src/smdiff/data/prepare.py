"""``smdiff prepare``: a folder of MIDI files → one token cache, in parallel.

Files are encoded in batches (``Tokenizer.encode_many``): each file is read
on its own and the batch is tokenized in one vectorised pass. A corrupt,
truncated, empty, non-MIDI or note-less file is skipped with its reason and
counted, never crashing the run.
Windows are stored in file order, so the cache does not depend on the number
of workers.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from smdiff.config.schema import DataConfig
from smdiff.data.allocator import reuse_freed_memory
from smdiff.data.cache import TokenCache, smallest_dtype, write_cache
from smdiff.data.splits import assign_splits
from smdiff.errors import DataError, SmdiffError
from smdiff.midi import find_midi_files, load_score
from smdiff.tokenizer import EncodeFailure, Tokenizer


@attrs.frozen
class FileResult:
    """What encoding one file gave: its windows, or the reason it was skipped."""

    index: int
    windows: np.ndarray | None = None
    start_bars: np.ndarray | None = None
    counts: dict[str, int] = attrs.field(factory=dict)
    reason: str | None = None
    #: semitones the file was moved into C major / A minor (``data.normalise_key``)
    transposition: int = 0
    #: the rule that filled each track slot (:mod:`smdiff.data.roles`)
    roles: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen
class PrepareReport:
    """What ``prepare`` did: files found and encoded, windows, what was skipped and why, timings."""

    cache: TokenCache
    files_found: int
    files_encoded: int
    skipped: list[dict[str, str]]
    counts: dict[str, int]
    seconds: float

    def skipped_by_reason(self) -> Counter[str]:
        """How many files were skipped for each reason."""
        return Counter(item["reason"] for item in self.skipped)


#: note counts that mean notes were lost, the count each is a share of, and what to do about it
DROPPED_NOTES = (
    ("notes_past_max_notes", "notes_in_windows",
     "windows hold at most data.max_notes notes: prepare shorter windows (--bars 32) or raise data.max_notes"),
    ("notes_dropped_polyphony", "notes",
     "a grid channel sounds one note at a time: choose a monophonic track with data.track_map, "
     "or use an Octuple tokenizer, which keeps chords"),
    ("notes_out_of_range", "notes", "the tokenizer's pitch range leaves these out"),
)  # fmt: skip
#: share of dropped notes above which ``smdiff prepare`` warns
DROPPED_NOTES_WARNING = 0.05

#: files per call of ``Tokenizer.encode_many`` (enough to amortise a vectorised pass, small enough to spread)
ENCODE_BATCH = 64

_worker: dict[str, Any] = {}


def _init_worker(make_tokenizer: Callable[[], Tokenizer], config: DataConfig) -> None:
    reuse_freed_memory()
    _worker["tokenizer"] = make_tokenizer()
    _worker["config"] = config


def _skip(index: int, reason: str, counts: dict[str, int] | None = None) -> FileResult:
    return FileResult(index, counts=counts or {}, reason=reason)


def _encode_batch(jobs: list[tuple[int, str]]) -> list[FileResult]:
    """Encode a batch of files with one ``encode_many`` call; each file that fails is skipped with its reason."""
    tokenizer: Tokenizer = _worker["tokenizer"]
    config: DataConfig = _worker["config"]
    results: dict[int, FileResult] = {}
    todo: list[tuple[int, Any, str]] = []
    for index, path in jobs:
        if not config.strict_tempo:
            todo.append((index, path, path))
            continue
        try:
            score = load_score(path)
        except SmdiffError as error:
            results[index] = _skip(index, str(error).removeprefix(f"{path}: "))
            continue
        if len({round(tempo.qpm, 3) for tempo in score.tempos}) > 1:
            results[index] = _skip(index, "tempo changes (strict_tempo is on)")
        else:
            todo.append((index, score, path))
    try:
        encoded = tokenizer.encode_many(
            [midi for _, midi, _ in todo],
            bars=config.bars,
            max_windows=config.max_tensors_per_ns,
            sources=[path for _, _, path in todo],
        )
    except Exception as error:  # a failure of the whole batch (e.g. a setting the tokenizer refuses)
        encoded = [EncodeFailure.of(error)] * len(todo)
    dtype = smallest_dtype(tokenizer.token_spec)
    for (index, _, path), encoding in zip(todo, encoded, strict=True):
        if isinstance(encoding, EncodeFailure):
            results[index] = _skip(index, encoding.reason.removeprefix(f"{path}: "))
        elif len(encoding.windows) == 0:
            results[index] = _skip(index, "no notes in the selected tracks", dict(encoding.counts))
        else:
            windows = encoding.windows.astype(dtype, copy=False)
            results[index] = FileResult(
                index, windows, encoding.start_bars, dict(encoding.counts),
                transposition=encoding.transposition, roles=dict(encoding.roles),
            )  # fmt: skip
    return [results[index] for index, _ in jobs]


def _run(jobs: list[tuple[int, str]], workers: int, init_args: tuple, on_file: Callable[[], None]) -> list[FileResult]:
    size = max(1, min(ENCODE_BATCH, -(-len(jobs) // workers)))
    batches = [jobs[start : start + size] for start in range(0, len(jobs), size)]
    if workers <= 1:
        _init_worker(*init_args)
        return _collect(map(_encode_batch, batches), on_file)
    context = get_context("fork" if "fork" in get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=init_args) as pool:
        return _collect(pool.map(_encode_batch, batches), on_file)


def _collect(outcomes: Iterable[list[FileResult]], on_file: Callable[[], None]) -> list[FileResult]:
    """The results of every batch, in order, reporting each file as its batch completes."""
    results: list[FileResult] = []
    for outcome in outcomes:
        results.extend(outcome)
        for _ in outcome:
            on_file()
    return results


def dropped_note_warnings(counts: dict[str, int]) -> list[str]:
    """One line for each way of losing notes that cost more than :data:`DROPPED_NOTES_WARNING` of them."""
    warnings = []
    for dropped, total, fix in DROPPED_NOTES:
        if counts.get(dropped, 0) > DROPPED_NOTES_WARNING * max(counts.get(total, 0), 1):
            share = counts[dropped] / counts[total]
            warnings.append(f"{counts[dropped]:,} notes ({share:.0%}) dropped as {dropped.replace('_', ' ')}: {fix}")
    return warnings


def roles_summary(roles: Iterable[dict[str, str]]) -> dict[str, dict[str, int]]:
    """For each track slot, how many files filled it by each rule."""
    summary: dict[str, Counter[str]] = {}
    for file_roles in roles:
        for slot, rule in file_roles.items():
            summary.setdefault(slot, Counter())[rule] += 1
    return {slot: dict(rules.most_common()) for slot, rules in summary.items()}


def prepare_cache(
    config: DataConfig,
    make_tokenizer: Callable[[], Tokenizer],
    cache_path: Path,
    *,
    tokenizer_version: str,
    on_start: Callable[[int], None] = lambda total: None,
    on_file: Callable[[], None] = lambda: None,
) -> PrepareReport:
    """Encode every MIDI file under ``config.root_dir`` and write the cache at ``cache_path``.

    ``make_tokenizer`` must be picklable (it is called once in each worker);
    ``tokenizer_version`` is its spec's version, stored in the sidecar.
    """
    started = time.perf_counter()
    if not config.root_dir:
        raise DataError("no MIDI folder given: pass --root_dir DIR or a --dataset_id whose folder exists")
    root = Path(config.root_dir)
    if not root.is_dir():
        raise DataError(f"MIDI folder {root} does not exist; pass --root_dir DIR (POP909: set SMDIFF_POP909)")
    files = find_midi_files(root)
    if config.limit is not None:
        files = files[: config.limit]
    if not files:
        raise DataError(f"no .mid or .midi files under {root}; check --root_dir")
    tokenizer = make_tokenizer()
    on_start(len(files))
    workers = min(config.num_workers or os.cpu_count() or 1, len(files))
    results = _run([(i, str(p)) for i, p in enumerate(files)], workers, (make_tokenizer, config), on_file)

    counts: Counter[str] = Counter()
    skipped: list[dict[str, str]] = []
    kept: list[FileResult] = []
    for result in sorted(results, key=lambda r: r.index):
        counts.update(result.counts)
        if result.reason is None:
            kept.append(result)
        else:
            skipped.append({"file": str(files[result.index].relative_to(root)), "reason": result.reason})
    if not kept:
        first = skipped[0]
        raise DataError(
            f"none of the {len(files)} MIDI files under {root} could be encoded "
            f"(e.g. {first['file']}: {first['reason']}); nothing was written"
        )
    encoded_files = [str(files[result.index].relative_to(root)) for result in kept]
    windows = np.concatenate([result.windows for result in kept])
    window_file = np.concatenate([np.full(len(result.windows), n) for n, result in enumerate(kept)])
    transpositions = [result.transposition for result in kept]
    meta = {
        "tokenizer": {"id": tokenizer.id, "version": tokenizer_version},
        "token_spec": tokenizer.token_spec.to_dict(),
        "token_spec_digest": tokenizer.token_spec.digest(),
        "dataset_id": config.dataset_id,
        "bars": config.bars,
        "window_length": int(windows.shape[1]),
        "track_names": list(tokenizer.track_names),
        "root_dir": str(root.resolve()),
        "settings": {
            "time_signature": config.time_signature,
            "track_map": dict(config.track_map),
            "max_notes": config.max_notes,
            "max_tensors_per_ns": config.max_tensors_per_ns,
            "strict_tempo": config.strict_tempo,
            "normalise_key": config.normalise_key,
            "split": list(config.split),
            "split_seed": config.split_seed,
        },
        "files": encoded_files,
        "file_split": assign_splits(len(encoded_files), config.split, config.split_seed),
        # semitones each file was moved into C major / A minor (data.normalise_key); minus it restores the key
        "file_transposition": transpositions,
        "window_file": window_file.tolist(),
        "window_start_bar": np.concatenate([result.start_bars for result in kept]).tolist(),
        # the rule that filled each track slot of each file (data.track_map, a name, a program, statistics, …)
        "file_roles": [result.roles for result in kept],
        "roles_summary": roles_summary(result.roles for result in kept),
        "skipped": skipped,
        "warnings": dropped_note_warnings(dict(counts)),
        "counts": {
            "files_found": len(files),
            "files_encoded": len(kept),
            "files_transposed": sum(1 for shift in transpositions if shift),
            "windows": len(windows),
            **counts,
        },
    }
    cache = write_cache(cache_path, windows, meta)
    return PrepareReport(cache, len(files), len(kept), skipped, dict(counts), time.perf_counter() - started)
