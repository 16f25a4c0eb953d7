"""Resolve the layers of a configuration into one :class:`SmdiffConfig`.

Layers, later wins: package defaults → model preset → dataset spec →
``--config`` files → ``--set dotted.key=value`` → explicit CLI flags. Every
layer is checked on its own first, so an error names the layer it came from.
"""

from __future__ import annotations

import os
import tomllib
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import tomli_w

from smdiff.config.converter import converter
from smdiff.config.errors import describe_structure_error
from smdiff.config.schema import DataConfig, SmdiffConfig
from smdiff.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    from smdiff.registry import Registries

Layer = dict[str, Any]


def load_config_file(path: str | Path) -> Layer:
    """Read one TOML config file as a layer; an unreadable or malformed file is a :class:`ConfigError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; check the path given to --config") from None
    except OSError as error:
        raise ConfigError(f"config file {path} cannot be read: {error.strerror}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _dotted_keys(cls: type, prefix: str = "") -> list[str]:
    keys = []
    for name, type_ in _field_types(cls).items():
        key = f"{prefix}{name}"
        keys.append(key)
        if attrs.has(type_):
            keys.extend(_dotted_keys(type_, key + "."))
    return keys


def _target_type(parts: list[str], dotted: str) -> Any:
    """The declared type of ``dotted``; free-form mappings accept any key below them."""
    type_: Any = SmdiffConfig
    for part in parts:
        if typing.get_origin(type_) is dict:
            type_ = typing.get_args(type_)[1]
            continue
        hints = _field_types(type_) if attrs.has(type_) else {}
        if part not in hints:
            hint = did_you_mean(dotted, _dotted_keys(SmdiffConfig))
            raise ConfigError(f"--set {dotted}: unknown config key{hint}")
        type_ = hints[part]
    return type_


def _parse_value(raw: str, type_: Any) -> Any:
    args = typing.get_args(type_)
    if type_ is str or (str in args and type(None) in args):
        return None if raw.lower() in ("none", "null") and type(None) in args else raw
    if typing.get_origin(type_) is tuple and args and args[-1] is Ellipsis and args[0] is str:
        return [part.strip() for part in raw.split(",") if part.strip()]
    if type(None) in args and raw.lower() in ("none", "null"):
        return None
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return raw


def parse_override(text: str) -> Layer:
    """Turn ``dotted.key=value`` into a nested layer, parsing the value as the key's declared type."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {text!r}: expected dotted.key=value, e.g. --set train.lr=3e-4")
    parts = key.split(".")
    value = _parse_value(raw.strip(), _target_type(parts, key))
    layer: Layer = {parts[-1]: value}
    for part in reversed(parts[:-1]):
        layer = {part: layer}
    return layer


def merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> Layer:
    """Deep-merge two layers; values of ``top`` win, tables merge key by key."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def structure(layer: Mapping[str, Any], source: str) -> SmdiffConfig:
    """Structure one layer (or a merge of layers) into a config, naming ``source`` on error."""
    try:
        return converter.structure(dict(layer), SmdiffConfig)
    except Exception as error:  # cattrs raises exception groups of many kinds
        raise ConfigError(f"config error in {source}: {describe_structure_error(error)}") from None


def drop_unknown_keys(layer: Mapping[str, Any], cls: type = SmdiffConfig, prefix: str = "") -> tuple[Layer, list[str]]:
    """``layer`` without keys ``cls`` does not declare (recursively), and the dotted keys removed.

    A checkpoint or sample index written by an older smdiff may hold settings
    that have since been removed; they are dropped (and reported) rather than
    making the run unreadable.
    """
    hints = _field_types(cls)
    kept: Layer = {}
    dropped: list[str] = []
    for key, value in layer.items():
        if key not in hints:
            dropped.append(prefix + key)
        elif attrs.has(hints[key]) and isinstance(value, Mapping):
            kept[key], inner = drop_unknown_keys(value, hints[key], f"{prefix}{key}.")
            dropped += inner
        else:
            kept[key] = value
    return kept, dropped


def expand_root(root: str) -> str:
    """Expand ``$VAR|fallback`` (environment variable or fallback path) and ``~``."""
    if root.startswith("$"):
        name, _, fallback = root[1:].partition("|")
        root = os.environ.get(name) or fallback
    return os.path.expanduser(root)


def _preset_layer(user: SmdiffConfig, registries: Registries) -> Layer:
    spec = registries.models.get(user.model.id)
    if user.model.preset not in spec.presets:
        known = ", ".join(sorted(spec.presets)) or "none"
        hint = did_you_mean(user.model.preset, spec.presets)
        raise ConfigError(f"model.preset: model '{spec.id}' has no preset '{user.model.preset}'{hint} Known: {known}")
    return {"model": dict(spec.presets[user.model.preset])}


def _dataset_layer(user: SmdiffConfig, registries: Registries) -> Layer:
    dataset_id = user.data.dataset_id
    declared = user.datasets.get(dataset_id)
    if declared is None and dataset_id == DataConfig().dataset_id and dataset_id not in registries.datasets:
        return {}  # the default dataset's plugin is not installed and none was asked for: flags say it all
    if declared is not None:
        tokenizer, bars, root, extra = declared.tokenizer, declared.bars, declared.root_dir, {}
    else:
        spec = registries.datasets.get(dataset_id)
        tokenizer, bars, root, extra = spec.tokenizer, spec.bars, spec.root_dir, spec.factory()
    base = {"data": {"tokenizer_id": tokenizer, "bars": bars, "root_dir": expand_root(root)}}
    return merge(base, extra)


def resolve_config(
    *,
    registries: Registries,
    files: Iterable[str | Path] = (),
    overrides: Iterable[str] = (),
    flags: Mapping[str, Any] | None = None,
    with_model: bool = True,
) -> SmdiffConfig:
    """Resolve every layer into one config.

    ``flags`` maps dotted keys to values of explicit CLI flags (``None`` values
    are ignored). ``registries`` holds the datasets and model presets the layers name.
    ``with_model=False`` skips the model preset layer, for commands that build
    no model (``prepare``, ``convert``).
    """
    # Each layer is checked merged onto the ones before it, so an error names the layer that brought it and a
    # layer may complete what an earlier one declared (``--set datasets.NAME.root_dir=…`` on a file's dataset).
    user: Layer = {}
    layers = [(load_config_file(path), str(path)) for path in files]
    layers += [(parse_override(text), f"--set {text}") for text in overrides]
    layers += [(_flag_layer(k, v), f"flag for {k}") for k, v in (flags or {}).items() if v is not None]
    for layer, source in layers:
        candidate = merge(user, layer)
        structure(candidate, source)
        user = candidate
    chosen = structure(user, "the merged configuration")
    preset = _preset_layer(chosen, registries) if with_model else {}
    layered = merge(merge(preset, _dataset_layer(chosen, registries)), user)
    return structure(layered, "the merged configuration")


def _flag_layer(dotted: str, value: Any) -> Layer:
    parts = dotted.split(".")
    layer: Layer = {parts[-1]: list(value) if isinstance(value, tuple) else value}
    for part in reversed(parts[:-1]):
        layer = {part: layer}
    return layer


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _drop_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_none(item) for item in value]
    return value


def to_dict(config: SmdiffConfig) -> Layer:
    """The config as plain TOML-safe data (unset optional values omitted)."""
    return _drop_none(converter.unstructure(config))


def to_toml(config: SmdiffConfig) -> str:
    """The config as TOML; feeding it back with ``--config`` resolves to an equal config."""
    return tomli_w.dumps(to_dict(config))
