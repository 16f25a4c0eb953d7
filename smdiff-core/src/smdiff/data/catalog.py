"""Where named datasets keep their caches."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from smdiff.config.schema import SmdiffConfig
from smdiff.specs import DatasetSpec

if TYPE_CHECKING:
    from smdiff.registry import Registries

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


def named_dataset_applies(config: SmdiffConfig, registries: Registries) -> bool:
    """Whether ``config.data`` is its named dataset (that dataset's tokenizer and folder), not a folder of the user's."""
    from smdiff.config.resolve import expand_root

    data = config.data
    declared = config.datasets.get(data.dataset_id)
    if declared is not None:
        tokenizer, root = declared.tokenizer, declared.root_dir
    elif data.dataset_id in registries.datasets:
        spec = registries.datasets.get(data.dataset_id)
        tokenizer, root = spec.tokenizer, spec.root_dir
    else:
        return False
    if tokenizer != data.tokenizer_id or not data.root_dir:
        return False
    return Path(expand_root(root)).resolve() == Path(data.root_dir).resolve()


def prepared_name(config: SmdiffConfig, registries: Registries) -> str:
    """What ``smdiff prepare`` says it prepares: the named dataset, or the folder when no named dataset applies."""
    if named_dataset_applies(config, registries):
        return config.data.dataset_id
    return f"the MIDI folder {Path(config.data.root_dir or '.').name!r} (no named dataset)"


def describe_dataset(spec: DatasetSpec) -> str:
    """One line for ``smdiff list datasets``: tokenizer, bars, length, cache path and whether it exists."""
    from smdiff.config.resolve import expand_root

    path = default_cache_path(spec.id, spec.tokenizer, spec.bars)
    state = "ready" if path.exists() else "not prepared"
    return f"tokenizer {spec.tokenizer}, {spec.bars} bars, from {expand_root(spec.root_dir)}; cache {path} ({state})"
