"""The multi-instrument `octuple` tokenizer (MusicBERT's form) on real band MIDI and music21's corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import symusic

from smdiff.config import DataConfig
from smdiff.plugins import build_plugin_host
from smdiff.testing import assert_same_music_outside, write_band_song
from smdiff.tokenizer import EncodeFailure
from smdiff_octuple.instruments import INSTRUMENT_SLOTS
from smdiff_octuple.tokenizer import INSTRUMENT, PITCH

BARS = 4
DRUMS = INSTRUMENT_SLOTS.index("drums")


def octuple(normalise_key: bool = False):
    spec = build_plugin_host().registries.tokenizers.get("octuple")
    return spec.factory(DataConfig(tokenizer_id="octuple", bars=BARS, max_notes=256, normalise_key=normalise_key))


@pytest.fixture(scope="module")
def band(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("band")
    for variant in range(8):
        write_band_song(root / f"song{variant}.mid", variant, bars=8)
    return root


def test_every_track_is_kept_with_its_program_and_the_drums(band, tmp_path):
    tokenizer = octuple()
    assert tokenizer.token_spec.vocab_sizes[INSTRUMENT] == 130  # 128 programs, the drums, padding
    encoding = tokenizer.encode(band / "song0.mid", bars=BARS)
    assert encoding.roles == {"program_0": "program", "program_25": "program", "program_33": "program",
                              "drums": "drum channel"}  # fmt: skip
    window = encoding.windows[0]
    instruments = set(window[:, INSTRUMENT].tolist()) - {tokenizer.pad_ids[INSTRUMENT]}
    assert instruments == {0, 25, 33, DRUMS}
    decoded = tokenizer.decode(window)
    tracks = {(t.program, t.is_drum) for t in decoded.tracks if len(t.notes)}
    assert tracks == {(0, False), (25, False), (33, False), (0, True)}
    decoded.dump_midi(str(tmp_path / "again.mid"))
    np.testing.assert_array_equal(tokenizer.encode(tmp_path / "again.mid", bars=BARS).windows[0], window)


def test_keys_move_every_pitched_track_and_never_the_drums(band):
    kept, moved = octuple().encode(band / "song2.mid", bars=BARS), octuple(True).encode(band / "song2.mid", bars=BARS)
    assert moved.transposition != 0

    def pitches(encoding, drums: bool):
        rows = encoding.windows[0]
        return rows[(rows[:, INSTRUMENT] == DRUMS) == drums, PITCH]

    np.testing.assert_array_equal(pitches(kept, True), pitches(moved, True))
    assert not np.array_equal(pitches(kept, False), pitches(moved, False))


def test_every_music21_work_encodes(music21_midi):
    results = octuple().encode_many(sorted(music21_midi.rglob("*.mid")), bars=BARS)
    assert results and all(not isinstance(r, EncodeFailure) and len(r.windows) for r in results)


def test_octuple_ddpm_trains_and_regenerates_the_bass_keeping_the_rest(cli, band, tmp_path):
    cache = tmp_path / "band.npy"
    prepared = cli("prepare", "--tokenizer_id", "octuple", "--bars", str(BARS), "--root_dir", str(band),
                   "--cache_path", str(cache), "--set", "data.max_notes=256", "--set", "data.split=[0.75, 0.25, 0.0]")  # fmt: skip
    assert prepared.exit_code == 0, prepared.output
    assert "program_33 chosen by" in prepared.output and "drums chosen by" in prepared.output
    run = tmp_path / "run"
    trained = cli("train", "--model", "octuple_ddpm", "--bars", str(BARS), "--batch_size", "2", "--steps", "3",
                  "--log_dir", str(run), "--set", f"data.cache_path={cache}", "--set", "data.tokenizer_id=octuple",
                  "--set", "data.max_notes=256", "--set", "model.preset=tiny", "--set", "train.warmup_steps=0",
                  "--set", "train.train_samples=0", "--set", "train.probe_windows=0")  # fmt: skip
    assert trained.exit_code == 0, trained.output
    out = tmp_path / "new_bass"
    sampled = cli("sample", "--load_dir", str(run), "--task", "infill", "--input_midi", str(band / "song5.mid"),
                  "--mask_tracks", "program_33", "--n_samples", "2", "--sampler", "confidence", "--sample_steps", "8",
                  "--out_dir", str(out))  # fmt: skip
    assert sampled.exit_code == 0, sampled.output
    tokenizer = octuple()
    for record in json.loads((out / "index.json").read_text())["samples"]:
        before = tokenizer.decode(tokenizer.repair(np.load(out / record["tokens"].replace(".npy", ".original.npy")))[0])
        after = tokenizer.decode(tokenizer.repair(np.load(out / record["tokens"]))[0])
        assert assert_same_music_outside(before, after, (0.0, float("inf")), ("program_33",)) > 0  # to the end
        assert record["outside_gap_notes_changed"] == 0
        written = symusic.Score(str(out / record["midi"]))
        assert {(t.program, t.is_drum) for t in written.tracks if len(t.notes)} >= {(0, False), (25, False), (0, True)}
