"""Infilling keeps the song: decoded notes outside the gap sound exactly as in the input, on real POP909 songs.

Grid tokenizers (`melody`, `trio`), both samplers, an untrained model (it writes
notes anywhere, the hardest case) and a briefly trained one. Each case picks its
gap from the song so the situation it names really occurs there.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import symusic

from smdiff.config import DataConfig
from smdiff.testing import assert_same_music_outside, pop909_or_bundled
from smdiff_onehot.grid import FIRST_PITCH_TOKEN, HOLD, NOTE_OFF, STEPS_PER_BAR, GridTokenizer

ROOT = Path(__file__).resolve().parents[2]
BARS = 16
SONGS = ["001", "016", "031", "046"]


@pytest.fixture(scope="module")
def songs() -> list[Path]:
    root = pop909_or_bundled(ROOT)
    return [root / song / f"{song}.mid" for song in SONGS]


def make_run(cli, songs, folder: Path, tokenizer: str, steps: int) -> Path:
    cache = folder / f"{tokenizer}.npy"
    prepared = cli("prepare", "--tokenizer_id", tokenizer, "--bars", str(BARS), "--root_dir", str(songs[0].parents[1]),
                   "--cache_path", str(cache))  # fmt: skip
    assert prepared.exit_code == 0, prepared.output
    trained = cli("train", "--model", "schmu_conv", "--bars", str(BARS), "--dataset_id", f"pop909_{tokenizer}",
                  "--batch_size", "4", "--steps", str(steps), "--log_dir", str(folder / "run"), "--set", f"data.cache_path={cache}",
                  "--set", "model.preset=tiny", "--set", "train.warmup_steps=0", "--set", "train.train_samples=0",
                  "--set", "train.probe_windows=0", "--set", "train.validate_every=1000")  # fmt: skip
    assert trained.exit_code == 0, trained.output
    return folder / "run"


@pytest.fixture(scope="module")
def melody_runs(cli, songs, tmp_path_factory):
    return {
        steps: make_run(cli, songs, tmp_path_factory.mktemp(f"melody{steps}"), "melody", steps) for steps in (1, 150)
    }


@pytest.fixture(scope="module")
def trio_run(cli, songs, tmp_path_factory):
    return make_run(cli, songs, tmp_path_factory.mktemp("trio"), "trio", 1)


def melody_window(song: Path) -> np.ndarray:
    return GridTokenizer.from_config("melody", ("melody",), DataConfig()).encode(song, bars=BARS).windows[0][:, 0]


def bar_where(column: np.ndarray, wanted: str) -> int | None:
    """A bar boundary (2..BARS-2) where the input has the named situation at that boundary's first step."""
    for bar in range(2, BARS - 1):
        step = bar * STEPS_PER_BAR
        token, before = int(column[step]), column[:step][column[:step] != HOLD]
        sounding = len(before) > 0 and before[-1] >= FIRST_PITCH_TOKEN
        if wanted == "note crossing" and token == HOLD and sounding:
            return bar
        if wanted == "rest continuing" and token == HOLD and not sounding:
            return bar
    return None


def song_with(songs: list[Path], wanted: str) -> tuple[Path, int]:
    """The first song whose first 16 bars have ``wanted`` at a bar boundary, and that bar."""
    for song in songs:
        bar = bar_where(melody_window(song), wanted)
        if bar is not None:
            return song, bar
    raise AssertionError(f"no song has a {wanted} at a bar boundary")


def infill(cli, run: Path, song: Path, out: Path, sampler: str, *gap: str) -> list[dict]:
    result = cli("sample", "--load_dir", str(run), "--task", "infill", "--input_midi", str(song), "--n_samples", "2",
                 "--sampler", sampler, "--sample_steps", "8", "--out_dir", str(out), *gap)  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads((out / "index.json").read_text())["samples"]


def check(out: Path, records: list[dict], start_bar: int, end_bar: int, tracks: tuple[str, ...] = ()) -> None:
    """The output's notes against the input window's, both decoded by the same tokenizer: same music outside the gap."""
    for record in records:
        tokens = np.load(out / record["tokens"].replace(".npy", ".original.npy"))
        index = json.loads((out / "index.json").read_text())
        slots = ("melody",) if tokens.shape[1] == 1 else ("melody", "bridge", "piano")
        tokenizer = GridTokenizer.from_config(index["tokenizer"], slots, DataConfig())
        before, after = tokenizer.decode(tokens), tokenizer.decode(np.load(out / record["tokens"]))
        assert record["selection"]["spans"] == [[start_bar, end_bar]]
        ((first, last),) = record["window_selection"]["spans"]  # the gap in the model window's bars
        compared = assert_same_music_outside(before, after, (first * 4.0, last * 4.0), tracks)
        assert compared > 0 and record["outside_gap_notes_changed"] == 0


@pytest.mark.parametrize("sampler", ["ancestral", "confidence"])
@pytest.mark.parametrize("steps", [1, 150])
@pytest.mark.parametrize("situation", ["note crossing", "rest continuing"])
def test_the_music_after_the_gap_sounds_as_in_the_input(cli, melody_runs, songs, tmp_path, sampler, steps, situation):
    song, end = song_with(songs, situation)  # the gap ends where a note sounds on, or a rest goes on
    start = max(end - 4, 1)
    records = infill(
        cli, melody_runs[steps], song, tmp_path, sampler, "--mask_start_bar", str(start), "--mask_end_bar", str(end)
    )
    check(tmp_path, records, start, end)


def test_a_note_sounding_into_the_gap_keeps_its_onset(cli, melody_runs, songs, tmp_path):
    song, start = song_with(songs[::-1], "note crossing")  # the gap starts while a note sounds
    records = infill(cli, melody_runs[1], song, tmp_path, "confidence", "--mask_start_bar", str(start),
                     "--mask_end_bar", str(start + 3))  # fmt: skip
    check(tmp_path, records, start, start + 3)


def test_track_infilling_keeps_the_other_tracks_and_the_bars_around(cli, trio_run, songs, tmp_path):
    records = infill(cli, trio_run, songs[3], tmp_path, "ancestral", "--mask_start_bar", "4", "--mask_end_bar", "9",
                     "--mask_tracks", "piano")  # fmt: skip
    check(tmp_path, records, 4, 9, ("piano",))
    whole = infill(cli, trio_run, songs[3], tmp_path / "whole", "confidence", "--mask_tracks", "bridge,piano")
    check(tmp_path / "whole", whole, 0, BARS, ("bridge", "piano"))


def test_hold_tokens_after_the_gap_are_pinned_to_what_the_input_sounds():
    tokenizer = GridTokenizer.from_config("melody", ("melody",), DataConfig())
    window = np.array([[2 + 40], [HOLD], [HOLD], [HOLD], [NOTE_OFF], [HOLD], [HOLD], [2 + 50]])
    region = np.zeros_like(window, dtype=bool)
    region[1:3] = True  # the note sounds across the gap's end: re-struck at step 3
    prepared, kept = tokenizer.prepare_infill(window, region)
    assert prepared[:, 0].tolist() == [42, HOLD, HOLD, 42, NOTE_OFF, HOLD, HOLD, 52] and (kept == region).all()
    region = np.zeros_like(window, dtype=bool)
    region[4:6] = True  # the input rests after the gap: an explicit note-off at step 6
    assert tokenizer.prepare_infill(window, region)[0][:, 0].tolist() == [
        42,
        HOLD,
        HOLD,
        HOLD,
        NOTE_OFF,
        HOLD,
        NOTE_OFF,
        52,
    ]


def test_the_song_comes_back_in_its_own_tempo_metre_and_velocities(cli, melody_runs, tmp_path):
    """A 2/4 song at 90 qpm with varied velocities, on the grid's own steps: outside the gap it comes back as it was."""
    score = symusic.Score(480)
    score.time_signatures.append(symusic.TimeSignature(0, 2, 4))
    score.tempos.append(symusic.Tempo(0, 90.0))
    melody = symusic.Track(name="MELODY")
    step = 2 * 480 // STEPS_PER_BAR  # sixteen steps in a 2/4 bar
    for index in range(BARS * 4):  # four notes a bar, each two steps long
        melody.notes.append(symusic.Note(index * 4 * step, 2 * step, 60 + (index * 3) % 12, 40 + (index * 7) % 80))
    score.tracks.append(melody)
    song = tmp_path / "two-four.mid"
    score.dump_midi(str(song))
    records = infill(
        cli, melody_runs[150], song, tmp_path / "out", "confidence", "--mask_start_bar", "4", "--mask_end_bar", "8"
    )
    for record in records:
        output = symusic.Score(str(tmp_path / "out" / record["midi"]))
        assert [(t.numerator, t.denominator) for t in output.time_signatures] == [(2, 4)]
        assert [round(t.qpm, 2) for t in output.tempos] == [90.0]
        gap = (4 * 960, 8 * 960)
        kept = [
            (n.time, n.duration, n.pitch, n.velocity) for n in output.tracks[0].notes if not gap[0] <= n.time < gap[1]
        ]
        expected = [(n.time, n.duration, n.pitch, n.velocity) for n in melody.notes if not gap[0] <= n.time < gap[1]]
        assert kept == expected


def test_an_infilling_comes_back_in_its_inputs_key(cli, melody_runs, songs, tmp_path):
    """The model works in C major / A minor; the written MIDI is moved back, so the bars before the gap match."""
    from smdiff.data.keys import normalising_shift
    from smdiff.midi import load_score

    song = next(s for s in songs if normalising_shift(load_score(s)) != 0)
    records = infill(
        cli, melody_runs[150], song, tmp_path, "confidence", "--mask_start_bar", "8", "--mask_end_bar", "12"
    )
    source = load_score(song)
    melody = next(t for t in source.tracks if t.name.strip().upper() == "MELODY").notes.numpy()
    bar = source.tpq * 4  # 4/4; a pickup moves POP909's bars by less than the two-bar margin below
    heard = set(melody["pitch"][melody["time"] < 9 * bar].tolist())
    for record in records:
        assert record["semitones_moved"] == -normalising_shift(source)
        written = load_score(tmp_path / record["midi"])
        notes = written.tracks[0].notes.numpy()
        before = notes["pitch"][notes["time"] * source.tpq < 6 * bar * written.tpq]  # well before the gap (bar 8)
        assert len(before) > 0
        assert np.mean([pitch in heard for pitch in before.tolist()]) > 0.95
