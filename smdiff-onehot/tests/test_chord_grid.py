"""The chord grids (`lead_sheet`, `trio_chords`): chords from POP909's annotations or recognised from the notes,
moved with key normalisation, written back as a chord track, trained and sampled through the real CLI."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import symusic

from smdiff import beat_chords
from smdiff.config import DataConfig
from smdiff.testing import train_tiny_run, write_midi
from smdiff_onehot.chord_grid import CHORD_VOCAB, ChordGridTokenizer, chord_token, token_chord

SLOTS = ("melody", "bridge", "piano")


def tokenizer(normalise_key: bool = False) -> ChordGridTokenizer:
    return ChordGridTokenizer.from_config("trio_chords", SLOTS, DataConfig(normalise_key=normalise_key))


def test_the_chord_channel_holds_pop909_s_annotated_chord_at_every_beat(pop909):
    song = sorted(pop909.glob("*/*.mid"))[0]
    encoding = tokenizer().encode(song, bars=16, source=song)
    assert encoding.roles["chords"] == "annotation" and encoding.windows.shape[-1] == 4
    annotated = beat_chords(symusic.Score(str(song)), song)
    window, start = encoding.windows[3], int(encoding.start_bars[3])
    beats = annotated.beat_ticks
    for beat in range(start * 4, start * 4 + 64, 3):  # POP909 songs are in 4/4: four beats a bar
        step = (beat - start * 4) * 4 + 2
        assert window[step, 3] == chord_token(annotated.chords[beat]), beats[beat]


def test_a_song_without_annotation_gets_recognised_chords(tmp_path):
    progression = [(48, 52, 55), (45, 48, 52), (41, 45, 48), (43, 47, 50, 53)]
    piano = [(bar * 1920, 1920, pitch, 80) for bar, tones in enumerate(progression) for pitch in tones]
    melody = [(bar * 1920 + beat * 480, 480, 72 + tones[beat % 3] % 12, 90)
              for bar, tones in enumerate(progression) for beat in range(4)]  # fmt: skip
    path = write_midi(tmp_path / "song.mid", {"MELODY": melody, "PIANO": piano})
    encoding = tokenizer().encode(path, bars=4, source=path)
    assert encoding.roles["chords"] == "recognised"
    chords = [str(token_chord(int(encoding.windows[0][bar * 16 + 8, 3]))) for bar in range(4)]
    assert chords == ["C:maj", "A:min", "F:maj", "G:7"]


def test_key_normalisation_moves_the_chords_with_the_notes(pop909):
    song = sorted(pop909.glob("*/*.mid"))[0]
    kept, moved = tokenizer().encode(song, bars=16, source=song), tokenizer(True).encode(song, bars=16, source=song)
    assert moved.transposition != 0
    for before, after in zip(kept.windows[5][:, 3], moved.windows[5][:, 3], strict=True):
        assert token_chord(int(after)) == token_chord(int(before)).transposed(moved.transposition)
    shifted = tokenizer().transpose(kept.windows[:1], np.array([2]))
    assert token_chord(int(shifted[0, 40, 3])) == token_chord(int(kept.windows[0, 40, 3])).transposed(2)


def test_decoding_writes_a_chord_track_that_reads_back_as_the_same_chords(pop909, tmp_path):
    song = sorted(pop909.glob("*/*.mid"))[0]
    window = tokenizer().encode(song, bars=16, source=song).windows[4]
    score = tokenizer().decode(window)
    assert [track.name for track in score.tracks] == ["MELODY", "BRIDGE", "PIANO", "CHORDS"]
    chords_only = symusic.Score(score.ticks_per_quarter)
    chords_only.tracks.append(score.tracks[3])
    path = tmp_path / "chords.mid"
    chords_only.dump_midi(str(path))
    lead_sheet = ChordGridTokenizer.from_config("lead_sheet", ("melody",), DataConfig(normalise_key=False))
    again = lead_sheet.encode(path, bars=16, source=path)
    assert again.roles["chords"] == "recognised"
    same = np.mean(again.windows[0][:, 1] == window[:, 3])
    assert same >= 0.9  # block chords of the channel's chords are recognised as those chords


def test_a_bad_token_in_the_chord_channel_is_one_line():
    from smdiff import DataError

    window = np.zeros((32, 4), dtype=np.int64)
    window[5, 3] = CHORD_VOCAB
    with pytest.raises(DataError, match="invalid token 97 at step 5, channel chords"):
        tokenizer().decode(window)


@pytest.fixture(scope="module")
def chord_run(pop909, tmp_path_factory):
    songs = tmp_path_factory.mktemp("songs")
    for folder in sorted(path.parent for path in pop909.glob("*/*.mid"))[:10]:
        shutil.copytree(folder, songs / folder.name)
    return train_tiny_run(songs, tmp_path_factory.mktemp("run"), tokenizer="trio_chords", bars=8, steps=10)


def test_trio_chords_trains_and_new_pieces_carry_a_chord_track(cli, chord_run, tmp_path):
    result = cli("sample", "--load-dir", str(chord_run), "--out-dir", str(tmp_path), "--n-samples", "2",
                 "--sample-steps", "4")  # fmt: skip
    assert result.exit_code == 0, result.output
    score = symusic.Score(str(tmp_path / "sample_0000.mid"))
    assert [track.name for track in score.tracks] == ["MELODY", "BRIDGE", "PIANO", "CHORDS"]
    assert np.load(tmp_path / "sample_0000.npy").shape == (8 * 16, 4)


def test_an_accompaniment_is_generated_under_the_song_s_melody_and_chords(cli, chord_run, pop909, tmp_path):
    song = sorted(pop909.glob("*/*.mid"))[0]
    result = cli("sample", "--load-dir", str(chord_run), "--out-dir", str(tmp_path), "--task", "infill",
                 "--input-midi", str(song), "--mask-tracks", "bridge,piano", "--mask-start-bar", "8",
                 "--mask-end-bar", "12", "--sample-steps", "4")  # fmt: skip
    assert result.exit_code == 0, result.output
    window = np.load(tmp_path / "sample_0000.npy")
    original = np.load(tmp_path / "sample_0000.original.npy")
    assert np.array_equal(window[:, [0, 3]], original[:, [0, 3]])  # melody and chords are the song's


def test_harmonizing_a_song_adds_a_chords_track_in_the_gap_and_keeps_every_track(cli, chord_run, pop909, tmp_path):
    song = sorted(pop909.glob("*/*.mid"))[0]
    result = cli("sample", "--load-dir", str(chord_run), "--out-dir", str(tmp_path), "--task", "harmonize",
                 "--input-midi", str(song), "--mask-start-bar", "8", "--mask-end-bar", "12", "--sample-steps", "4")  # fmt: skip
    assert result.exit_code == 0, result.output
    before, after = symusic.Score(str(song)), symusic.Score(str(tmp_path / "sample_0000.mid"))
    assert [track.name for track in after.tracks] == [track.name for track in before.tracks] + ["CHORDS"]
    for old, new in zip(before.tracks, after.tracks, strict=False):
        assert old.notes.numpy()["time"].tolist() == new.notes.numpy()["time"].tolist()
    from smdiff.testing import bar_quarters

    bars = bar_quarters(song)
    times = [note.time / after.ticks_per_quarter for note in after.tracks[-1].notes]
    assert times and all(bars[8] <= time < bars[12] for time in times)
    import json

    assert json.loads((tmp_path / "index.json").read_text())["samples"][0]["outside_gap_notes_changed"] == 0


def test_a_melody_only_file_gets_an_accompaniment_in_new_tracks(cli, chord_run, pop909, tmp_path):
    song = sorted(pop909.glob("*/*.mid"))[0]
    melody_only = tmp_path / "001" / "001.mid"
    melody_only.parent.mkdir()
    score = symusic.Score(str(song))
    kept = symusic.Score(score.ticks_per_quarter)
    kept.tempos, kept.time_signatures = score.tempos, score.time_signatures
    kept.tracks.append(next(track for track in score.tracks if track.name == "MELODY"))
    kept.dump_midi(str(melody_only))
    for annotation in ("beat_midi.txt", "chord_midi.txt"):
        shutil.copy(song.parent / annotation, melody_only.parent / annotation)
    result = cli("sample", "--load-dir", str(chord_run), "--out-dir", str(tmp_path / "out"), "--task", "accompany",
                 "--input-midi", str(melody_only), "--sample-steps", "4")  # fmt: skip
    assert result.exit_code == 0, result.output
    after = symusic.Score(str(tmp_path / "out" / "sample_0000.mid"))
    assert [track.name for track in after.tracks] == ["MELODY", "BRIDGE", "PIANO"]
    assert after.tracks[0].notes.numpy()["time"].tolist() == kept.tracks[0].notes.numpy()["time"].tolist()
    assert len(after.tracks[1].notes) + len(after.tracks[2].notes) > 0


def bar_chords(path, bars: int) -> list[str]:
    """The chord of each bar of a file's CHORDS track, recognised from its block chords."""
    from smdiff import recognise_chords

    score = symusic.Score(str(path))
    only = symusic.Score(score.ticks_per_quarter)
    only.tracks.append(next(track for track in score.tracks if track.name == "CHORDS"))
    found = recognise_chords(only, np.arange(bars * 4 + 1) * score.ticks_per_quarter)
    return [str(found[bar * 4 + 1]) for bar in range(bars)]


def test_a_new_melody_over_given_chords_comes_back_in_their_key(cli, chord_run, tmp_path):
    result = cli("sample", "--load-dir", str(chord_run), "--out-dir", str(tmp_path), "--task", "melody",
                 "--chords", "G D Em C*0.5 D*0.5", "--n-samples", "2", "--sample-steps", "4")  # fmt: skip
    assert result.exit_code == 0, result.output
    for index in range(2):
        path = tmp_path / f"sample_{index:04d}.mid"
        assert bar_chords(path, 8) == ["G:maj", "D:maj", "E:min", "C:maj", "G:maj", "D:maj", "E:min", "C:maj"]
        assert len(symusic.Score(str(path)).tracks[0].notes) > 0  # a melody was written over them


def test_accompany_keeps_the_song_s_melody_note_for_note(cli, chord_run, pop909, tmp_path):
    from smdiff.testing import assert_kept_outside_selection, bar_quarters

    song = sorted(pop909.glob("*/*.mid"))[0]
    result = cli("sample", "--load-dir", str(chord_run), "--out-dir", str(tmp_path), "--task", "accompany",
                 "--input-midi", str(song), "--mask-start-bar", "8", "--mask-end-bar", "12", "--sample-steps", "4")  # fmt: skip
    assert result.exit_code == 0, result.output
    before, after = symusic.Score(str(song)), symusic.Score(str(tmp_path / "sample_0000.mid"))
    assert assert_kept_outside_selection(before, after, bar_quarters(song), (9, 12), {1, 2}) > 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--chords", "C H"], "'H' is not a chord symbol"),
        (["--task", "melody", "--chords", "C G", "--input-midi", "SONG"], "--chords is for a new piece"),
        (["--chords", "C G", "--key", "D"], "--key and --chords both set the key"),
    ],
)
def test_bad_chord_requests_are_one_line(cli, chord_run, pop909, tmp_path, args, says):
    song = str(sorted(pop909.glob("*/*.mid"))[0])
    result = cli("sample", "--load-dir", str(chord_run), "--out-dir", str(tmp_path / "out"),
                 *[song if arg == "SONG" else arg for arg in args])  # fmt: skip
    assert result.exit_code == 2 and says in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
