"""Registries: specs collected from plugins, looked up by id or alias."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from smdiff.errors import DuplicateIdError, UnknownIdError, did_you_mean
from smdiff.specs import Spec

S = TypeVar("S", bound=Spec)


class Registry(Generic[S]):
    """Specs of one kind (tokenizers, models, ...), each remembered with the plugin that provided it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._specs: dict[str, S] = {}
        self._providers: dict[str, str] = {}
        self._names: dict[str, str] = {}  # id or alias -> id

    def add(self, spec: S, provider: str) -> None:
        """Add ``spec`` from plugin ``provider``; an id or alias already taken is a :class:`DuplicateIdError`."""
        for name in (spec.id, *spec.aliases):
            if name in self._names:
                other = self._providers[self._names[name]]
                raise DuplicateIdError(
                    f"{self.kind} '{name}' is registered by both plugin '{other}' and plugin '{provider}'; "
                    "uninstall one, or skip one with SMDIFF_DISABLE_PLUGINS",
                    kind=self.kind, name=name, first=other, second=provider,
                )  # fmt: skip
        self._specs[spec.id] = spec
        self._providers[spec.id] = provider
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
        return self._providers[self.get(name).id]

    def ids(self) -> list[str]:
        """Registered ids (not aliases), sorted."""
        return sorted(self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[S]:
        return iter(self._specs[key] for key in self.ids())

    def __len__(self) -> int:
        return len(self._specs)
