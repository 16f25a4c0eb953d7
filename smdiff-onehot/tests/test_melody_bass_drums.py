"""SCHmUBERT's Lakh trio: melody, bass and drums found in multi-instrument band files; drums as 9-class hit masks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import symusic

from smdiff.config import DataConfig
from smdiff.errors import DataError
from smdiff.plugins import build_plugin_host
from smdiff.testing import CLAP, CLOSED_HAT, CRASH, KICK, SNARE, assert_same_music_outside, write_band_song
from smdiff_onehot.drums import CLASS_OF_PITCH, DRUM_CLASSES

BARS = 8


@pytest.fixture(scope="module")
def band(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("band")
    for variant in range(8):
        write_band_song(root / f"song{variant}.mid", variant, BARS)
    return root


def trio(normalise_key: bool = False):
    spec = build_plugin_host().registries.tokenizers.get("melody_bass_drums")
    return spec.factory(DataConfig(tokenizer_id="melody_bass_drums", bars=BARS, normalise_key=normalise_key))


def test_the_drum_classes_are_musicvaes_nine_and_each_pitch_is_in_one():
    assert len(DRUM_CLASSES) == 9 and [c[0] for c in DRUM_CLASSES] == [36, 38, 42, 46, 45, 48, 50, 49, 51]
    pitches = [p for c in DRUM_CLASSES for p in c]
    assert len(pitches) == len(set(pitches)) and CLASS_OF_PITCH[CLAP] == CLASS_OF_PITCH[SNARE] == 1


def test_roles_are_found_and_drums_become_hit_masks(band):
    encoding = trio().encode(band / "song0.mid", bars=BARS)
    assert encoding.roles == {"melody": "name", "bass": "name", "drums": "drum channel"}  # the guitar is left out
    assert trio().token_spec.vocab_sizes == (90, 90, 512)
    drums = encoding.windows[0][:, 2].astype(int)
    kick, snare, hat, crash = 1, 2, 4, 128
    assert drums[0] == kick | hat | crash and drums[4] == snare | hat and drums[2] == 0
    assert drums[12] == snare | hat  # the clap on beat 4 joins the snare hit there
    assert encoding.counts["drum_notes_without_class"] == 1 and encoding.counts["notes_dropped_polyphony"] == 0


def test_decoding_writes_channel_10_hits_that_encode_back_to_the_same_windows(band, tmp_path):
    tokenizer = trio()
    windows = tokenizer.encode(band / "song1.mid", bars=BARS).windows
    struck = set()
    for window in windows:
        decoded = tokenizer.decode(window)
        assert [(t.name, t.is_drum) for t in decoded.tracks] == [("MELODY", False), ("BASS", False), ("DRUMS", True)]
        struck |= {n.pitch for n in decoded.tracks[2].notes}
        path = tmp_path / "again.mid"
        decoded.dump_midi(str(path))
        np.testing.assert_array_equal(tokenizer.encode(path, bars=BARS).windows[0], window)
    assert struck == {KICK, SNARE, CLOSED_HAT, CRASH}  # every class played, each written with its own pitch


def test_keys_and_transposition_move_melody_and_bass_never_drums(band):
    kept, moved = (
        trio().encode(band / "song2.mid", bars=BARS),
        trio(normalise_key=True).encode(band / "song2.mid", bars=BARS),
    )
    assert moved.transposition != 0
    np.testing.assert_array_equal(kept.windows[0][:, 2], moved.windows[0][:, 2])
    assert not np.array_equal(kept.windows[0][:, 0], moved.windows[0][:, 0])
    shifted = trio().transpose(kept.windows.astype(np.int64), np.full(len(kept.windows), 2))
    np.testing.assert_array_equal(shifted[..., 2], kept.windows[..., 2])
    pitched = kept.windows[..., :2] >= 2
    np.testing.assert_array_equal(shifted[..., :2][pitched], kept.windows[..., :2][pitched] + 2)


def test_a_drum_token_outside_its_range_is_reported_with_the_drum_range(band):
    window = trio().encode(band / "song0.mid", bars=BARS).windows[0].astype(np.int64)
    window[7, 2] = 512
    with pytest.raises(
        DataError, match=r"invalid token 512 at step 7, channel drums \(valid: 0\.\.511; 512 is the mask\)"
    ):
        trio().decode(window)


def test_prepare_train_and_refill_the_drums_keeping_the_rest_of_the_song(cli, band, tmp_path):
    cache = tmp_path / "mbd.npy"
    prepared = cli("prepare", "--tokenizer_id", "melody_bass_drums", "--bars", str(BARS), "--root_dir", str(band),
                   "--cache_path", str(cache), "--set", "data.split=[0.75, 0.25, 0.0]")  # fmt: skip
    assert prepared.exit_code == 0, prepared.output
    meta = json.loads(cache.with_suffix(".json").read_text())
    assert meta["roles_summary"] == {"melody": {"name": 8}, "bass": {"name": 8}, "drums": {"drum channel": 8}}
    run = tmp_path / "run"
    trained = cli("train", "--model", "schmu_conv", "--bars", str(BARS), "--batch_size", "2", "--steps", "3",
                  "--log_dir", str(run), "--set", f"data.cache_path={cache}", "--set", "data.tokenizer_id=melody_bass_drums",
                  "--set", "model.preset=tiny", "--set", "train.warmup_steps=0", "--set", "train.train_samples=0",
                  "--set", "train.probe_windows=0")  # fmt: skip
    assert trained.exit_code == 0, trained.output
    out = tmp_path / "refilled"
    sampled = cli("sample", "--load_dir", str(run), "--task", "infill", "--input_midi", str(band / "song3.mid"),
                  "--mask_start_bar", "2", "--mask_end_bar", "6", "--mask_tracks", "drums", "--n_samples", "2",
                  "--sampler", "confidence", "--sample_steps", "8", "--out_dir", str(out))  # fmt: skip
    assert sampled.exit_code == 0, sampled.output
    tokenizer = trio()
    for record in json.loads((out / "index.json").read_text())["samples"]:
        before = tokenizer.decode(np.load(out / record["tokens"].replace(".npy", ".original.npy")))
        after = tokenizer.decode(np.load(out / record["tokens"]))
        assert assert_same_music_outside(before, after, (2 * 4.0, 6 * 4.0), ("drums",)) > 0
        assert record["outside_gap_notes_changed"] == 0
        song, written = symusic.Score(str(band / "song3.mid")), symusic.Score(str(out / record["midi"]))
        assert [(t.name, t.program, t.is_drum) for t in written.tracks] == [
            (t.name, t.program, t.is_drum) for t in song.tracks
        ]  # the user's song comes back: its tracks, programs and drum flags
