"""Octuple infilling keeps the song: the gap's notes stay in the gap, the bars and metre stay the input's.

Real POP909 songs (the bundled subset when the full set is absent) and a song
in changing metres, an untrained and a briefly trained model, both samplers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import symusic

from smdiff.config import DataConfig
from smdiff.testing import assert_same_music_outside, pop909_or_bundled
from smdiff_octuple.tokenizer import BAR, INSTRUMENT, TIME_SIGNATURE, OctupleTokenizer

ROOT = Path(__file__).resolve().parents[2]
BARS = 16
SLOTS = ("melody", "bridge", "piano")


@pytest.fixture(scope="module")
def songs() -> Path:
    return pop909_or_bundled(ROOT)


@pytest.fixture(scope="module")
def runs(cli, songs, tmp_path_factory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("octuple")
    cache = folder / "trio.npy"
    subset = folder / "songs"
    for song in sorted(p for p in songs.iterdir() if (p / f"{p.name}.mid").exists())[:12]:
        (subset / song.name).mkdir(parents=True)
        (subset / song.name / f"{song.name}.mid").write_bytes((song / f"{song.name}.mid").read_bytes())
    prepared = cli("prepare", "--dataset_id", "pop909_trio_octuple", "--bars", str(BARS), "--root_dir", str(subset),
                   "--cache_path", str(cache), "--set", "data.split=[0.6, 0.2, 0.2]")  # fmt: skip
    assert prepared.exit_code == 0, prepared.output
    made = {}
    for steps in (1, 60):
        trained = cli("train", "--model", "octuple_ddpm", "--bars", str(BARS), "--dataset_id", "pop909_trio_octuple",
                      "--batch_size", "4", "--steps", str(steps), "--log_dir", str(folder / f"run{steps}"),
                      "--set", f"data.cache_path={cache}", "--set", "model.preset=tiny", "--set", "train.warmup_steps=0",
                      "--set", "train.train_samples=0", "--set", "train.probe_windows=0",
                      "--set", "train.validate_every=1000")  # fmt: skip
        assert trained.exit_code == 0, trained.output
        made[steps] = folder / f"run{steps}"
    return made


def tokenizer() -> OctupleTokenizer:
    return OctupleTokenizer.from_config("trio_octuple", SLOTS, DataConfig(bars=BARS))


def infill(cli, run: Path, song: Path, out: Path, sampler: str, *gap: str) -> list[dict]:
    result = cli("sample", "--load_dir", str(run), "--task", "infill", "--input_midi", str(song), "--n_samples", "2",
                 "--sampler", sampler, "--sample_steps", "8", "--out_dir", str(out), *gap)  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads((out / "index.json").read_text())["samples"]


def bar_starts(score: symusic.Score) -> np.ndarray:
    from smdiff.data.bars import BarGrid

    return BarGrid.for_score(score).bar_start_ticks / score.ticks_per_quarter


def check(out: Path, records: list[dict], start_bar: int, end_bar: int, tracks: tuple[str, ...] = ()) -> None:
    for record in records:
        original = np.load(out / record["tokens"].replace(".npy", ".original.npy"))
        generated = np.load(out / record["tokens"])
        before, after = tokenizer().decode(original), tokenizer().decode(tokenizer().repair(generated)[0])
        starts = bar_starts(before)
        gap = (starts[start_bar], starts[min(end_bar, len(starts) - 1)] if end_bar < BARS else float("inf"))
        assert assert_same_music_outside(before, after, gap, tracks) > 0
        assert record["outside_gap_notes_changed"] == 0 and record["units_dropped_by_repair"] == 0
        # the bar structure is the input's: same bars for the same rows, same time signatures and tempi
        np.testing.assert_array_equal(
            generated[:, [BAR, INSTRUMENT, TIME_SIGNATURE]], original[:, [BAR, INSTRUMENT, TIME_SIGNATURE]]
        )
        assert [(t.time, t.numerator, t.denominator) for t in after.time_signatures] == [
            (t.time, t.numerator, t.denominator) for t in before.time_signatures
        ]
        assert [(t.time, round(t.qpm, 3)) for t in after.tempos] == [(t.time, round(t.qpm, 3)) for t in before.tempos]


@pytest.mark.parametrize("sampler", ["ancestral", "confidence"])
@pytest.mark.parametrize("steps", [1, 60])
def test_bar_infilling_keeps_every_note_outside_the_gap(cli, runs, songs, tmp_path, sampler, steps):
    song = songs / "001" / "001.mid"
    records = infill(cli, runs[steps], song, tmp_path, sampler, "--mask_start_bar", "4", "--mask_end_bar", "9")
    check(tmp_path, records, 4, 9)
    converted = cli("convert", "--input", str(tmp_path / "sample_0000.npy"), "--tokenizer_id", "trio_octuple", "--bars",
                    str(BARS), "--output_dir", str(tmp_path / "converted"))  # fmt: skip
    assert converted.exit_code == 0 and "0 window(s) invalid" in converted.output


def test_regenerating_the_piano_keeps_melody_and_bridge(cli, runs, songs, tmp_path):
    song = songs / "016" / "016.mid"
    records = infill(cli, runs[60], song, tmp_path, "confidence", "--mask_tracks", "piano")
    check(tmp_path, records, 0, BARS, ("piano",))
    part = infill(cli, runs[1], song, tmp_path / "part", "ancestral", "--mask_tracks", "piano", "--mask_start_bar", "2",
                  "--mask_end_bar", "6")  # fmt: skip
    check(tmp_path / "part", part, 2, 6, ("piano",))


def test_bars_of_irregular_length_keep_their_metre(cli, runs, tmp_path):
    score = symusic.Score(480)
    for time, numerator, denominator in ((0, 4, 4), (4 * 480 * 2, 3, 4), (4 * 480 * 2 + 3 * 480 * 3, 6, 8)):
        score.time_signatures.append(symusic.TimeSignature(time, numerator, denominator))
    score.tempos.append(symusic.Tempo(0, 96.0))
    melody = symusic.Track(name="MELODY")
    piano = symusic.Track(name="PIANO")
    for beat in range(40):  # quarter notes rising and falling, a chord every beat
        melody.notes.append(symusic.Note(beat * 480, 720, 64 + (beat * 5) % 12, 90))  # each held past the next beat
        piano.notes.append(symusic.Note(beat * 480, 480, 48 + (beat * 7) % 12, 70))
    score.tracks.extend([melody, piano])
    song = tmp_path / "metres.mid"
    score.dump_midi(str(song))
    records = infill(cli, runs[1], song, tmp_path / "out", "confidence", "--mask_start_bar", "2", "--mask_end_bar", "5")
    check(tmp_path / "out", records, 2, 5)


@pytest.mark.parametrize("share", [0.5, 1.5])
def test_the_gap_can_be_given_fewer_or_more_notes(cli, runs, songs, tmp_path, share):
    song = songs / "001" / "001.mid"
    records = infill(cli, runs[1], song, tmp_path, "confidence", "--mask_start_bar", "4", "--mask_end_bar", "9",
                     "--set", f"sample.infill_notes={share}")  # fmt: skip
    for record in records:
        original = np.load(tmp_path / record["tokens"].replace(".npy", ".original.npy"))
        generated = np.load(tmp_path / record["tokens"])
        in_gap = lambda tokens: int(((tokens[:, BAR] >= 4) & (tokens[:, BAR] < 9)).sum())  # noqa: E731
        assert abs(in_gap(generated) - share * in_gap(original)) <= 1 + 0.1 * in_gap(original)
        assert record["outside_gap_notes_changed"] == 0


def test_a_form_for_new_pieces_is_refused_in_one_line_since_octuple_rows_have_no_fixed_bar(cli, runs, tmp_path):
    result = cli("sample", "--load_dir", str(runs[1]), "--out_dir", str(tmp_path / "out"), "--form", "A4 A4")
    assert result.exit_code == 2 and "needs a tokenizer whose rows are fixed steps of the bars" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def melody_rows(tokens: np.ndarray, first: int, last: int) -> list[tuple[int, int, int]]:
    """(bar − first, position, pitch) of the melody's notes in window bars [first, last)."""
    rows = tokens[
        (tokens[:, INSTRUMENT] == SLOTS.index("melody")) & (tokens[:, BAR] >= first) & (tokens[:, BAR] < last)
    ]
    return sorted((int(bar) - first, int(position), int(pitch)) for bar, position, pitch in rows[:, [BAR, 1, 3]])


def test_a_gap_repeats_given_bars_by_copying_their_notes(cli, runs, songs, tmp_path):
    song = songs / "001" / "001.mid"
    records = infill(cli, runs[60], song, tmp_path, "confidence", "--mask_start_bar", "10", "--mask_end_bar", "12",
                     "--mask_tracks", "melody", "--repeat-from", "6-8")  # fmt: skip
    for record in records:
        assert record["first_bar"] == 0 and record["outside_gap_notes_changed"] == 0
        generated = tokenizer().repair(np.load(tmp_path / record["tokens"]))[0]
        original = np.load(tmp_path / record["tokens"].replace(".npy", ".original.npy"))
        assert melody_rows(generated, 10, 12) == melody_rows(original, 6, 8) != []
        assert melody_rows(original, 10, 12) != melody_rows(original, 6, 8)
        before, after = tokenizer().decode(original), tokenizer().decode(generated)
        starts = bar_starts(before)
        assert assert_same_music_outside(before, after, (starts[10], starts[12]), ("melody",)) > 0


def test_a_gap_varies_given_bars_keeping_a_share_of_their_notes(cli, runs, songs, tmp_path):
    song = songs / "001" / "001.mid"
    records = infill(cli, runs[60], song, tmp_path, "confidence", "--mask_start_bar", "10", "--mask_end_bar", "12",
                     "--mask_tracks", "melody", "--vary-from", "6-8", "--vary-keep", "0.5")  # fmt: skip
    source = None
    for record in records:
        generated = tokenizer().repair(np.load(tmp_path / record["tokens"]))[0]
        source = melody_rows(np.load(tmp_path / record["tokens"].replace(".npy", ".original.npy")), 6, 8)
        varied = melody_rows(generated, 10, 12)
        kept = len(set(varied) & set(source))
        assert len(varied) == len(source) and 0.2 * len(source) <= kept < len(source)
        assert record["outside_gap_notes_changed"] == 0
    assert source
