"""Registries: specs collected from plugins, looked up by id or alias."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

import attrs

from smdiff.errors import DuplicateIdError, UnknownIdError, did_you_mean
from smdiff.specs import Spec

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
