"""The prepared cache a run trains on, and what to say when it does not fit the config."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import attrs

from smdiff.config.schema import SmdiffConfig
from smdiff.data.cache import TokenCache
from smdiff.data.catalog import config_cache_path as cache_path
from smdiff.data.catalog import prepare_hint
from smdiff.errors import DataError
from smdiff.tokenizer import Tokenizer

if TYPE_CHECKING:
    from smdiff.registry import Registries


def open_cache(config: SmdiffConfig, registries: Registries) -> tuple[Tokenizer, str, TokenCache]:
    """The tokenizer and its prepared cache; a missing or foreign cache says how to rebuild it."""
    spec = registries.tokenizers.get(config.data.tokenizer_id)
    tokenizer = spec.factory(config.data)
    cache = TokenCache.load(
        cache_path(config), tokenizer_id=tokenizer.id, tokenizer_version=spec.version, rebuild_hint=prepare_hint(config)
    )
    settings = cache.meta.get("settings", {})
    if (
        cache.token_spec != tokenizer.token_spec
        or cache.meta.get("bars", config.data.bars) != config.data.bars
        or settings.get("normalise_key", False) != config.data.normalise_key
    ):
        raise DataError(cache_mismatch(cache, config, tokenizer))
    return tokenizer, spec.version, cache


def cache_mismatch(cache: TokenCache, config: SmdiffConfig, tokenizer: Tokenizer) -> str:
    """What differs between a cache and the config asking for it, and the command that writes a *new* cache."""
    made, wanted = cache.token_spec, tokenizer.token_spec
    normalised = cache.meta.get("settings", {}).get("normalise_key", False)
    if cache.meta.get("bars", config.data.bars) != config.data.bars:
        difference = f"was made with {cache.meta['bars']} bars, the config asks for {config.data.bars} (data.bars)"
    elif normalised != config.data.normalise_key:
        difference = (
            f"was made with data.normalise_key={str(normalised).lower()}, "
            f"the config asks for {str(config.data.normalise_key).lower()}"
        )
    else:
        changed = [
            f"{channel}: vocabulary {a} vs {b}"
            for channel, a, b in zip(made.channels, made.vocab_sizes, wanted.vocab_sizes, strict=False)
            if a != b
        ]
        if made.channels != wanted.channels:
            changed.insert(0, f"channels {', '.join(made.channels)} vs {', '.join(wanted.channels)}")
        difference = f"holds tokens unlike what {tokenizer.id} makes with this config ({'; '.join(changed)})"
    stem = re.sub(r"-\d+bars$", "", cache.path.stem)
    new_path = cache.path.with_name(f"{stem}-{config.data.bars}bars{cache.path.suffix}")
    if new_path == cache.path:
        new_path = cache.path.with_name(f"{stem}-new{cache.path.suffix}")
    new_config = attrs.evolve(config, data=attrs.evolve(config.data, cache_path=str(new_path)))
    return (
        f"cache {cache.path} {difference}; keep the cache's settings, or write a new cache beside it "
        f"(yours is kept): {prepare_hint(new_config)} and train with --set data.cache_path={new_path}"
    )
