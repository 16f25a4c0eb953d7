"""``trio_octuple_chords`` on real POP909 songs: each note's chord field is the song's chord at its onset, moved with
key normalisation, written back as a chord track that reads back the same; harmonize and accompany through the
real CLI with a really trained model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import symusic

from smdiff import CHORD_VOCAB, Piece, beat_chords, chord_token, token_chord
from smdiff.config import DataConfig
from smdiff.testing import pop909_or_bundled
from smdiff_octuple.chords import CHORD, OctupleChordTokenizer
from smdiff_octuple.codes import POSITIONS_PER_QUARTER
from smdiff_octuple.tokenizer import BAR, FIELDS, POSITION

ROOT = Path(__file__).resolve().parents[2]
BARS = 16
SLOTS = ("melody", "bridge", "piano")


def tokenizer(normalise_key: bool = False) -> OctupleChordTokenizer:
    return OctupleChordTokenizer.from_config(
        "trio_octuple_chords", SLOTS, DataConfig(bars=BARS, max_notes=1024, normalise_key=normalise_key)
    )


@pytest.fixture(scope="module")
def songs() -> list[Path]:
    return sorted(pop909_or_bundled(ROOT).glob("*/*.mid"))


def notes(window: np.ndarray) -> np.ndarray:
    return window[window[:, BAR] != tokenizer().pad_ids[BAR]]


def test_every_note_carries_the_annotated_chord_of_its_onset_beat(songs):
    for song in songs[:3]:
        score = symusic.Score(str(song))
        annotated = beat_chords(score, song)
        encoding = tokenizer().encode(song, bars=BARS, source=song)
        assert encoding.roles["chords"] == "annotation" and encoding.windows.shape[-1] == len(FIELDS) + 1
        grid = tokenizer().bar_grids([Piece.read(song, slots=SLOTS, source=song)])[0]
        per_beat = POSITIONS_PER_QUARTER * grid.beat_unit
        for window, start in zip(encoding.windows[:4], encoding.start_bars[:4], strict=True):
            rows = notes(window).astype(np.int64)
            beat = np.floor(grid.downbeats[rows[:, BAR] + start] + rows[:, POSITION] / per_beat).astype(int)
            want = [chord_token(annotated.chords[b]) if b < len(annotated.chords) else 0 for b in beat]
            assert rows[:, CHORD].tolist() == want


def test_decoding_writes_a_chord_track_that_reads_back_as_the_same_chord_fields(songs, tmp_path):
    window = tokenizer().encode(songs[0], bars=BARS, source=songs[0]).windows[3]
    score = tokenizer().decode(window)
    assert [track.name for track in score.tracks] == ["MELODY", "BRIDGE", "PIANO", "CHORDS"]
    path = tmp_path / "decoded.mid"
    score.dump_midi(str(path))
    again = tokenizer().encode(path, bars=BARS, source=path)
    assert again.roles["chords"] == "chord track" and again.roles["piano"] == "name"
    first = notes(again.windows[0])
    assert np.array_equal(first[:, : len(FIELDS)], notes(window)[:, : len(FIELDS)])  # the chords join no track
    assert np.mean(first[:, CHORD] == notes(window)[:, CHORD]) >= 0.99


def test_key_normalisation_and_transposition_move_the_chords_with_the_notes(songs):
    kept, moved = (tokenizer(flag).encode(songs[0], bars=BARS, source=songs[0]) for flag in (False, True))
    assert moved.transposition != 0
    for before, after in zip(notes(kept.windows[2])[:, CHORD], notes(moved.windows[2])[:, CHORD], strict=True):
        assert token_chord(int(after)) == token_chord(int(before)).transposed(moved.transposition)
    shifted = tokenizer().transpose(kept.windows[:1], np.array([3]))[0]
    assert shifted[(shifted[:, CHORD] < CHORD_VOCAB), CHORD].tolist() == [
        chord_token(token_chord(int(t)).transposed(3))
        for t in kept.windows[0][kept.windows[0][:, CHORD] < CHORD_VOCAB, CHORD]
    ]


@pytest.fixture(scope="module")
def run(cli, songs, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("octuple-chords")
    subset = folder / "songs"
    for song in songs[:12]:
        (subset / song.parent.name).mkdir(parents=True)
        for name in (song.name, "beat_midi.txt", "chord_midi.txt"):
            (subset / song.parent.name / name).write_bytes((song.parent / name).read_bytes())
    cache = folder / "cache.npy"
    prepared = cli("prepare", "--dataset_id", "pop909_trio_octuple_chords", "--bars", str(BARS), "--root_dir",
                   str(subset), "--cache_path", str(cache))  # fmt: skip
    assert prepared.exit_code == 0, prepared.output
    trained = cli("train", "--model", "octuple_ddpm", "--bars", str(BARS), "--dataset_id", "pop909_trio_octuple_chords",
                  "--batch_size", "4", "--steps", "40", "--log_dir", str(folder / "run"), "--set",
                  f"data.cache_path={cache}", "--set", "model.preset=tiny", "--set", "train.warmup_steps=0",
                  "--set", "train.train_samples=0", "--set", "train.probe_windows=0",
                  "--set", "train.validate_every=1000")  # fmt: skip
    assert trained.exit_code == 0, trained.output
    return folder / "run"


def sample(cli, run: Path, song: Path, out: Path, task: str) -> tuple[np.ndarray, np.ndarray, dict]:
    result = cli("sample", "--load-dir", str(run), "--task", task, "--input-midi", str(song), "--mask-start-bar", "4",
                 "--mask-end-bar", "8", "--sample-steps", "8", "--out-dir", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads((out / "index.json").read_text())["samples"][0]
    return np.load(out / "sample_0000.original.npy"), np.load(out / "sample_0000.npy"), record


def test_harmonize_regenerates_only_the_chord_field_and_adds_a_chords_track_in_the_gap(cli, run, songs, tmp_path):
    original, generated, record = sample(cli, run, songs[0], tmp_path, "harmonize")
    assert np.array_equal(generated[:, : len(FIELDS)], original[:, : len(FIELDS)])  # every note as it was
    assert record["outside_gap_notes_changed"] == 0
    before, after = symusic.Score(str(songs[0])), symusic.Score(str(tmp_path / "sample_0000.mid"))
    assert [t.name for t in after.tracks] == [t.name for t in before.tracks] + ["CHORDS"]
    for old, new in zip(before.tracks, after.tracks, strict=False):
        assert old.notes.numpy()["time"].tolist() == new.notes.numpy()["time"].tolist()
    assert len(after.tracks[-1].notes) > 0


def test_accompany_keeps_the_melody_and_the_song_s_chords_outside_the_regenerated_notes(cli, run, songs, tmp_path):
    original, generated, record = sample(cli, run, songs[0], tmp_path, "accompany")
    melody = original[:, 2] == 0
    assert np.array_equal(generated[melody], original[melody])  # melody rows, chord field included, unchanged
    assert record["outside_gap_notes_changed"] == 0


def test_chords_for_a_new_octuple_piece_are_refused_in_one_line(cli, run, tmp_path):
    result = cli("sample", "--load-dir", str(run), "--chords", "C G Am F", "--out-dir", str(tmp_path / "out"))
    assert result.exit_code == 2 and "with a grid model" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
