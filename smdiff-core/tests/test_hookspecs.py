"""Meta-tests: every hookspec is wired to a registry, documented with its exact signature, and works."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from smdiff import hookimpl, hookspecs
from smdiff.plugins import REGISTRY_HOOKS, build_plugin_host

HOOKS = sorted(name for name, value in vars(hookspecs).items() if name.startswith("smdiff_") and callable(value))
DOCS = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"
EXTRA_FIELDS = {
    "TokenizerSpec": {"version": "1", "representation": "grid"},
    "ModelSpec": {"representations": ("grid",)},
    "MetricSpec": {"task": "uncond", "direction": "higher"},
    "DatasetSpec": {"tokenizer": "t", "bars": 4, "root_dir": "/tmp"},
}


def signature(name: str) -> str:
    function = getattr(hookspecs, name)
    return f"{name}() -> {function.__annotations__['return']}"


def test_every_hookspec_feeds_a_registry():
    assert sorted(hook for hook, _, _ in REGISTRY_HOOKS.values()) == HOOKS


@pytest.mark.parametrize("name", HOOKS)
def test_hookspec_is_documented_with_its_exact_signature(name):
    assert f"`{signature(name)}`" in DOCS.read_text(), f"docs/hooks.md lacks `{signature(name)}`"


@pytest.mark.parametrize("name", HOOKS)
def test_hookspec_has_a_docstring_and_no_arguments(name):
    function = getattr(hookspecs, name)
    assert inspect.getdoc(function) and not inspect.signature(function).parameters


@pytest.mark.parametrize("attribute", sorted(REGISTRY_HOOKS))
def test_a_plugin_implementing_the_hook_registers_into_the_registry(attribute):
    hook_name, _, spec_type = REGISTRY_HOOKS[attribute]
    spec = spec_type(id="throwaway", summary="s", factory=lambda *a: None, **EXTRA_FIELDS.get(spec_type.__name__, {}))
    plugin = type("Throwaway", (), {hook_name: hookimpl(lambda self: [spec])})()
    host = build_plugin_host(entrypoints=False, env={})
    host.register(plugin, "throwaway_plugin", "throwaway-dist", "0.1")
    registry = getattr(host.registries, attribute)
    assert registry.get("throwaway") is spec and registry.provider("throwaway") == "throwaway_plugin"
