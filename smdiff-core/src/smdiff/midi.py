"""MIDI in and out, through symusic.

Anything a user may hold is accepted as input: a path, raw bytes, a
``symusic.Score`` or a ``miditoolkit.MidiFile``. Output is a ``symusic.Score``,
a ``.mid`` file, or a ``miditoolkit.MidiFile`` on request.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from smdiff.errors import DataError
from smdiff.files import read_bytes

if TYPE_CHECKING:
    import symusic

MidiLike = Union[str, os.PathLike, bytes, "symusic.Score", Any]

MIDI_SUFFIXES = (".mid", ".midi")


def load_score(midi: MidiLike) -> symusic.Score:
    """Parse ``midi`` into a tick-based ``symusic.Score``; unreadable input is a :class:`DataError`."""
    import symusic

    if isinstance(midi, symusic.Score):
        return midi
    if isinstance(midi, (bytes, bytearray)):
        return _parse(lambda: symusic.Score.from_midi(bytes(midi)), "<bytes>")
    if isinstance(midi, (str, os.PathLike)):
        path = os.fspath(midi)
        try:
            data = read_bytes(path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise DataError(f"{path}: no such MIDI file") from None
        except OSError as error:
            raise DataError(f"{path}: cannot be read ({error.strerror})") from None
        if not data:
            raise DataError(f"{path}: file is empty (0 bytes)")
        # Parsing bytes already in memory is faster than letting symusic open the file.
        return _parse(lambda: symusic.Score.from_midi(data), path)
    if type(midi).__module__.startswith("miditoolkit"):
        return _from_miditoolkit(midi)
    raise DataError(
        f"cannot read MIDI from a {type(midi).__name__}; pass a path, bytes, symusic.Score or miditoolkit.MidiFile"
    )


def _parse(read: Any, name: str) -> symusic.Score:
    try:
        return read()
    except Exception as error:  # symusic raises plain RuntimeErrors for every kind of corruption
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"{name}: not a readable MIDI file ({message})") from None


def _from_miditoolkit(midi: Any) -> symusic.Score:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.mid"
        midi.dump(str(path))
        return load_score(path)


def save_score(score: symusic.Score, path: str | Path) -> Path:
    """Write ``score`` as a standard MIDI file at ``path`` (folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    score.dump_midi(str(path))
    return path


def to_miditoolkit(score: symusic.Score) -> Any:
    """Convert to a ``miditoolkit.MidiFile`` (needs the ``miditoolkit`` extra)."""
    try:
        import miditoolkit
    except ImportError:
        raise DataError("miditoolkit output needs `pip install smdiff-core[miditoolkit]`") from None
    with tempfile.TemporaryDirectory() as folder:
        path = save_score(score, Path(folder) / "out.mid")
        return miditoolkit.MidiFile(str(path))


def find_midi_files(root: str | Path) -> list[Path]:
    """All ``.mid``/``.midi`` files under ``root``, recursively, case-insensitive, sorted."""
    root = Path(root)
    return sorted(path for path in root.rglob("*") if path.suffix.lower() in MIDI_SUFFIXES and path.is_file())


# Building scores from arrays. symusic's public factories (``symusic.Track(...)``,
# ``symusic.Note.from_numpy``) dispatch on the time unit on every call, which costs
# more than the work when a decoder builds a few tracks; these go straight to the
# tick-time core types they would return.


def empty_score(ticks_per_quarter: int) -> symusic.Score:
    """A tick-time score with no events."""
    import symusic.core

    return symusic.core.ScoreTick(ticks_per_quarter)


def note_track(
    name: str,
    time: Any,
    duration: Any,
    pitch: Any,
    velocity: Any,
    *,
    program: int = 0,
    is_drum: bool = False,
) -> symusic.Track:
    """A named tick-time track of the notes given as arrays (int32 ticks, int8 pitch and velocity)."""
    import symusic.core

    track = symusic.core.TrackTick()
    track.name, track.program, track.is_drum = name, program, is_drum
    track.notes = symusic.core.NoteTickList.from_numpy(time, duration, pitch, velocity)
    return track


def note_rows(track: symusic.Track) -> Any:
    """``[n, 4]`` int64 numpy rows of a track's notes: start tick, end tick, pitch, velocity."""
    import numpy as np

    data = track.notes.numpy()
    columns = (data["time"], data["time"] + data["duration"], data["pitch"], data["velocity"])
    return np.stack(columns, axis=1).astype(np.int64).reshape(-1, 4)


def set_note_rows(track: symusic.Track, rows: Any) -> None:
    """Replace a track's notes by ``[n, 4]`` rows as :func:`note_rows` gives them (sorted by start, then pitch)."""
    import numpy as np
    import symusic

    rows = rows[np.lexsort((rows[:, 2], rows[:, 0]))] if len(rows) else rows
    track.notes = symusic.Note.from_numpy(
        time=rows[:, 0].astype(np.int32),
        duration=np.maximum(rows[:, 1] - rows[:, 0], 1).astype(np.int32),
        pitch=rows[:, 2].astype(np.int8),
        velocity=rows[:, 3].astype(np.int8),
        ttype="tick",
    )


def set_tempos(score: symusic.Score, time: Any, mspq: Any) -> None:
    """Replace the score's tempo changes (int32 ticks, int32 microseconds per quarter)."""
    import symusic.core

    score.tempos = symusic.core.TempoTickList.from_numpy(time, mspq)


def set_time_signatures(score: symusic.Score, time: Any, numerator: Any, denominator: Any) -> None:
    """Replace the score's time signatures (int32 ticks, uint8 numerators and denominators)."""
    import symusic.core

    score.time_signatures = symusic.core.TimeSignatureTickList.from_numpy(time, numerator, denominator)
