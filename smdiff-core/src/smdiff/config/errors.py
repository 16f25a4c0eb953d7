"""Turn cattrs' structuring errors into one line: the dotted key, the bad value, the expected type."""

from __future__ import annotations

import typing
from typing import Any

import attrs
import cattrs
from cattrs.errors import ForbiddenExtraKeysError

from smdiff.errors import did_you_mean


def _format_exception(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, ForbiddenExtraKeysError):
        names = [field.name for field in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        parts = [f"unknown key '{key}'{did_you_mean(key, names)}" for key in sorted(exc.extra_fields)]
        return "; ".join(parts)
    if isinstance(exc, KeyError):
        return "required key is missing"
    if typing.get_origin(type_) is typing.Literal:
        options = [str(choice) for choice in typing.get_args(type_)]
        value = str(exc).split(" not in literal ")[0] if " not in literal " in str(exc) else ""
        hint = did_you_mean(value, options)
        if hint:
            return f"{value!r} is not one of {', '.join(map(repr, options))}{hint}"
        return f"expected one of {', '.join(map(repr, options))}"
    if isinstance(exc, (ValueError, TypeError)) and str(exc):
        return str(exc)
    return f"invalid value: {exc}"


def _dotted(path: str) -> str:
    path = path.removeprefix("$").lstrip(".")
    return path.replace("['", ".").replace("']", "")


def describe_structure_error(error: Exception) -> str:
    """One line naming every offending dotted key and what was wrong with it."""
    lines = []
    for message in cattrs.transform_error(error, path="$", format_exception=_format_exception):
        text, _, path = message.rpartition(" @ ")
        key = _dotted(path)
        if text.startswith("unknown key"):
            # Name the full dotted key of the stray field, so `--set trian.lr` reads as such.
            text = text.replace("unknown key '", f"unknown key '{key + '.' if key else ''}", 1)
            lines.append(text)
        else:
            lines.append(f"{key}: {text}")
    return "; ".join(lines)
