"""The plugin manager: the one place that knows how plugins are found and loaded.

Order of work in :func:`build_plugin_host`: add the hookspecs, load entry points
of group ``smdiff`` (third-party and the bundled plugin packages alike),
register the kernel's own built-in plugin modules through the same hooks, then
``check_pending()`` so a misspelt hook name is caught. A plugin that fails to
import, fails validation or raises inside a hook is reported with its name and
version and skipped; the host keeps working.

Environment switches:

``SMDIFF_LOAD_PLUGINS``
    comma-separated entry-point or distribution names: load only these
    (an empty value loads no entry-point plugin at all).
``SMDIFF_DISABLE_PLUGINS``
    comma-separated entry-point, distribution or built-in module names to skip.
``SMDIFF_TRACE_PLUGINS``
    ``1`` prints every plugin load and hook call to stderr.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from smdiff import hookspecs
from smdiff.errors import DuplicateIdError
from smdiff.registry import REGISTRY_HOOKS, Origin, Registries, Registry
from smdiff.specs import Spec

if TYPE_CHECKING:
    from smdiff.config.schema import DataConfig
    from smdiff.tokenizer import Tokenizer

ENTRY_POINT_GROUP = "smdiff"

#: The kernel's own plugins, registered through the same hooks as everyone else's.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "smdiff.builtins.maskers",
    "smdiff.builtins.tasks",
    "smdiff.builtins.kernels",
    "smdiff.builtins.storage",
)


@attrs.frozen
class PluginInfo:
    """One loaded plugin: its registration name and the distribution that ships it."""

    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


@attrs.frozen
class PluginFailure:
    """A plugin that could not be loaded or whose hook raised."""

    name: str
    distribution: str
    version: str
    error: str


def _names(value: str | None) -> set[str] | None:
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


class PluginHost:
    """A plugin manager plus what happened while loading it; build one with :func:`build_plugin_host`."""

    def __init__(self, pm: pluggy.PluginManager, trace: bool) -> None:
        self.pm = pm
        self.trace = trace
        self.failures: list[PluginFailure] = []
        self._origins: dict[str, tuple[str, str]] = {}
        self._registries: Registries | None = None

    def _say(self, message: str) -> None:
        if self.trace:
            sys.stderr.write(f"smdiff trace: {message}\n")

    def _fail(self, name: str, error: BaseException | str) -> None:
        distribution, version = self._origins.get(name, ("?", "?"))
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.failures.append(PluginFailure(name, distribution, version, text))
        sys.stderr.write(f"smdiff: warning: plugin '{name}' ({distribution} {version}) skipped: {text}\n")

    def register(self, plugin: object, name: str, distribution: str, version: str) -> bool:
        """Register one plugin object, validating its hooks; on error record a failure and skip it."""
        self._origins[name] = (distribution, version)
        try:
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
        except pluggy.PluginValidationError as error:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            self._fail(name, error)
            return False
        self._say(f"registered plugin '{name}' from {distribution} {version}")
        return True

    def load_entrypoints(self, env: Mapping[str, str]) -> None:
        """Load every entry point of group ``smdiff`` allowed by the environment switches."""
        wanted = _names(env.get("SMDIFF_LOAD_PLUGINS"))
        disabled = _names(env.get("SMDIFF_DISABLE_PLUGINS")) or set()
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = entry_point.dist
            dist_name = dist.name if dist is not None else "?"
            version = dist.version if dist is not None else "?"
            keys = {entry_point.name, dist_name}
            if (wanted is not None and not keys & wanted) or keys & disabled:
                self._say(f"skipped plugin '{entry_point.name}' (environment switch)")
                continue
            if self.pm.has_plugin(entry_point.name):
                continue
            self._origins[entry_point.name] = (dist_name, version)
            try:
                plugin = entry_point.load()
            except Exception as error:  # any import-time failure must not take the host down
                self._fail(entry_point.name, error)
                continue
            self.register(plugin, entry_point.name, dist_name, version)

    def register_defaults(self, env: Mapping[str, str]) -> None:
        """Register the kernel's built-in plugin modules."""
        from smdiff import __version__

        disabled = _names(env.get("SMDIFF_DISABLE_PLUGINS")) or set()
        for module_name in DEFAULT_PLUGINS:
            if module_name in disabled:
                continue
            self.register(importlib.import_module(module_name), module_name, "smdiff-core", __version__)

    def plugins(self) -> list[PluginInfo]:
        """Every registered plugin with its distribution, version and implemented hooks."""
        infos = []
        for name, plugin in self.pm.list_name_plugin():
            distribution, version = self._origins.get(name, ("?", "?"))
            hooks = tuple(sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ()))
            infos.append(PluginInfo(name, distribution, version, hooks))
        return sorted(infos, key=lambda info: info.name)

    def collect(self, hook_name: str, spec_type: type[Spec], registry: Registry[Any]) -> None:
        """Call every implementation of ``hook_name`` and add the returned specs to ``registry``."""
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            try:
                specs = list(impl.function() or ())
                for spec in specs:
                    if not isinstance(spec, spec_type):
                        raise TypeError(f"{hook_name}() returned {type(spec).__name__}, expected {spec_type.__name__}")
            except Exception as error:  # a broken plugin must not take the host down
                self._fail(impl.plugin_name, error)
                continue
            self._say(f"{impl.plugin_name}.{hook_name}() -> {[spec.id for spec in specs]}")
            for spec in specs:
                try:
                    registry.add(spec, Origin(impl.plugin_name, *self._origins.get(impl.plugin_name, ("?", "?"))))
                except DuplicateIdError as clash:  # report both, keep the first, and let every command go on
                    sys.stderr.write(f"smdiff: warning: {clash}\n")

    @property
    def registries(self) -> Registries:
        """All registries, built on first use."""
        if self._registries is None:
            built = {}
            for attribute, (hook_name, label, spec_type) in REGISTRY_HOOKS.items():
                registry: Registry[Any] = Registry(label)
                self.collect(hook_name, spec_type, registry)
                built[attribute] = registry
            self._registries = Registries(**built)
        return self._registries


def build_plugin_host(*, entrypoints: bool = True, env: Mapping[str, str] | None = None) -> PluginHost:
    """Build a fresh plugin host: hookspecs, entry points, built-ins, then ``check_pending()``."""
    env = os.environ if env is None else env
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    host = PluginHost(pm, trace=env.get("SMDIFF_TRACE_PLUGINS", "") not in ("", "0"))
    if entrypoints:
        host.load_entrypoints(env)
    host.register_defaults(env)
    pm.check_pending()
    return host


_host: PluginHost | None = None


def get_plugin_host() -> PluginHost:
    """The process-wide plugin host, built on first use from the real environment."""
    global _host
    if _host is None:
        _host = build_plugin_host()
    return _host


def set_plugin_host(host: PluginHost | None) -> None:
    """Replace the process-wide host (tests use this; ``None`` rebuilds it on next use)."""
    global _host
    _host = host


def get_registries() -> Registries:
    """Registries of the process-wide plugin host."""
    return get_plugin_host().registries


def build_tokenizer(config: DataConfig) -> Tokenizer:
    """The tokenizer ``config`` names, from the process-wide registries (for worker processes, which start bare)."""
    return get_registries().tokenizers.get(config.tokenizer_id).factory(config)
