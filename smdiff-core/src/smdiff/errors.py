"""User-facing errors.

Every error a user can fix (bad config, unknown id, unreadable input) is a
:class:`SmdiffError`. The CLI prints its message on one line and exits with
code 2; library callers can catch it like any exception.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class SmdiffError(Exception):
    """An error caused by the user's input, with a one-line message that says how to fix it."""

    exit_code: int = 2


class UnknownIdError(SmdiffError, KeyError):
    """An id that no plugin registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class DuplicateIdError(SmdiffError):
    """Two plugins registered the same id for one kind of extension.

    ``kind``, ``name``, ``first`` and ``second`` say which id of which kind the
    plugins ``first`` (which keeps it) and ``second`` both registered.
    """

    def __init__(self, message: str, *, kind: str = "", name: str = "", first: str = "", second: str = "") -> None:
        super().__init__(message)
        self.kind, self.name, self.first, self.second = kind, name, first, second


class ConfigError(SmdiffError):
    """A configuration value or file that cannot be used."""


class DataError(SmdiffError):
    """Input data (MIDI, caches, token arrays) that cannot be used."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest choice, or ``""`` when none is close."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{matches[0]}'?" if matches else ""
