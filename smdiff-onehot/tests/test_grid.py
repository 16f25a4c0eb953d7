"""Grid tokenizers on hand-made MIDI with known answers, and on real POP909."""

from __future__ import annotations

import numpy as np
import pytest

from smdiff.config import DataConfig
from smdiff.errors import ConfigError, DataError
from smdiff.plugins import build_plugin_host
from smdiff.testing import assert_batch_matches_single, assert_round_trip, make_score, scale, write_midi
from smdiff_onehot.grid import FIRST_PITCH_TOKEN, HOLD, MIN_PITCH, NOTE_OFF, VOCAB, GridTokenizer

STEP = 120  # ticks per 16th at 480 ticks per quarter


def tok(pitch: int) -> int:
    return pitch - MIN_PITCH + FIRST_PITCH_TOKEN


#: these tests check exact pitches, so pieces keep their keys (key normalisation has its own tests)
AS_WRITTEN = DataConfig(normalise_key=False)


@pytest.fixture
def melody():
    return GridTokenizer.from_config("melody", ("melody",), AS_WRITTEN)


@pytest.fixture
def trio():
    return GridTokenizer.from_config("trio", ("melody", "bridge", "piano"), AS_WRITTEN)


def test_hold_note_off_and_pitch_tokens(melody):
    score = make_score({"MELODY": [(0, 2 * STEP, 60, 90), (2 * STEP, STEP, 60, 90), (5 * STEP, 3 * STEP, 72, 90)]})
    window = melody.encode(score, bars=1).windows[0, :, 0]
    assert list(window[:9]) == [tok(60), HOLD, tok(60), NOTE_OFF, HOLD, tok(72), HOLD, HOLD, NOTE_OFF]
    assert (window[9:] == HOLD).all() and len(window) == 16


def test_polyphony_keeps_the_top_line_and_counts_the_rest(melody):
    chord = [(0, 4 * STEP, 60, 90), (0, 4 * STEP, 64, 90), (0, 4 * STEP, 67, 90), (STEP, STEP, 48, 90)]
    encoding = melody.encode(make_score({"MELODY": chord}), bars=1)
    assert list(encoding.windows[0, :5, 0]) == [tok(67), HOLD, HOLD, HOLD, NOTE_OFF]
    assert encoding.counts["notes"] == 4 and encoding.counts["notes_dropped_polyphony"] == 3


def test_a_note_rising_above_a_held_one_and_the_resumed_lower_note(melody):
    notes = [(0, 4 * STEP, 60, 90), (STEP, STEP, 72, 90)]
    window = melody.encode(make_score({"MELODY": notes}), bars=1).windows[0, :5, 0]
    assert list(window) == [tok(60), tok(72), tok(60), HOLD, NOTE_OFF]


def test_out_of_range_pitches_are_counted(melody):
    encoding = melody.encode(make_score({"MELODY": [(0, STEP, 12, 90), (STEP, STEP, 60, 90)]}), bars=1)
    assert encoding.counts["notes_out_of_range"] == 1 and encoding.windows[0, 1, 0] == tok(60)


def test_windows_start_on_bars_and_a_held_note_restarts(melody):
    notes = [(0, 6 * 4 * STEP, 60, 90), (3 * 16 * STEP, STEP, 62, 90)]  # held across bars 0-1; a note in bar 3
    encoding = melody.encode(make_score({"MELODY": notes}), bars=2)
    assert list(encoding.start_bars) == [0, 1, 2, 3][: len(encoding.start_bars)]
    second = encoding.windows[list(encoding.start_bars).index(1), :, 0]
    assert second[0] == tok(60)  # the note sounding into the window is restarted on its first step


def test_max_windows_spreads_evenly(melody):
    every = melody.encode(make_score({"MELODY": scale(20)}), bars=4).start_bars
    encoding = melody.encode(make_score({"MELODY": scale(20)}), bars=4, max_windows=3)
    starts = list(encoding.start_bars)
    assert len(every) == 18 and starts[0] == every[0] and starts[-1] == every[-1] and 8 <= starts[1] <= 9


def test_trio_maps_tracks_by_name_and_decodes_named_tracks(trio):
    score = make_score({"PIANO": [(0, STEP, 50, 80)], "MELODY": [(0, STEP, 70, 80)], "BRIDGE": [(STEP, STEP, 60, 80)]})
    window = trio.encode(score, bars=1).windows[0]
    assert list(window[0]) == [tok(70), HOLD, tok(50)] and window[1, 1] == tok(60)
    decoded = trio.decode(window)
    assert [t.name for t in decoded.tracks] == ["MELODY", "BRIDGE", "PIANO"]
    assert decoded.tracks[2].notes[0].pitch == 50 and decoded.tracks[2].notes[0].duration == STEP


def test_track_map_by_program_range_for_other_corpora():
    config = DataConfig(track_map={"melody": "program:72-79"}, normalise_key=False)  # GM flutes and pipes
    melody = GridTokenizer.from_config("melody", ("melody",), config)
    score = make_score({"Flute": [(0, STEP, 70, 80)], "Piano": [(0, STEP, 80, 80)]}, programs={"Flute": 73})
    assert melody.encode(score, bars=1).windows[0, 0, 0] == tok(70)


def test_bad_track_maps_are_config_errors():
    with pytest.raises(ConfigError, match="unknown track 'drums'"):
        GridTokenizer.from_config("melody", ("melody",), DataConfig(track_map={"drums": "name:DRUMS"}))
    with pytest.raises(ConfigError, match="not name:NAME"):
        GridTokenizer.from_config("melody", ("melody",), DataConfig(track_map={"melody": "MELODY"}))


def test_a_file_with_no_pitched_track_is_a_data_error_and_an_unnamed_one_is_a_melody(melody):
    with pytest.raises(DataError, match=r"no track fits melody \(tracks: 'Kit'\); choose them with data.track_map"):
        melody.encode(make_score({"Kit": scale(1)}, drums=("Kit",)), bars=1)
    assert melody.encode(make_score({"GUITAR": scale(1)}), bars=1).roles == {"melody": "single track"}


def test_invalid_tokens_are_reported_with_position(trio):
    window = np.zeros((16, 3), dtype=np.int64)
    window[5, 2] = VOCAB
    with pytest.raises(DataError, match="invalid token 90 at step 5, channel piano"):
        trio.decode(window)


def test_region_mask_bars_and_tracks(trio):
    mask = trio.region_mask(np.zeros((64, 3)), start_bar=1, end_bar=3, tracks=["Piano"])
    assert mask[16:48, 2].all() and mask.sum() == 32
    with pytest.raises(DataError, match="has no track 'drums'"):
        trio.region_mask(np.zeros((64, 3)), start_bar=None, end_bar=None, tracks=["drums"])


def test_registered_through_the_plugin_host():
    registries = build_plugin_host().registries
    assert registries.tokenizers.provider("melody") == "onehot"
    assert registries.datasets.get("pop909_trio").tokenizer == "trio"
    assert registries.tokenizers.get("trio").factory(DataConfig()).token_spec.vocab_sizes == (90, 90, 90)


@pytest.mark.parametrize("name", ["melody", "trio"])
def test_encode_decode_encode_is_identity_on_every_pop909_window(pop909, name):
    """Every window of every song, not only the ones ``prepare`` keeps (POP909, or the bundled subset without it)."""
    slots = ("melody",) if name == "melody" else ("melody", "bridge", "piano")
    as_written = GridTokenizer.from_config(name, slots, AS_WRITTEN)
    normalised = GridTokenizer.from_config(name, slots, DataConfig())
    songs = sorted(pop909.glob("*/*.mid"))
    checked = [assert_round_trip(normalised, as_written, song, bars=64) for song in songs]
    assert len(songs) >= 61 and min(checked) >= 1 and sum(checked) > 10 * len(songs)


def test_pop909_notes_on_annotated_downbeats_land_on_bar_starts(pop909, melody):
    from smdiff.data.piece import Piece

    piece = Piece.read(pop909 / "001" / "001.mid", track_map={"melody": "name:MELODY"})
    positions = piece.grid.bar_position(piece.notes["melody"].time) * 16
    on_downbeat = np.isin(np.rint(piece.notes["melody"].time), np.rint(piece.grid.bar_start_ticks))
    assert on_downbeat.sum() > 20 and (np.abs(positions[on_downbeat] - np.rint(positions[on_downbeat])) < 0.01).all()
    # With the declared 2/4 of this file, bars would hold 8 steps of music; here they hold 16.
    assert piece.grid.n_bars < 80


@pytest.mark.parametrize("name", ["melody", "trio"])
def test_batched_encoding_equals_file_by_file_on_pop909(pop909, name):
    slots = ("melody",) if name == "melody" else ("melody", "bridge", "piano")
    tokenizer = GridTokenizer.from_config(name, slots, DataConfig())
    files = sorted(pop909.glob("*/*.mid"))[::4]  # POP909: 228 songs in batches of 64 and a remainder; bundled: 16
    assert assert_batch_matches_single(tokenizer, files, bars=64) > 3 * len(files)


def test_songs_shorter_than_a_window_are_padded_with_silence_in_a_batch(tmp_path):
    from smdiff.data.piece import Piece

    short = write_midi(tmp_path / "short.mid", {"MELODY": scale(2)})
    long = write_midi(tmp_path / "long.mid", {"MELODY": scale(12)})
    tokenizer = GridTokenizer.from_config("melody", ("melody",), DataConfig())
    first, second = tokenizer.encode_many([short, long], bars=8)
    assert first.windows.shape == (1, 128, 1) and (first.windows[0, 33:, 0] == HOLD).all()
    assert first.windows[0, 32, 0] == NOTE_OFF  # the last note ends after two bars
    n_bars = Piece.read(long, track_map={"melody": "name:MELODY"}).grid.n_bars
    assert second.start_bars.tolist() == list(range(n_bars - 8 + 1))  # every bar a whole window fits from
