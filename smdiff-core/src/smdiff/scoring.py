"""``smdiff evaluate``'s data: samples read back from a sample folder, and reference pieces from the test split."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from smdiff.config.converter import converter
from smdiff.config.resolve import drop_unknown_keys
from smdiff.config.schema import DataConfig
from smdiff.data.cache import TokenCache
from smdiff.errors import DataError
from smdiff.evaluation import Evaluation, Gap, InfillPair
from smdiff.notes import NoteTable
from smdiff.tokenizer import Tokenizer

MAX_REFERENCE_PIECES = 1000


def notes_of(tokenizer: Tokenizer, window: np.ndarray, bars: int) -> tuple[NoteTable, bool]:
    """Decoded notes of a window, and whether it decoded without repair."""
    repaired, dropped = tokenizer.repair(np.asarray(window, dtype=np.int64))
    return NoteTable.from_score(tokenizer.decode(repaired), n_bars=bars), dropped == 0


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


def read_index(sample_dir: Path) -> dict[str, Any]:
    """The ``index.json`` that ``smdiff sample`` wrote."""
    path = sample_dir / "index.json"
    if not path.is_file():
        raise DataError(f"{sample_dir} has no index.json; pass a folder written by `smdiff sample`")
    return json.loads(path.read_text())


def data_config_of(index: dict[str, Any]) -> DataConfig:
    """The data settings the samples were made with (settings since removed from smdiff are ignored)."""
    data, _ = drop_unknown_keys(index["data"], DataConfig)
    return converter.structure(data, DataConfig)


def load_samples(sample_dir: Path, tokenizer: Tokenizer, index: dict[str, Any], bars: int) -> Evaluation:
    """Decode every sample of a folder (and for infilling, its original and gap) into an :class:`Evaluation`."""
    settings = index["sample"]
    task = settings["task"]
    samples, valid, pairs = [], [], []
    names = [name.lower() for name in tokenizer.track_names]
    tracks = tuple(names.index(t.lower()) for t in settings.get("mask_tracks", []) if t.lower() in names)
    gap = Gap(settings.get("mask_start_bar") or 0, settings.get("mask_end_bar") or bars, tracks)
    for record in index["samples"]:
        tokens = np.load(sample_dir / record["tokens"])
        table, ok = notes_of(tokenizer, tokens, bars)
        samples.append(table)
        valid.append(ok)
        stem = Path(record["tokens"]).stem
        original_path = sample_dir / f"{stem}.original.npy"
        if task == "infill" and original_path.exists():
            original = np.load(original_path)
            region = np.load(sample_dir / f"{stem}.region.npy")
            pairs.append(InfillPair(notes_of(tokenizer, original, bars)[0], table, gap, original, tokens, region))
    return Evaluation(task=task, samples=samples, reference=[], valid=valid, pairs=pairs)


def test_windows(cache_file: Path, tokenizer: Tokenizer, version: str, count: int) -> list[np.ndarray]:
    """The first ``count`` test-split windows: the originals an infilling evaluation fills."""
    cache = TokenCache.load(
        cache_file, tokenizer_id=tokenizer.id, tokenizer_version=version, rebuild_hint="smdiff prepare"
    )
    indices = cache.split_indices("test")[:count]
    if len(indices) == 0:
        raise DataError(f"the test split of {cache_file} is empty; infilling evaluation needs test pieces")
    return [np.asarray(cache.windows[i], dtype=np.int64) for i in indices]


def evaluate_folder(
    sample_dir: Path,
    registries: Any,
    *,
    cache_file_for: Any,
    reference_split: str,
    metrics: tuple[str, ...],
    out_dir: Path,
) -> tuple[Evaluation, dict[str, dict[str, Any]], Path, list[Path]]:
    """Score a sample folder: metrics JSON, metric plots and a piano-roll grid in ``out_dir``."""
    from smdiff.evaluation import draw, score, write_report
    from smdiff.pianoroll import save_piano_roll_grid

    index = read_index(sample_dir)
    data = data_config_of(index)
    spec = registries.tokenizers.get(data.tokenizer_id)
    tokenizer = spec.factory(data)
    evaluation = load_samples(sample_dir, tokenizer, index, data.bars)
    reference = reference_tables(data, tokenizer, spec.version, cache_file_for(data), reference_split)
    evaluation = Evaluation(evaluation.task, evaluation.samples, reference, evaluation.valid, evaluation.pairs)
    results = score(evaluation, registries, metrics)
    report = write_report(
        out_dir / f"metrics_{evaluation.task}.json", evaluation, results,
        {"sample_dir": str(sample_dir), "checkpoint": index["checkpoint"], "reference_split": reference_split},
    )  # fmt: skip
    pictures = draw(evaluation, registries, out_dir)
    first = [tokenizer.decode(tokenizer.repair(np.load(sample_dir / r["tokens"]))[0]) for r in index["samples"][:8]]
    pictures.append(
        save_piano_roll_grid(first, out_dir / f"piano_rolls_{evaluation.task}.png", title=f"{evaluation.task} samples")
    )
    return evaluation, results, report, pictures
