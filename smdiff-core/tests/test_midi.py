"""MIDI input in every form a user holds, and clear errors for files that are not MIDI."""

from __future__ import annotations

import miditoolkit
import pytest
import symusic

from smdiff.errors import DataError
from smdiff.midi import find_midi_files, load_score, save_score, to_miditoolkit
from smdiff.testing import scale, write_midi


@pytest.fixture
def song(tmp_path):
    return write_midi(tmp_path / "song.mid", {"MELODY": scale(2)})


def test_path_bytes_score_and_miditoolkit_all_load(song):
    from_path = load_score(song)
    assert load_score(song.read_bytes()).note_num() == from_path.note_num() == 8
    assert load_score(from_path) is from_path
    assert load_score(miditoolkit.MidiFile(str(song))).note_num() == 8


def test_round_trip_to_file_and_miditoolkit(song, tmp_path):
    score = load_score(song)
    out = save_score(score, tmp_path / "nested" / "out.mid")
    assert symusic.Score(str(out)).note_num() == 8
    assert sum(len(i.notes) for i in to_miditoolkit(score).instruments) == 8


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"this is not midi at all", "not a readable MIDI file"),
    ],
)
def test_unreadable_files_name_the_file(tmp_path, content, message):
    path = tmp_path / "bad.mid"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as info:
        load_score(path)
    assert str(path) in str(info.value)


def test_truncated_file_is_a_data_error(song, tmp_path):
    cut = tmp_path / "cut.mid"
    cut.write_bytes(song.read_bytes()[:40])
    with pytest.raises(DataError, match=r"cut\.mid"):
        load_score(cut)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such MIDI file"):
        load_score(tmp_path / "nope.mid")


def test_find_is_recursive_and_case_insensitive(tmp_path):
    for name in ("a.mid", "sub/b.MIDI", "sub/deeper/c.Mid", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in find_midi_files(tmp_path)] == ["a.mid", "b.MIDI", "c.Mid"]
