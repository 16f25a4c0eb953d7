"""Registries: ids, aliases, unknown ids and duplicates."""

from __future__ import annotations

import pytest

from smdiff import TaskSpec
from smdiff.errors import DuplicateIdError, UnknownIdError
from smdiff.registry import Registry


def spec(id_: str, *aliases: str) -> TaskSpec:
    return TaskSpec(id=id_, summary=f"the {id_} task", factory=lambda config: None, aliases=aliases)


def test_lookup_by_id_and_alias():
    registry = Registry("task")
    registry.add(spec("infill", "inpaint"), "core")
    assert registry.get("infill") is registry.get("inpaint")
    assert registry.provider("inpaint") == "core"
    assert registry.ids() == ["infill"] and "inpaint" in registry and len(registry) == 1


def test_unknown_id_lists_known_ids_and_suggests():
    registry = Registry("task")
    registry.add(spec("infill"), "core")
    registry.add(spec("uncond"), "core")
    with pytest.raises(UnknownIdError) as info:
        registry.get("infil")
    message = str(info.value)
    assert "unknown task 'infil'" in message and "did you mean 'infill'?" in message
    assert "Known tasks: infill, uncond" in message


def test_same_id_from_two_plugins_names_both():
    registry = Registry("task")
    registry.add(spec("infill"), "smdiff-core")
    with pytest.raises(DuplicateIdError, match="'smdiff-core' and plugin 'my_plugin'"):
        registry.add(spec("infill"), "my_plugin")


def test_alias_colliding_with_an_id_is_a_duplicate():
    registry = Registry("task")
    registry.add(spec("infill"), "a")
    with pytest.raises(DuplicateIdError, match="task 'infill'"):
        registry.add(spec("other", "infill"), "b")


def test_spec_ids_must_be_words():
    with pytest.raises(ValueError, match="must be a word"):
        spec("has space")
