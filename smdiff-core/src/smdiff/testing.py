"""Helpers for testing smdiff and its plugins on real MIDI: write scores, find POP909.

Plugin authors can use these in their own test suites; nothing here fakes a
component, it only makes real inputs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import symusic

from smdiff.corpora import POP909_DEFAULT_DIR, POP909_ENV

if TYPE_CHECKING:
    from smdiff.notes import NoteTable
    from smdiff.plugins import PluginHost

#: start tick, duration in ticks, pitch, velocity
Note = tuple[int, int, int, int]


def make_score(
    tracks: dict[str, list[Note]],
    *,
    tpq: int = 480,
    signature: tuple[int, int] = (4, 4),
    qpm: float = 120.0,
    programs: dict[str, int] | None = None,
    drums: tuple[str, ...] = (),
) -> symusic.Score:
    """A score with one named track per entry of ``tracks``; tracks named in ``drums`` are on the drum channel."""
    score = symusic.Score(tpq)
    score.time_signatures.append(symusic.TimeSignature(0, *signature))
    score.tempos.append(symusic.Tempo(0, qpm))
    for name, notes in tracks.items():
        track = symusic.Track(name=name, program=(programs or {}).get(name, 0), is_drum=name in drums)
        for start, duration, pitch, velocity in notes:
            track.notes.append(symusic.Note(start, duration, pitch, velocity))
        score.tracks.append(track)
    return score


def write_midi(path: str | Path, tracks: dict[str, list[Note]], **kwargs: object) -> Path:
    """Write :func:`make_score` to ``path`` as a standard MIDI file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    make_score(tracks, **kwargs).dump_midi(str(path))  # type: ignore[arg-type]
    return path


#: drum pitches of General MIDI: kick, snare, closed hi-hat, crash, hand clap, and 90, which no drum map holds
KICK, SNARE, CLOSED_HAT, CRASH, CLAP, NOT_A_DRUM = 36, 38, 42, 49, 39, 90


def write_band_song(path: str | Path, variant: int = 0, bars: int = 8) -> Path:
    """A band in 4/4 written as real MIDI: `Lead Vocal`, `Fingered Bass` (program 33), `Guitar` (program 25, chords)
    and a `Drum Kit` on the drum channel (hi-hat on every beat, kick and snare alternating, a crash on the first
    beat, a clap on beat 4 and one note no drum map holds on beat 6); ``variant`` changes the lines."""
    beat = 480
    vocal = [(i * beat, beat, 64 + (i * (variant + 2)) % 9, 90) for i in range(bars * 4)]
    bass = [(i * 2 * beat, 2 * beat, 36 + (i + variant) % 5, 90) for i in range(bars * 2)]
    guitar = [(bar * 4 * beat, 4 * beat, pitch, 70) for bar in range(bars) for pitch in (55, 59, 62)]
    kit = [(i * beat, beat // 4, p, 100) for i in range(bars * 4) for p in (CLOSED_HAT, KICK if i % 2 == 0 else SNARE)]
    kit += [(0, beat // 4, CRASH, 110), (3 * beat, beat // 4, CLAP, 90), (5 * beat, beat // 4, NOT_A_DRUM, 90)]
    return write_midi(path, {"Lead Vocal": vocal, "Fingered Bass": bass, "Guitar": guitar, "Drum Kit": kit},
                      programs={"Fingered Bass": 33, "Guitar": 25}, drums=("Drum Kit",))  # fmt: skip


def tiny_train_command(
    cache: str | Path, run_dir: str | Path, *extra: str, model: str = "schmu_conv", bars: int = 4, steps: int = 40
) -> list[str]:
    """``smdiff train`` (as a module) of the ``tiny`` preset on a prepared ``cache``: a real run in seconds.

    Logs every step, validates every 100, writes no samples and checkpoints only
    at the end; ``extra`` arguments come last, so they override these.
    """
    return [
        sys.executable, "-m", "smdiff.cli", "train", "--model", model, "--bars", str(bars), "--batch_size", "4",
        "--steps", str(steps), "--log_dir", str(run_dir), "--set", f"data.cache_path={cache}",
        "--set", "model.preset=tiny", "--set", "model.dropout=0.1", "--set", "train.warmup_steps=2",
        "--set", "train.log_every=1", "--set", "train.validate_every=100", "--set", "train.val_batches=1",
        "--set", "train.sample_every=1000", "--set", "train.checkpoint_every=1000", "--set", "train.train_samples=0",
        *extra,
    ]  # fmt: skip


def train_tiny_run(
    songs: str | Path,
    folder: str | Path,
    *,
    tokenizer: str = "melody",
    model: str = "schmu_conv",
    bars: int = 16,
    steps: int = 30,
) -> Path:
    """Prepare ``songs`` and train the ``tiny`` preset on them for ``steps`` steps with the real CLI; the run folder.

    Seconds on a CPU: a real run (checkpoint, config, EMA) to sample, infill or serve in the studio from.
    """
    folder = Path(folder)
    cache = folder / "cache.npy"
    subprocess.run(
        [sys.executable, "-m", "smdiff.cli", "--quiet", "prepare", "--tokenizer_id", tokenizer, "--bars", str(bars),
         "--root_dir", str(songs), "--cache_path", str(cache)],
        check=True, capture_output=True,
    )  # fmt: skip
    run = folder / "run"
    args = tiny_train_command(
        cache, run, "--set", f"data.tokenizer_id={tokenizer}", model=model, bars=bars, steps=steps
    )
    subprocess.run(args, check=True, capture_output=True)
    return run


def scale(bars: int, tpq: int = 480, *, low: int = 60) -> list[Note]:
    """One quarter note per beat, rising through an octave, for ``bars`` bars of 4/4."""
    return [(beat * tpq, tpq, low + beat % 12, 90) for beat in range(bars * 4)]


#: a varied selection of music21's bundled corpus (subfolder → works): chorales, Renaissance polyphony, folk
#: tunes (one unnamed track), string quartets and piano pieces
MUSIC21_SELECTION = {
    "bach": 3, "palestrina": 2, "essenFolksong": 3, "ryansMammoth": 2, "joplin": 1, "mozart": 1, "monteverdi": 1,
}  # fmt: skip


#: corpus file types that hold analyses of a work (roman numerals), not the work
ANALYSES = (".rntxt",)


def export_music21_corpus(folder: str | Path, selection: dict[str, int] | None = None) -> list[Path]:
    """Export real works of music21's bundled corpus to MIDI files under ``folder`` (needs ``music21``).

    ``selection`` maps a corpus subfolder to how many works to take from it, in
    path order (a file holding many tunes, like an ABC collection, gives its
    tunes one by one). Files already exported are kept, so a benchmark can be
    run again without exporting anew. Works music21 cannot write are left out.
    """
    from music21 import corpus

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for source, count in (selection or MUSIC21_SELECTION).items():
        paths = sorted(corpus.getComposer(source)) or sorted(p for p in corpus.getPaths() if f"/{source}/" in str(p))
        paths = [path for path in paths if Path(path).suffix not in ANALYSES]
        taken = 0
        for path in paths:
            if taken >= count:
                break
            works = corpus.parse(path)
            for number, work in enumerate(getattr(works, "scores", None) or [works]):
                if taken >= count:
                    break
                target = folder / source / f"{Path(path).stem}-{number}.mid"
                if target in written:  # the same work in two formats
                    continue
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    try:
                        work.write("midi", fp=str(target))
                    except Exception:  # a work music21 cannot write as MIDI is simply not part of the sample
                        target.unlink(missing_ok=True)
                        continue
                written.append(target)
                taken += 1
    return written


def music21_midi_folder(folder: str | Path) -> Path:
    """:data:`MUSIC21_SELECTION` exported to MIDI under ``folder`` once (kept for later runs); returns ``folder``.

    For a session fixture: ``music21_midi_folder(request.config.cache.mkdir("music21-midi"))``.
    """
    export_music21_corpus(folder)
    return Path(folder)


def plugin_host(**options: object) -> PluginHost:
    """A fresh plugin host that loads the installed plugins as the ``smdiff`` command does.

    ``options`` are :func:`smdiff.plugins.build_plugin_host`'s; a plugin's tests use it to check what it registered.
    """
    from smdiff.plugins import build_plugin_host

    return build_plugin_host(**options)  # type: ignore[arg-type]


def assert_kept_outside_selection(
    before: symusic.Score, after: symusic.Score, bar_quarters: list[float], bars: tuple[int, int], tracks: set[int]
) -> int:
    """Check the studio's contract on two scores; return how many notes ``after`` has inside the selection.

    Every note of a track not in ``tracks`` (indices), and every note of those
    tracks that starts outside bars ``bars`` (1-based, inclusive; their starts
    in quarter notes are ``bar_quarters``), is in ``after`` unchanged — except a
    note sounding into the selection, which ends where it starts.
    """
    tpq = before.ticks_per_quarter
    start, end = round(bar_quarters[bars[0] - 1] * tpq), round(bar_quarters[bars[1]] * tpq)

    def rows(track: symusic.Track) -> list[tuple[int, int, int, int]]:
        return sorted((n.time, n.duration, n.pitch, n.velocity) for n in track.notes)

    assert len(after.tracks) == len(before.tracks), "tracks were added or lost"
    inside = 0
    for index, (old, new) in enumerate(zip(before.tracks, after.tracks, strict=True)):
        if index not in tracks:
            assert rows(new) == rows(old), f"track {index} ({old.name}) changed though it was not selected"
            continue
        kept = [(t, min(d, start - t) if t < start else d, p, v) for t, d, p, v in rows(old) if not start <= t < end]
        assert [r for r in rows(new) if not start <= r[0] < end] == sorted(kept), f"track {index} changed outside"
        inside += sum(start <= r[0] < end for r in rows(new))
    return inside


def bar_quarters(song: str | Path, time_signature: str | None = None) -> list[float]:
    """Quarter-note start of every bar of a MIDI file (its beat annotations beside it apply), for
    :func:`assert_kept_outside_selection`."""
    from smdiff.inference.songs import bar_starts

    score = symusic.Score(str(song))
    return (bar_starts(score, Path(song), time_signature) / score.ticks_per_quarter).tolist()


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class StudioServer:
    """A real ``smdiff studio`` process: start it, use ``url``, and ``stop()`` it with a real signal.

    ``workdir`` is the temporary folder the server announced for its uploads.
    """

    def __init__(self, run_dir: Path, *extra: str, timeout: float = 120.0) -> None:
        self.run_dir = Path(run_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            sys.executable,
            "-m",
            "smdiff.cli",
            "studio",
            "--load_dir",
            str(run_dir),
            "--port",
            str(self.port),
            *extra,
        ]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.workdir: Path | None = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline() if self.process.stdout else ""
            if not line and self.process.poll() is not None:
                raise RuntimeError(f"smdiff studio exited ({self.process.returncode}): {self.process.stderr.read()}")
            if "uploads in " in line:
                self.workdir = Path(line.split("uploads in ", 1)[1].split(" until exit")[0].strip())
            if line.startswith("open http"):
                self._wait_until_listening(deadline)
                return
        self.stop()
        raise RuntimeError("smdiff studio did not start in time")

    def _wait_until_listening(self, deadline: float) -> None:
        import urllib.request

        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/api/info", timeout=5).read()
                return
            except OSError:
                time.sleep(0.1)

    def call(
        self, method: str, path: str, body: object = None, *, data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:  # fmt: skip
        """(status, parsed JSON or raw bytes) of one real HTTP request; ``body`` is sent as JSON."""
        import json
        import urllib.error
        import urllib.request

        if body is not None:
            data, headers = json.dumps(body).encode(), {"Content-Type": "application/json"}
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                status, payload, kind = response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            status, payload, kind = error.code, error.read(), error.headers.get("Content-Type", "")
        return status, json.loads(payload) if kind.startswith("application/json") else payload

    def stop(self, sig: int = 2) -> subprocess.CompletedProcess:
        """Send ``sig`` (SIGINT, as Ctrl+C does) and wait for the exit."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        stdout, stderr = self.process.communicate(timeout=60)
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, stdout, stderr)


@contextmanager
def counted_host_traffic() -> Iterator[list[str]]:
    """Within the block, record every torch call that would make the host wait for a GPU, whatever the device.

    On a GPU, reading a value back (``.item()``, ``float()``, ``bool()``,
    ``.tolist()``, ``.cpu()``, ``nonzero()``, a boolean-mask index) waits for
    every queued kernel, and so does a tensor made from Python data
    (``torch.tensor``, ``torch.as_tensor``, an index that is a Python list),
    which is copied from the host. Counting the calls instead of timing them
    lets a CPU-only test suite catch a hot path that starts doing either.
    """
    import torch
    from torch.overrides import TorchFunctionMode

    reads = {
        torch.Tensor.item, torch.Tensor.tolist, torch.Tensor.__bool__, torch.Tensor.__float__, torch.Tensor.__int__,
        torch.Tensor.cpu, torch.Tensor.numpy, torch.Tensor.nonzero, torch.nonzero,
    }  # fmt: skip
    copies = {torch.tensor, torch.as_tensor}
    indexing = {torch.Tensor.__getitem__, torch.Tensor.__setitem__}

    def from_host(index: Any) -> str | None:
        parts = index if isinstance(index, tuple) else (index,)
        if any(isinstance(part, list) for part in parts):
            return "list index"
        if any(isinstance(part, torch.Tensor) and part.dtype == torch.bool for part in parts):
            return "boolean index"
        return None

    found: list[str] = []

    class Recorder(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            if func in reads or func in copies:
                found.append(func.__name__)
            elif func in indexing and (kind := from_host(args[1])) is not None:
                found.append(kind)
            return func(*args, **(kwargs or {}))

    with Recorder():
        yield found


def pop909_root(default: str | Path = POP909_DEFAULT_DIR) -> Path | None:
    """The POP909 folder: ``$SMDIFF_POP909`` or ``default``; ``None`` when it is absent."""
    root = Path(os.environ.get(POP909_ENV) or default)
    return root if root.is_dir() else None


def run_and_signal(
    args: list[str], watch: Path, needle: str, sig: int, *, env: dict[str, str] | None = None, timeout: float = 180.0
) -> subprocess.CompletedProcess:
    """Start ``args``, wait until ``watch`` contains ``needle``, send ``sig``, and wait for the process to exit.

    This drives real signal tests: a real training process, a real signal, the
    exit code and output it really produced.
    """
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if watch.exists() and needle in watch.read_text():
            break
        time.sleep(0.05)
    finished_first = process.poll() is not None
    if not finished_first:
        process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=timeout)
    if finished_first:
        raise AssertionError(
            f"the process exited ({process.returncode}) before {needle!r} appeared in {watch} and the signal could be"
            f" sent: give the run more steps after that point\n{stdout[-2000:]}{stderr[-2000:]}"
        )
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


def pop909_or_bundled(repository: Path) -> Path:
    """For pytest fixtures: POP909 beside ``repository`` (or ``$SMDIFF_POP909``), else the bundled 61-song subset.

    Never skips: ``examples/pop909-mini`` ships with the repository, so tests
    that need real songs always run on real songs.
    """
    root = pop909_root(Path(repository) / POP909_DEFAULT_DIR)
    return root if root is not None else Path(repository) / "examples" / "pop909-mini"


def assert_batch_matches_single(tokenizer: object, files: list[Path], *, bars: int, batch: int = 64) -> int:
    """Check that ``encode_many`` in batches gives exactly what ``encode`` gives file by file; return the windows.

    Windows, start bars and counts (ignoring zero counts) must agree for every file.
    """
    import numpy as np

    batched = []
    for start in range(0, len(files), batch):
        batched += tokenizer.encode_many(files[start : start + batch], bars=bars, max_windows=5)  # type: ignore[attr-defined]
    windows = 0
    for path, together in zip(files, batched, strict=True):
        alone = tokenizer.encode(path, bars=bars, max_windows=5)  # type: ignore[attr-defined]
        np.testing.assert_array_equal(together.windows, alone.windows, err_msg=str(path))
        np.testing.assert_array_equal(together.start_bars, alone.start_bars, err_msg=str(path))
        nonzero = ({k: v for k, v in counts.items() if v} for counts in (together.counts, alone.counts))
        assert next(nonzero) == next(nonzero), path
        windows += len(alone.windows)
    return windows


def assert_round_trip(encoder: object, decoder: object, path: Path, *, bars: int) -> int:
    """Check that every window ``encoder`` makes of ``path`` survives ``decoder``'s decode and encode; return how many.

    ``encoder`` may transpose (key-normalise) the song; ``decoder`` encodes as
    written, so a decoded window must encode back to itself at bar 0, element
    for element. Every window is checked, not only the ones ``prepare`` keeps.
    """
    import numpy as np

    encoding = encoder.encode(path, bars=bars)  # type: ignore[attr-defined]
    for number, window in enumerate(encoding.windows):
        again = decoder.encode(decoder.decode(window), bars=bars)  # type: ignore[attr-defined]
        np.testing.assert_array_equal(
            again.windows[list(again.start_bars).index(0)], window, err_msg=f"{path} window {number}"
        )
    return len(encoding.windows)


def sounding_steps(score: symusic.Score, steps_per_quarter: int = 12) -> dict[int, set[tuple[str, int]]]:
    """For each step (``1/steps_per_quarter`` of a quarter), the (track name, pitch) pairs sounding then."""
    tpq = score.ticks_per_quarter
    sounding: dict[int, set[tuple[str, int]]] = {}
    for track in score.tracks:
        for note in track.notes:
            first = round(note.time * steps_per_quarter / tpq)
            last = round((note.time + note.duration) * steps_per_quarter / tpq)
            for step in range(first, max(last, first + 1)):
                sounding.setdefault(step, set()).add((track.name.lower(), note.pitch))
    return sounding


def assert_same_music_outside(
    before: symusic.Score, after: symusic.Score, gap: tuple[float, float], tracks: tuple[str, ...] = ()
) -> int:
    """Check that ``after`` sounds like ``before`` outside ``gap`` (quarters ``[start, end)`` of ``tracks``; all when empty).

    At every step outside the gap the same (track, pitch) pairs sound, and every
    note starting outside the gap starts in both. Returns how many steps were
    compared, so a test can show it compared something.
    """
    steps = 12
    start = round(gap[0] * steps)
    end = round(gap[1] * steps) if gap[1] != float("inf") else 2**62
    in_gap = {name.lower() for name in tracks}

    def outside(pairs: set[tuple[str, int]], step: int) -> set[tuple[str, int]]:
        if start <= step < end:
            return {pair for pair in pairs if in_gap and pair[0] not in in_gap}
        return pairs

    a, b = sounding_steps(before, steps), sounding_steps(after, steps)
    compared = 0
    for step in sorted(set(a) | set(b)):
        left, right = outside(a.get(step, set()), step), outside(b.get(step, set()), step)
        assert left == right, f"at quarter {step / steps:g} the input sounds {sorted(left)}, the output {sorted(right)}"
        compared += 1

    def onsets(score: symusic.Score) -> set[tuple[str, int, int]]:
        found = set()
        for track in score.tracks:
            for note in track.notes:
                step = round(note.time * steps / score.ticks_per_quarter)
                if not (start <= step < end) or (in_gap and track.name.lower() not in in_gap):
                    found.add((track.name.lower(), step, note.pitch))
        return found

    lost = onsets(before) - onsets(after)
    assert not lost, f"notes starting outside the gap were lost: {sorted(lost)[:5]}"
    extra = onsets(after) - onsets(before)
    assert all(step == end for _, step, _ in extra), f"the output starts notes outside the gap: {sorted(extra)[:5]}"
    return compared


def melody_table(song: str | Path) -> NoteTable:
    """The melody of a MIDI file as a :class:`~smdiff.notes.NoteTable` (bars from its beat annotations, if any)."""
    from smdiff.midi import load_score
    from smdiff.notes import NoteTable

    table = NoteTable.from_score(load_score(song), source_path=song)
    return table.select(table.track == table.melody_track())


def distinct_segments(table: NoteTable, bars: int, count: int) -> dict[str, int] | None:
    """Starts of ``count`` non-overlapping ``bars``-bar stretches of a melody, each unlike the others, named A, B, C…

    A stretch needs notes in all but 3 of its bars; two stretches are unlike
    when their aligned bars share under 30 % of their notes on average.
    ``None`` when the melody has no such stretches (it repeats one or two phrases throughout).
    """
    from smdiff.form.detect import bar_similarity

    similarity = bar_similarity(table)
    chosen: list[int] = []
    for start in range(0, table.n_bars - bars, 2):
        busy = sum(len(table.in_bars(start + bar, start + bar + 1)) > 0 for bar in range(bars)) >= bars - 3
        apart = all(abs(start - other) >= bars for other in chosen)
        unlike = all(np.mean([similarity[start + k, other + k] for k in range(bars)]) < 0.3 for other in chosen)
        if busy and apart and unlike:
            chosen.append(start)
        if len(chosen) == count:
            return dict(zip("ABCDEFGH", chosen, strict=False))
    return None


def arranged_melody(table: NoteTable, segments: dict[str, int], form: str, bars: int) -> NoteTable:
    """A new melody in a known form: the ``bars``-bar stretches starting at ``segments[letter]``, one per letter of
    ``form`` (``"A B A C"``), each note at its place in its bar (4/4 bars from quarter 0)."""
    from smdiff.notes import NoteTable

    parts = []
    for place, letter in enumerate(form.split()):
        notes = table.in_bars(segments[letter], segments[letter] + bars)
        parts.append((notes.positions() + notes.bar - segments[letter] + place * bars, notes))
    onset = np.concatenate([position for position, _ in parts]) * 4.0

    def joined(field: str) -> np.ndarray:
        return np.concatenate([getattr(notes, field) for _, notes in parts])

    return NoteTable(
        onset=onset, duration=joined("duration"), pitch=joined("pitch"), velocity=joined("velocity"),
        track=np.zeros(len(onset), dtype=np.int64), bar=np.floor(onset / 4.0 + 1e-9).astype(np.int64),
        n_bars=bars * len(form.split()), track_names=("melody",),
    )  # fmt: skip


#: C major, A minor, F major and G7 as block chords, a bar each, for songs whose chords are known
CHORD_SONG_PROGRESSION = ((48, 52, 55), (45, 48, 52), (41, 45, 48), (43, 47, 50, 53))


def write_chord_song(path: str | Path) -> Path:
    """Four bars of block chords (C, Am, F, G7: :data:`CHORD_SONG_PROGRESSION`) in a PIANO track under a MELODY of
    their tones, without a chord annotation: a song whose chords a recogniser must find."""
    piano = [(bar * 1920, 1920, pitch, 80) for bar, tones in enumerate(CHORD_SONG_PROGRESSION) for pitch in tones]
    melody = [(bar * 1920 + beat * 480, 480, 72 + tones[beat % 3] % 12, 90)
              for bar, tones in enumerate(CHORD_SONG_PROGRESSION) for beat in range(4)]  # fmt: skip
    return write_midi(path, {"MELODY": melody, "PIANO": piano})


def chorale_chord_agreement(count: int, folder: str | Path) -> tuple[int, int]:
    """Bach chorales of music21's corpus (the first ``count`` four-part ones, repeats written out): beats holding a
    complete major or minor triad by music21's ``chordify``, and how many of them ``smdiff.recognise_chords`` names
    with the same root and family. Needs ``music21``; MIDI files go to ``folder``."""
    from music21 import corpus

    from smdiff.data.chord_recognition import recognise_chords

    total = agree = taken = 0
    for path in sorted(corpus.getComposer("bach")):
        work = corpus.parse(path)
        if len(work.parts) != 4:
            continue
        work = work.expandRepeats()  # music21 writes repeats out in MIDI; compare the same music
        midi = Path(folder) / "chorale.mid"
        work.write("midi", fp=str(midi))
        score = symusic.Score(str(midi))
        found = recognise_chords(score, np.arange(int(work.highestTime) + 1) * score.ticks_per_quarter)
        for chord in work.chordify().flatten().getElementsByClass("Chord"):
            family = "maj" if chord.isMajorTriad() else "min" if chord.isMinorTriad() else None
            if family and chord.quarterLength >= 1 and chord.offset == int(chord.offset) < len(found):
                total += 1
                agree += found[int(chord.offset)].majmin == (chord.root().pitchClass, family)
        taken += 1
        if taken == count:
            break
    return total, agree
