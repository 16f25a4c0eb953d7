"""Registries: specs collected from plugins, looked up by id or alias."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

import attrs

from smdiff.errors import DuplicateIdError, UnknownIdError, did_you_mean
from smdiff.specs import (
    CommandSpec,
    DatasetSpec,
    KernelSpec,
    MaskerSpec,
    MetricSpec,
    ModelSpec,
    Spec,
    StorageBackendSpec,
    TaskSpec,
    TokenizerSpec,
)

S = TypeVar("S", bound=Spec)


@attrs.frozen
class Origin:
    """Who provided a spec: the plugin's registration name and the distribution (and version) that ships it."""

    plugin: str
    distribution: str = "?"
    version: str = "?"

    def describe(self) -> str:
        """``'onehot' (smdiff-onehot 0.1.0)``: how messages name a provider."""
        shipped = f" ({self.distribution} {self.version})" if self.distribution != "?" else ""
        return f"'{self.plugin}'{shipped}"


class Registry(Generic[S]):
    """Specs of one kind (tokenizers, models, ...), each remembered with the plugin that provided it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._specs: dict[str, S] = {}
        self._origins: dict[str, Origin] = {}
        self._names: dict[str, str] = {}  # id or alias -> id

    def add(self, spec: S, provider: str | Origin) -> None:
        """Add ``spec`` from plugin ``provider``; an id or alias already taken is a :class:`DuplicateIdError`."""
        origin = provider if isinstance(provider, Origin) else Origin(provider)
        for name in (spec.id, *spec.aliases):
            if name in self._names:
                other = self._origins[self._names[name]]
                raise DuplicateIdError(
                    f"{self.kind} '{name}' is registered by both plugin {other.describe()} and plugin "
                    f"{origin.describe()}; {origin.plugin}'s is skipped (uninstall one, or set SMDIFF_DISABLE_PLUGINS)",
                    kind=self.kind, name=name, first=other.plugin, second=origin.plugin,
                )  # fmt: skip
        self._specs[spec.id] = spec
        self._origins[spec.id] = origin
        for name in (spec.id, *spec.aliases):
            self._names[name] = spec.id

    def get(self, name: str) -> S:
        """The spec registered as ``name`` (an id or an alias)."""
        try:
            return self._specs[self._names[name]]
        except KeyError:
            known = ", ".join(sorted(self._specs)) or "none"
            raise UnknownIdError(
                f"unknown {self.kind} '{name}'{did_you_mean(name, self._names)} Known {self.kind}s: {known} "
                f"(`smdiff list` shows them)"
            ) from None

    def provider(self, name: str) -> str:
        """Name of the plugin that registered ``name``."""
        return self.origin(name).plugin

    def origin(self, name: str) -> Origin:
        """The plugin, distribution and version that registered ``name``."""
        return self._origins[self.get(name).id]

    def ids(self) -> list[str]:
        """Registered ids (not aliases), sorted."""
        return sorted(self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[S]:
        return iter(self._specs[key] for key in self.ids())

    def __len__(self) -> int:
        return len(self._specs)


@attrs.frozen
class Registries:
    """Every registry, built from one plugin manager."""

    tokenizers: Registry[TokenizerSpec]
    models: Registry[ModelSpec]
    maskers: Registry[MaskerSpec]
    tasks: Registry[TaskSpec]
    metrics: Registry[MetricSpec]
    storage: Registry[StorageBackendSpec]
    datasets: Registry[DatasetSpec]
    kernels: Registry[KernelSpec]
    commands: Registry[CommandSpec]

    def by_kind(self) -> dict[str, Registry[Any]]:
        """Registries keyed by the names ``smdiff list`` accepts."""
        return {field.name: getattr(self, field.name) for field in attrs.fields(type(self))}


#: registry attribute -> (hook name, label used in messages, spec class)
REGISTRY_HOOKS: dict[str, tuple[str, str, type[Spec]]] = {
    "tokenizers": ("smdiff_tokenizers", "tokenizer", TokenizerSpec),
    "models": ("smdiff_models", "model", ModelSpec),
    "maskers": ("smdiff_maskers", "masker", MaskerSpec),
    "tasks": ("smdiff_tasks", "task", TaskSpec),
    "metrics": ("smdiff_metrics", "metric", MetricSpec),
    "storage": ("smdiff_storage_backends", "storage backend", StorageBackendSpec),
    "datasets": ("smdiff_datasets", "dataset", DatasetSpec),
    "kernels": ("smdiff_kernels", "kernel", KernelSpec),
    "commands": ("smdiff_cli", "command", CommandSpec),
}
