"""`smdiff prepare` and `smdiff convert` end to end on real POP909 files, through the real CLI."""

from __future__ import annotations

import json

import mido
import numpy as np
import pytest


@pytest.fixture(scope="module")
def trio_cache(cli, pop909, tmp_path_factory):
    path = tmp_path_factory.mktemp("cache") / "trio.npy"
    result = cli(
        "prepare", "--dataset_id", "pop909_trio", "--root_dir", str(pop909), "--limit", "12", "--cache_path", str(path)
    )
    assert result.exit_code == 0, result.output
    return path


def test_prepare_reports_top_line_drops(trio_cache):
    meta = json.loads(trio_cache.with_suffix(".json").read_text())
    assert meta["counts"]["files_encoded"] == 12 and meta["counts"]["notes_dropped_polyphony"] > 0
    assert meta["track_names"] == ["melody", "bridge", "piano"]


def test_convert_writes_midi_that_other_tools_open(cli, trio_cache, tmp_path):
    result = cli("convert", "--input", str(trio_cache), "--output_dir", str(tmp_path), "--limit", "2")
    assert result.exit_code == 0 and "wrote 2 MIDI file(s)" in result.stdout
    for path in sorted(tmp_path.glob("*.mid")):
        midi = mido.MidiFile(str(path))  # an independent MIDI reader
        names = [msg.name for track in midi.tracks for msg in track if msg.type == "track_name"]
        assert names == ["MELODY", "BRIDGE", "PIANO"]
        assert sum(msg.type == "note_on" and msg.velocity > 0 for track in midi.tracks for msg in track) > 10


def test_convert_reports_invalid_tokens_and_writes_the_rest(cli, trio_cache, tmp_path):
    windows = np.load(trio_cache)[:3].astype(np.int64)
    windows[1, 40, 1] = 99
    bad = tmp_path / "sampled.npy"
    np.save(bad, windows)
    result = cli("convert", "--input", str(bad), "--tokenizer_id", "trio", "--output_dir", str(tmp_path / "out"))
    assert result.exit_code == 0 and "window 1: invalid token 99 at step 40, channel bridge" in result.stderr
    assert len(list((tmp_path / "out").glob("*.mid"))) == 2


def test_convert_without_a_tokenizer_or_with_the_wrong_one_exits_2(cli, trio_cache, tmp_path):
    plain = tmp_path / "plain.npy"
    np.save(plain, np.load(trio_cache)[:1])
    assert cli("convert", "--input", str(plain)).exit_code == 2
    wrong = cli("convert", "--input", str(trio_cache), "--tokenizer_id", "melody")
    assert wrong.exit_code == 2 and "was made by tokenizer 'trio'" in wrong.stderr
