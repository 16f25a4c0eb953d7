"""Which tracks of a MIDI file feed which channel or instrument slot of a tokenizer.

A track map (``data.track_map``) sends a slot name to a selector: ``name:MELODY``
(track name, case-insensitive; ``|`` separates alternatives) or ``program:0-7``
(GM program range, drums excluded) or ``drums``. Slots it does not name are
filled automatically (:mod:`smdiff.data.roles`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from smdiff.errors import ConfigError

if TYPE_CHECKING:
    import symusic


def _matcher(selector: str) -> Callable[[int, bool], bool]:
    """A test of (program, is_drum) for a ``program:`` or ``drums`` selector (names are looked up instead)."""
    kind, _, value = selector.partition(":")
    if kind == "program":
        low, _, high = value.partition("-")
        first, last = int(low), int(high or low)
        return lambda program, is_drum: not is_drum and first <= program <= last
    if kind == "drums":
        return lambda program, is_drum: bool(is_drum)
    raise ConfigError(f"track selector {selector!r} is not name:NAME, program:LOW-HIGH or drums; fix data.track_map")


def check_track_map(track_map: Mapping[str, str], slots: tuple[str, ...]) -> dict[str, str]:
    """Validate a user's ``data.track_map`` against a tokenizer's slot names."""
    unknown = sorted(set(track_map) - set(slots))
    if unknown:
        raise ConfigError(
            f"data.track_map names unknown track {unknown[0]!r}; this tokenizer's tracks are {', '.join(slots)}"
        )
    for selector in track_map.values():
        kind = selector.partition(":")[0]
        if kind not in ("name", "program", "drums"):
            raise ConfigError(
                f"track selector {selector!r} is not name:NAME, program:LOW-HIGH or drums; fix data.track_map"
            )
        if kind == "program":
            low, _, high = selector.partition(":")[2].partition("-")
            if not (low.isdigit() and (not high or high.isdigit())):
                raise ConfigError(f"track selector {selector!r}: program range must be like program:0-7")
    return dict(track_map)


def select_track_indices(score: symusic.Score, track_map: Mapping[str, str]) -> dict[str, list[int]]:
    """For each slot of ``track_map``, the indices of the tracks its selector picks (possibly none), in score order."""
    by_name, others = _compiled(tuple(track_map.items()))
    selected: dict[str, list[int]] = {slot: [] for slot in track_map}
    for index, track in enumerate(score.tracks):
        for slot in by_name.get(track.name.strip().lower(), ()):
            selected[slot].append(index)
        for slot, matches in others:
            if matches(track.program, track.is_drum):
                selected[slot].append(index)
    return selected


@functools.lru_cache(maxsize=64)
def _compiled(
    items: tuple[tuple[str, str], ...],
) -> tuple[dict[str, tuple[str, ...]], tuple[tuple[str, Callable[[int, bool], bool]], ...]]:
    """Name selectors as one lookup from lower-cased track name to slots; the other selectors as tests."""
    by_name: dict[str, list[str]] = {}
    others = []
    for slot, selector in items:
        kind, _, value = selector.partition(":")
        if kind == "name":
            for part in value.split("|"):
                by_name.setdefault(part.strip().lower(), []).append(slot)
        else:
            others.append((slot, _matcher(selector)))
    return {name: tuple(slots) for name, slots in by_name.items()}, tuple(others)
