"""Octuple tokenizers: MusicBERT's fields and quantisation, track identity, padding, POP909 round trips."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from smdiff.config import DataConfig
from smdiff.data.cache import sidecar_path
from smdiff.errors import DataError
from smdiff.plugins import build_plugin_host
from smdiff.testing import assert_batch_matches_single, assert_round_trip, make_score, scale, write_midi
from smdiff.tokenizer import EncodeFailure
from smdiff_octuple import codes
from smdiff_octuple.tokenizer import BAR, DURATION, INSTRUMENT, PITCH, POSITION, TEMPO, VELOCITY, OctupleTokenizer

TRIO = ("melody", "bridge", "piano")


def octuple(slots=TRIO, bars=4, max_notes=64, **config):
    """A tokenizer that keeps pieces in their keys: these tests check exact pitches (keys have their own tests)."""
    config = {"normalise_key": False, **config}
    return OctupleTokenizer.from_config("test", slots, DataConfig(bars=bars, max_notes=max_notes, **config))


def test_fields_follow_musicbert_quantisation():
    score = make_score({"MELODY": [(480 * 5 + 120, 480 * 3, 64, 101)]}, qpm=100.0)
    [row] = octuple().note_rows(octuple().encode(score, bars=4).windows[0])
    assert row[BAR] == 1 and row[POSITION] == 16 + 4  # bar 1, beat 2 + a 16th, at 16 positions per quarter
    assert codes.DURATION_DECODE[row[DURATION]] == 48 and row[PITCH] == 64
    assert row[VELOCITY] == 101 // 4 and row[TEMPO] == round(np.log2(100 / 16) * 12)
    assert codes.TIME_SIGNATURES[row[6]] == (4, 4)


def test_tracks_with_the_same_program_stay_apart_and_order_is_bar_position_track_pitch():
    notes = {"PIANO": [(0, 480, 48, 80), (0, 480, 52, 80)], "MELODY": [(0, 480, 72, 80)], "BRIDGE": [(0, 480, 60, 80)]}
    rows = octuple().note_rows(octuple().encode(make_score(notes), bars=4).windows[0])
    assert [(r[INSTRUMENT], r[PITCH]) for r in rows] == [(0, 72), (1, 60), (2, 48), (2, 52)]
    decoded = octuple().decode(octuple().encode(make_score(notes), bars=4).windows[0])
    assert [t.name for t in decoded.tracks] == ["MELODY", "BRIDGE", "PIANO"]
    assert [len(t.notes) for t in decoded.tracks] == [1, 1, 2] and {t.program for t in decoded.tracks} == {0}


def test_padding_is_its_own_token_and_never_a_note():
    tokenizer = octuple(max_notes=16)
    window = tokenizer.encode(make_score({"MELODY": scale(1)}), bars=4).windows[0]
    assert (window[4:] == tokenizer.token_spec.pad_ids).all()
    assert tokenizer.token_spec.mask_ids == tuple(p + 1 for p in tokenizer.token_spec.pad_ids)
    assert len(tokenizer.note_rows(window)) == 4


def test_bar_field_is_relative_to_the_window():
    encoding = octuple(bars=2).encode(make_score({"MELODY": scale(6)}), bars=2)
    for start, window in zip(encoding.start_bars, encoding.windows, strict=True):
        rows = octuple(bars=2).note_rows(window)
        assert rows[:, BAR].min() == 0 and rows[:, BAR].max() == 1, start


def test_nothing_is_clipped_silently():
    long_note = [(0, 480 * 300, 60, 80)]  # 300 quarters: past the longest duration code
    dense = [(i * 10, 10, 40 + i % 40, 80) for i in range(100)]  # 100 notes in one window of at most 64
    encoding = octuple(slots=("melody",)).encode(make_score({"MELODY": long_note + dense}, qpm=400.0), bars=4)
    assert encoding.counts["notes_duration_clipped"] == 1
    assert encoding.counts["notes_tempo_clipped"] == 101
    assert encoding.counts["notes_past_max_notes"] >= 101 - 64


@pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.int32, np.int64, np.uint8])
def test_note_rows_do_not_depend_on_the_window_dtype(dtype):
    """Validation compares in the window's own type; one too small for the padding ids is widened first."""
    tokenizer = octuple()
    window = tokenizer.encode(make_score({"MELODY": scale(2)}), bars=4).windows[0].astype(np.int64)
    expected = window[window[:, PITCH] != tokenizer.token_spec.pad_ids[PITCH]]
    if np.iinfo(dtype).max >= window.max():
        assert np.array_equal(tokenizer.note_rows(window.astype(dtype)), expected)
    negative = window.copy()
    negative[0, PITCH] = -1
    with pytest.raises(DataError, match="invalid token -1 at note 0, field pitch"):
        tokenizer.note_rows(negative.astype(np.int16))


def test_masked_invalid_and_half_padded_rows_are_reported():
    tokenizer = octuple()
    window = tokenizer.encode(make_score({"MELODY": scale(1)}), bars=4).windows[0].astype(np.int64)
    masked = window.copy()
    masked[2, PITCH] = tokenizer.token_spec.mask_ids[PITCH]
    with pytest.raises(DataError, match="the mask token 129 at note 2, field pitch"):
        tokenizer.decode(masked)
    half = window.copy()
    half[1, VELOCITY] = tokenizer.token_spec.pad_ids[VELOCITY]
    with pytest.raises(DataError, match="padding in a note token 32 at note 1, field velocity"):
        tokenizer.decode(half)


def test_region_mask_selects_note_rows_by_bar_and_track():
    tokenizer = octuple()
    notes = {"MELODY": scale(4), "PIANO": [(480 * 4 * b, 480, 48, 80) for b in range(4)]}
    window = tokenizer.encode(make_score(notes), bars=4).windows[0]
    mask = tokenizer.region_mask(window, start_bar=1, end_bar=3, tracks=["piano"])
    rows = tokenizer.note_rows(window)
    chosen = mask[: len(rows), 0]
    assert chosen.sum() == 2 and set(rows[chosen, INSTRUMENT]) == {2} and set(rows[chosen, BAR]) == {1, 2}
    assert mask[len(rows) :].sum() == 0 and (mask.all(axis=1) == mask.any(axis=1)).all()


def test_registered_with_datasets():
    registries = build_plugin_host().registries
    assert registries.tokenizers.get("trio_octuple").representation == "event"
    assert registries.datasets.get("pop909_trio_octuple").factory()["diffusion"]["mask_unit"] == "token"


@pytest.mark.parametrize(("slots", "bars", "max_notes"), [(("melody",), 64, 512), (TRIO, 32, 1024)])
def test_encode_decode_encode_is_identity_on_every_pop909_window(pop909, slots, bars, max_notes):
    """Every window of every song, not only the ones ``prepare`` keeps (POP909, or the bundled subset without it)."""
    as_written = octuple(slots=slots, bars=bars, max_notes=max_notes)
    normalised = octuple(slots, bars, max_notes, normalise_key=True)
    songs = sorted(pop909.glob("*/*.mid"))
    checked = [assert_round_trip(normalised, as_written, song, bars=bars) for song in songs]
    assert len(songs) >= 61 and min(checked) >= 1 and sum(checked) > 10 * len(songs)


@pytest.mark.parametrize(("slots", "bars", "max_notes"), [(("melody",), 64, 512), (TRIO, 32, 1024)])
def test_batched_encoding_equals_file_by_file_on_pop909(pop909, slots, bars, max_notes):
    files = sorted(pop909.glob("*/*.mid"))[::4]  # POP909: 228 songs in batches of 64 and a remainder; bundled: 16
    assert assert_batch_matches_single(octuple(slots, bars, max_notes), files, bars=bars) > 3 * len(files)


def test_a_bad_file_fails_alone_in_a_batch(tmp_path):
    good = write_midi(tmp_path / "good.mid", {"MELODY": scale(4), "PIANO": scale(4, low=48)})
    (tmp_path / "cut.mid").write_bytes(good.read_bytes()[:40])
    other = write_midi(tmp_path / "other.mid", {"Kit": scale(4)}, drums=("Kit",))  # nothing pitched to encode
    tokenizer = octuple()
    results = tokenizer.encode_many([good, tmp_path / "cut.mid", other, good], bars=4)
    assert isinstance(results[1], EncodeFailure) and "not a readable MIDI file" in results[1].reason
    assert isinstance(results[2], EncodeFailure) and "no track fits melody, bridge, piano" in results[2].reason
    for result in (results[0], results[3]):
        np.testing.assert_array_equal(result.windows, tokenizer.encode(good, bars=4).windows)
        assert result.counts["notes"] == 32
    # A batch where nothing can be read is a list of failures, not an error.
    assert [type(r) for r in tokenizer.encode_many([tmp_path / "cut.mid", other], bars=4)] == [EncodeFailure] * 2


def test_bars_too_long_for_the_position_field_are_split_in_a_batch():
    # 12/4 bars hold 192 positions, more than the 128 a bar may have: each is split into two 6/4 bars.
    long_bars = make_score({"MELODY": scale(6)}, signature=(12, 4))
    four_four = make_score({"MELODY": scale(6)})
    first, second = octuple(max_notes=32).encode_many([long_bars, four_four], bars=4, max_windows=1)
    rows = octuple().note_rows(first.windows[0])
    assert rows[:, BAR].tolist() == [0] * 6 + [1] * 6 + [2] * 6 + [3] * 6  # one 6/4 bar per 6 quarters
    assert {codes.TIME_SIGNATURES[code] for code in rows[:, 6]} == {(6, 4)}
    assert octuple().note_rows(second.windows[0])[:, BAR].tolist() == [0] * 4 + [1] * 4 + [2] * 4 + [3] * 4


def test_prepare_warns_when_windows_drop_notes_and_every_music21_work_encodes(music21_midi, tmp_path):
    """64 bars of a trio overflow 1,024-note windows: the count, the share and the fix are printed and recorded."""
    root = Path(__file__).resolve().parents[2] / "examples" / "pop909-mini"
    done = subprocess.run(
        [sys.executable, "-m", "smdiff.cli", "prepare", "--tokenizer_id", "trio_octuple", "--bars", "64",
         "--root_dir", str(root), "--cache_path", str(tmp_path / "trio.npy")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    meta = json.loads(sidecar_path(tmp_path / "trio.npy").read_text())
    (warning,) = meta["warnings"]
    assert "dropped as notes past max notes" in warning and "--bars 32" in warning and "data.max_notes" in warning
    assert warning in " ".join(done.stderr.split())
    tokenizer = octuple(bars=4, max_notes=256)
    results = tokenizer.encode_many(sorted(music21_midi.rglob("*.mid")), bars=4)
    assert all(not isinstance(result, EncodeFailure) and len(result.windows) for result in results)
