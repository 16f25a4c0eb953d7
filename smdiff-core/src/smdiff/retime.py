"""Give a generated piece its input's time: bars, tempo map, time signatures and velocities.

A tokenizer decodes into its own time base (the grids: 4/4 at 120 qpm,
velocity 100). When the piece was conditioned on a MIDI file, the output is
laid back onto that file's bars — each bar of the decoded piece onto the same
bar of the input, linearly inside it — with the input's tempo map and time
signatures, and every note that matches an input note (same pitch, same place)
takes that note's velocity; generated notes take the median velocity of their
track's input notes. So an infilled song comes back at its own tempo, metre and
dynamics, and outside the gap it is the input as the tokenizer heard it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import symusic

from smdiff.data.bars import BarGrid
from smdiff.midi import empty_score, note_track

MATCH_SHARE = 1 / 32  # a note matches an input note within 1/32 of a bar (half a grid step)


def onto_source(
    decoded: symusic.Score, source: symusic.Score, *, bars: int, source_path: str | Path | None = None,
    time_signature: str | None = None, first_bar: int = 0,
) -> symusic.Score:  # fmt: skip
    """``decoded`` laid onto ``source``'s bars, tempo map, time signatures and velocities.

    The decoded piece's bar 0 lands on the source's bar ``first_bar`` (the window's start), and so on for ``bars`` bars.
    """
    own = BarGrid.for_score(decoded)
    grid = BarGrid.for_score(source, source_path=source_path, time_signature=time_signature)
    theirs = grid.extended_starts(bars=first_bar + bars)[first_bar:]
    end = theirs[bars]

    def to_source(ticks: np.ndarray) -> np.ndarray:
        position = own.bar_position(ticks.astype(np.float64))
        bar = np.clip(np.floor(position + 1e-9).astype(np.int64), 0, bars - 1)
        return theirs[bar] + (position - bar) * (theirs[bar + 1] - theirs[bar])

    out = empty_score(source.ticks_per_quarter)
    for tempo in source.tempos:
        if tempo.time < end:
            out.tempos.append(tempo)
    for signature in source.time_signatures:
        if signature.time < end:
            out.time_signatures.append(signature)
    lookup = _velocity_lookup(source)
    tolerance = (theirs[1:] - theirs[:-1]).mean() * MATCH_SHARE
    for track in decoded.tracks:
        notes = track.notes.numpy()
        start = np.rint(to_source(notes["time"])).astype(np.int64)
        stop = np.rint(to_source(notes["time"] + notes["duration"])).astype(np.int64)
        velocity = np.array([lookup(pitch, time, tolerance) for pitch, time in zip(notes["pitch"], start, strict=True)])
        known = velocity >= 0
        fallback = _median_velocity(source, track.name, int(np.median(velocity[known])) if known.any() else 90)
        velocity = np.where(known, velocity, fallback)
        durations = np.maximum(stop - start, 1).astype(np.int32)
        pitches, velocities = notes["pitch"].astype(np.int8), velocity.astype(np.int8)
        out.tracks.append(
            note_track(
                track.name,
                start.astype(np.int32),
                durations,
                pitches,
                velocities,
                program=track.program,
                is_drum=track.is_drum,
            )
        )
    return out


def _velocity_lookup(source: symusic.Score):
    """``lookup(pitch, tick, tolerance)``: the velocity of the input note of that pitch starting nearest ``tick``, or -1."""
    by_pitch: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    parts = [track.notes.numpy() for track in source.tracks if len(track.notes)]
    if parts:
        pitch = np.concatenate([p["pitch"] for p in parts]).astype(np.int64)
        time = np.concatenate([p["time"] for p in parts]).astype(np.int64)
        velocity = np.concatenate([p["velocity"] for p in parts]).astype(np.int64)
        for value in np.unique(pitch):
            chosen = pitch == value
            order = np.argsort(time[chosen])
            by_pitch[int(value)] = (time[chosen][order], velocity[chosen][order])

    def lookup(pitch: int, tick: int, tolerance: float) -> int:
        times, velocities = by_pitch.get(int(pitch), (np.zeros(0, np.int64), np.zeros(0, np.int64)))
        index = int(np.searchsorted(times, tick))
        candidates = [i for i in (index - 1, index) if 0 <= i < len(times)]
        if not candidates:
            return -1
        nearest = min(candidates, key=lambda i: abs(int(times[i]) - tick))
        return int(velocities[nearest]) if abs(int(times[nearest]) - tick) <= tolerance else -1

    return lookup


def _median_velocity(source: symusic.Score, name: str, default: int) -> int:
    """Median velocity of the input's track of that name (any case), else ``default``."""
    for track in source.tracks:
        if track.name.strip().lower() == name.strip().lower() and len(track.notes):
            return int(np.median(track.notes.numpy()["velocity"]))
    return default
