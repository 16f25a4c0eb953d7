"""Where named datasets keep their caches."""

from __future__ import annotations

import os
from pathlib import Path

from smdiff.config.schema import SmdiffConfig
from smdiff.specs import DatasetSpec

CACHE_DIR_ENV = "SMDIFF_CACHE_DIR"
DEFAULT_CACHE_DIR = Path("data") / "cache"


def cache_dir() -> Path:
    """The folder for dataset caches: ``$SMDIFF_CACHE_DIR`` or ``./data/cache``."""
    return Path(os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR)


def default_cache_path(dataset_id: str, tokenizer_id: str, bars: int) -> Path:
    """The cache a dataset is prepared into when no ``--cache_path`` is given."""
    return cache_dir() / f"{dataset_id}-{tokenizer_id}-{bars}bars.npy"


def config_cache_path(config: SmdiffConfig) -> Path:
    """The cache ``config`` reads or writes: ``data.cache_path`` or the default for its dataset."""
    data = config.data
    return (
        Path(data.cache_path) if data.cache_path else default_cache_path(data.dataset_id, data.tokenizer_id, data.bars)
    )


def prepare_hint(config: SmdiffConfig) -> str:
    """The ``smdiff prepare`` command that builds ``config``'s cache (for error messages)."""
    data = config.data
    hint = f"smdiff prepare --dataset_id {data.dataset_id} --tokenizer_id {data.tokenizer_id} --bars {data.bars}"
    if data.root_dir:
        hint += f" --root_dir {data.root_dir}"
    if data.cache_path:
        hint += f" --cache_path {data.cache_path}"
    return hint


def describe_dataset(spec: DatasetSpec) -> str:
    """One line for ``smdiff list datasets``: tokenizer, bars, length, cache path and whether it exists."""
    from smdiff.config.resolve import expand_root

    path = default_cache_path(spec.id, spec.tokenizer, spec.bars)
    state = "ready" if path.exists() else "not prepared"
    return f"tokenizer {spec.tokenizer}, {spec.bars} bars, from {expand_root(spec.root_dir)}; cache {path} ({state})"
