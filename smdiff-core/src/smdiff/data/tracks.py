"""Which tracks of a MIDI file feed which channel or instrument slot of a tokenizer.

A track map sends each slot name to a selector: ``name:MELODY`` (track name,
case-insensitive; ``|`` separates alternatives) or ``program:0-7`` (GM program
range, drums excluded) or ``drums``. POP909's tracks are all program 0, so its
default map selects by name, which keeps their identities apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from smdiff.errors import ConfigError

if TYPE_CHECKING:
    import symusic


def _matches(track: symusic.Track, selector: str) -> bool:
    kind, _, value = selector.partition(":")
    if kind == "name":
        return track.name.strip().lower() in {part.strip().lower() for part in value.split("|")}
    if kind == "program":
        low, _, high = value.partition("-")
        return not track.is_drum and int(low) <= track.program <= int(high or low)
    if kind == "drums":
        return bool(track.is_drum)
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


def select_tracks(score: symusic.Score, track_map: Mapping[str, str]) -> dict[str, list[symusic.Track]]:
    """For each slot, the tracks of ``score`` its selector picks (possibly none)."""
    return {
        slot: [track for track in score.tracks if _matches(track, selector)] for slot, selector in track_map.items()
    }
