"""``smdiff evaluate``'s data: samples read back from a folder, and the reference pieces they are compared with.

A folder written by ``smdiff sample`` (it holds ``index.json``) is decoded from
its token files, with its originals and gaps for infilling. Any other folder of
MIDI files is read as MIDI: each file is cut into windows by the dataset's
tokenizer, so its tracks are mapped and its notes quantised exactly as the
reference data's are, and files that cannot be read are listed, never fatal.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from smdiff.config.converter import converter
from smdiff.config.resolve import drop_unknown_keys
from smdiff.config.schema import DataConfig
from smdiff.data.cache import TokenCache
from smdiff.errors import DataError
from smdiff.evaluation.core import Evaluation, Gap, InfillPair
from smdiff.inference.folder import has_index, read_index, unasked_forms
from smdiff.midi import find_midi_files
from smdiff.notes import NoteTable
from smdiff.tokenizer import EncodeFailure, Tokenizer
from smdiff.tokenizer import window_notes as notes_of

if TYPE_CHECKING:
    from smdiff.registry import Registries

MAX_REFERENCE_PIECES = 1000


def reference_tables(
    data: DataConfig, tokenizer: Tokenizer, version: str, cache_path: Path, split: str
) -> list[NoteTable]:
    """Decoded windows of the dataset's ``split`` (at most 1000), the data samples are compared with."""
    cache = TokenCache.load(
        cache_path, tokenizer_id=tokenizer.id, tokenizer_version=version, rebuild_hint="smdiff prepare"
    )
    indices = cache.split_indices(split)[:MAX_REFERENCE_PIECES]
    if len(indices) == 0:
        raise DataError(f"the {split} split of {cache_path} is empty; choose eval.reference_split or change data.split")
    return [notes_of(tokenizer, cache.windows[i], data.bars)[0] for i in indices]


@attrs.frozen
class Unreadable:
    """A file that gave no notes to score, and why."""

    file: str
    reason: str


@attrs.frozen
class MidiFolder:
    """The windows of every MIDI file of a folder as notes, and the files that gave none."""

    tables: list[NoteTable]
    scores: list[Any]
    unreadable: list[Unreadable]
    files: int


PREVIEW_SCORES = 8


def read_midi_folder(folder: Path, tokenizer: Tokenizer, data: DataConfig) -> MidiFolder:
    """Cut each MIDI file of ``folder`` into the tokenizer's windows (at most ``data.max_tensors_per_ns`` a file).

    Every window becomes one piece, decoded back to notes as the tokenizer
    hears it. Unreadable files and files without notes in the tokenizer's
    tracks are listed with their reasons.
    """
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder; pass a folder of MIDI files or one written by `smdiff sample`")
    files = find_midi_files(folder)
    if not files:
        raise DataError(f"{folder} holds no .mid or .midi files (and no index.json of `smdiff sample`)")
    encodings = tokenizer.encode_many(files, bars=data.bars, max_windows=data.max_tensors_per_ns, sources=files)
    tables, scores, unreadable = [], [], []
    for path, encoding in zip(files, encodings, strict=True):
        name = str(path.relative_to(folder))
        if isinstance(encoding, EncodeFailure):
            unreadable.append(Unreadable(name, encoding.reason))
            continue
        if len(encoding.windows) == 0:
            unreadable.append(Unreadable(name, f"no notes in the tracks {', '.join(tokenizer.track_names)}"))
            continue
        for window in encoding.windows:
            score = tokenizer.decode(np.asarray(window, dtype=np.int64))
            tables.append(NoteTable.from_score(score, n_bars=data.bars))
            if len(scores) < PREVIEW_SCORES:
                scores.append(score)
    if not tables:
        raise DataError(f"no file under {folder} gave notes to score; first reason: {unreadable[0].reason}")
    return MidiFolder(tables, scores, unreadable, len(files))


def fresh_report_dir(base: Path, task: str) -> Path:
    """``base``, or ``base-2``, ``base-3``, … : the first that holds no ``metrics_<task>.json`` yet."""
    candidate, number = base, 1
    while (candidate / f"metrics_{task}.json").exists():
        number += 1
        candidate = base.with_name(f"{base.name}-{number}")
    return candidate


def data_config_of(index: dict[str, Any]) -> DataConfig:
    """The data settings the samples were made with (settings since removed from smdiff are ignored)."""
    data, _ = drop_unknown_keys(index["data"], DataConfig)
    return converter.structure(data, DataConfig)


def load_samples(sample_dir: Path, tokenizer: Tokenizer, index: dict[str, Any], bars: int) -> Evaluation:
    """Decode every sample of a folder (and where it kept an input, its original and gap) into an :class:`Evaluation`."""
    samples, valid, pairs = [], [], []
    for record in index["samples"]:
        tokens = np.load(sample_dir / record["tokens"])
        table, ok = notes_of(tokenizer, tokens, bars)
        samples.append(table)
        valid.append(ok)
        stem = Path(record["tokens"]).stem
        original_path = sample_dir / f"{stem}.original.npy"
        if original_path.exists() and record.get("window_selection"):
            selection = record["window_selection"]
            gap = Gap.of(selection["spans"], selection["tracks"], tokenizer.track_names)
            original = np.load(original_path)
            region = np.load(sample_dir / f"{stem}.region.npy")
            pairs.append(InfillPair(notes_of(tokenizer, original, bars)[0], table, gap, original, tokens, region))
    return Evaluation(task=index["sample"]["task"], samples=samples, reference=[], valid=valid, pairs=pairs)


def songs_first(indices: np.ndarray, songs: np.ndarray) -> np.ndarray:
    """``indices`` reordered so each song's first window comes first, then each song's second, and so on."""
    order = np.argsort(songs, kind="stable")
    sorted_songs = songs[order]
    starts = np.flatnonzero(np.r_[True, sorted_songs[1:] != sorted_songs[:-1]])
    rank = np.empty(len(songs), dtype=np.int64)
    rank[order] = np.arange(len(songs)) - np.repeat(starts, np.diff(np.r_[starts, len(songs)]))
    return indices[np.lexsort((songs, rank))]


def test_windows(cache_file: Path, tokenizer: Tokenizer, version: str, count: int) -> list[np.ndarray]:
    """``count`` test-split windows, songs first: the originals an infilling evaluation fills.

    The first window of every test song comes before any song's second one, so
    ``count`` infillings cover as many different songs as the split has.
    """
    cache = TokenCache.load(
        cache_file, tokenizer_id=tokenizer.id, tokenizer_version=version, rebuild_hint="smdiff prepare"
    )
    indices = songs_first(
        cache.split_indices("test"), np.asarray(cache.meta["window_file"])[cache.split_indices("test")]
    )
    indices = indices[:count]
    if len(indices) == 0:
        raise DataError(f"the test split of {cache_file} is empty; infilling evaluation needs test pieces")
    return [np.asarray(cache.windows[i], dtype=np.int64) for i in indices]


@attrs.frozen
class Scored:
    """What ``smdiff evaluate`` produced: the evaluation, its metric values, the report and the pictures."""

    evaluation: Evaluation
    results: dict[str, dict[str, Any]]
    report: Path
    pictures: list[Path]
    unreadable: list[Unreadable]


def evaluate_folder(
    sample_dir: Path,
    registries: Registries,
    *,
    data: DataConfig,
    cache_file_for: Any,
    reference_split: str,
    metrics: tuple[str, ...],
    out_dir: Path,
    reference_dir: Path | None = None,
    kept_samples: bool = True,
    probe: Sequence[Any] | None = None,
) -> Scored:
    """Score a folder (``smdiff sample``'s, or any MIDI): metrics JSON, plots and piano rolls in ``out_dir``.

    ``data`` is used for folders without ``index.json``; a sample folder
    brings the data settings its samples were made with. The reference is
    ``reference_dir`` (any MIDI folder) when given, else the dataset's
    ``reference_split``. ``out_dir`` must not hold a report of the same task.
    ``kept_samples=False`` says ``sample_dir`` is a temporary folder (the report
    does not point at it); ``probe`` results are added to the report.
    """
    from smdiff.evaluation.report import draw, score, write_report
    from smdiff.pianoroll import save_piano_roll_grid

    extra: dict[str, Any] = {"sample_dir": str(sample_dir) if kept_samples else None}
    unreadable: list[Unreadable] = []
    if has_index(sample_dir):
        index = read_index(sample_dir)
        data = data_config_of(index)
        tokenizer = registries.tokenizers.get(data.tokenizer_id).factory(data)
        evaluation = load_samples(sample_dir, tokenizer, index, data.bars)
        previews = [
            tokenizer.decode(tokenizer.repair(np.load(sample_dir / r["tokens"]))[0])
            for r in index["samples"][:PREVIEW_SCORES]
        ]
        extra["checkpoint"] = index["checkpoint"]
        extra.update(unasked_forms(index, ("sample.form_prior=false", "sample.song_form=false")))
    else:
        tokenizer = registries.tokenizers.get(data.tokenizer_id).factory(data)
        folder = read_midi_folder(sample_dir, tokenizer, data)
        evaluation = Evaluation("uncond", folder.tables, [], [len(t) > 0 for t in folder.tables])
        previews, unreadable = folder.scores, folder.unreadable
        extra["files"] = folder.files
    version = registries.tokenizers.get(data.tokenizer_id).version
    if reference_dir is not None:
        reference_folder = read_midi_folder(reference_dir, tokenizer, data)
        reference = reference_folder.tables
        extra["reference_dir"] = str(reference_dir)
        extra["reference_unreadable"] = [attrs.asdict(u) for u in reference_folder.unreadable]
    else:
        reference = reference_tables(data, tokenizer, version, cache_file_for(data), reference_split)
        extra["reference_split"] = reference_split
    evaluation = attrs.evolve(evaluation, reference=reference)
    extra.update(tokenizer=data.tokenizer_id, bars=data.bars, unreadable=[attrs.asdict(u) for u in unreadable])
    if probe is not None:
        extra["probe"] = [attrs.asdict(result) for result in probe]
    results = score(evaluation, registries, metrics)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = write_report(out_dir / f"metrics_{evaluation.task}.json", evaluation, results, extra)
    pictures = draw(evaluation, registries, out_dir)
    pictures.append(
        save_piano_roll_grid(
            previews, out_dir / f"piano_rolls_{evaluation.task}.png", title=f"{evaluation.task} samples"
        )
    )
    return Scored(evaluation, results, report, pictures, unreadable)
