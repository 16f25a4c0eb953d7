"""Meta-tests: every hookspec is wired to a registry, documented with its exact signature, and works."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path

import attrs
import pytest

from smdiff import hookimpl, hookspecs
from smdiff.factories import call_signature
from smdiff.plugins import build_plugin_host
from smdiff.registry import REGISTRY_HOOKS, Registries

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
    assert tuple(REGISTRY_HOOKS) == tuple(field.name for field in attrs.fields(Registries))


def hook_section(hook_name: str) -> str:
    """The part of docs/hooks.md about one hook: from its heading to the next."""
    text = DOCS.read_text()
    start = text.index(f"## `{hook_name}()")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


@pytest.mark.parametrize("attribute", sorted(REGISTRY_HOOKS))
def test_each_hooks_factory_call_is_documented_as_its_protocol_declares(attribute):
    hook_name, _, spec_type = REGISTRY_HOOKS[attribute]
    (protocol,) = typing.get_args(spec_type.__orig_bases__[0])
    documented = " ".join(hook_section(hook_name).split())  # line breaks in the page do not matter
    assert f"`{call_signature(protocol)}`" in documented, (
        f"{hook_name}: docs/hooks.md lacks `{call_signature(protocol)}`"
    )


@pytest.mark.parametrize("attribute", sorted(REGISTRY_HOOKS))
def test_each_hookspec_docstring_names_its_factory_protocol_and_its_call(attribute):
    hook_name, _, spec_type = REGISTRY_HOOKS[attribute]
    (protocol,) = typing.get_args(spec_type.__orig_bases__[0])
    docstring = " ".join(inspect.getdoc(getattr(hookspecs, hook_name)).split())
    assert f":class:`smdiff.{protocol.__name__}`" in docstring and f"``{call_signature(protocol)}``" in docstring


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
