"""The one cattrs converter: unknown keys forbidden, primitives checked strictly.

cattrs' default primitive hooks coerce (``int("3")``, ``int(2.9)``, ``bool("no")``
is ``True``); a config must instead refuse a value of the wrong type and say so.
"""

from __future__ import annotations

from typing import Any

import cattrs


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {_describe(value)}")
    return value


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {_describe(value)}")
    return float(value)


def _structure_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {_describe(value)}")
    return value


def _structure_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {_describe(value)}")
    return value


def make_converter() -> cattrs.Converter:
    """A converter that forbids unknown keys and coerces nothing."""
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(str, _structure_str)
    return converter


converter = make_converter()
