"""The studio's chords against a real server and a real ``trio_chords`` run: the chord lane, setting the chords of
some bars, and *Accompany* under the melody and those chords, on real POP909 songs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import symusic

from smdiff import Chord, beat_chords
from smdiff.testing import StudioServer, train_tiny_run

SONG = "001/001.mid"


@pytest.fixture(scope="module")
def songs(pop909, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("songs")
    for song in sorted(path.parent for path in pop909.glob("*/*.mid"))[:10]:
        shutil.copytree(song, folder / song.name)
    return folder


@pytest.fixture(scope="module")
def server(songs, tmp_path_factory):
    run = train_tiny_run(songs, tmp_path_factory.mktemp("run"), tokenizer="trio_chords", bars=8, steps=10)
    studio = StudioServer(run, "--midi_dir", str(songs), "--soundfont", "/nonexistent/GM.sf2")
    yield studio
    studio.stop()


def lane_chords(piece: dict, first_bar: int, last_bar: int) -> list[str]:
    """The chord lane's symbols starting in bars ``first_bar``..``last_bar`` (1-based)."""
    bars = piece["bars"]
    return [chord["symbol"] for chord in piece["chords"]
            if bars[first_bar - 1] - 1e-6 <= chord["start"] < bars[last_bar] - 1e-6]  # fmt: skip


def test_the_chord_lane_shows_the_song_s_annotated_chords(server, songs):
    status, info = server.call("GET", "/api/info")
    assert status == 200 and info["chords"] is True and info["accompaniment"] == ["bridge", "piano"]
    status, piece = server.call("POST", "/api/open", {"file": SONG})
    assert status == 200, piece
    score = symusic.Score(str(songs / SONG))
    annotated = beat_chords(score, songs / SONG)
    tpq = score.ticks_per_quarter
    for chord in piece["chords"][:20]:  # every span is the annotation's chord at its beats
        beat = int(abs(annotated.beat_ticks / tpq - chord["start"]).argmin())
        assert Chord.parse(chord["symbol"]) == annotated.chords[beat]


def test_set_chords_then_accompany_writes_an_accompaniment_under_them(server, songs):
    _, piece = server.call("POST", "/api/open", {"file": SONG})
    status, edited = server.call(
        "POST", "/api/chords", {"piece": piece["id"], "bars": [9, 12], "chords": "Dm G7*0.5 C*0.5"}
    )
    assert status == 200, edited
    assert edited["parent"] == piece["id"] and edited["selection"]["tracks"] == ["chords"]
    assert lane_chords(edited, 9, 12) == ["Dm", "G7", "C", "Dm", "G7", "C"]  # repeated to fill the bars
    assert lane_chords(edited, 1, 8) == lane_chords(piece, 1, 8)  # the other bars keep the song's chords
    assert [track["name"] for track in edited["tracks"]][-1] == "CHORDS"
    status, result = server.call("POST", "/api/infill", {"piece": edited["id"], "bars": [9, 12], "tracks": ["bridge", "piano"],
                                                          "task": "accompany", "n": 2, "steps": 4, "seed": 1})  # fmt: skip
    assert status == 200, result
    for variant in result["variants"]:
        assert lane_chords(variant, 1, 12) == lane_chords(edited, 1, 12)  # the chords it was asked to play stay
        melody = lambda p: next(t["notes"] for t in p["tracks"] if t["slot"] == "melody")  # noqa: E731
        assert melody(variant) == melody(edited)  # and so does the melody, note for note
    status, midi = server.call("GET", f"/api/piece/{result['variants'][0]['id']}.mid")
    assert status == 200 and isinstance(midi, bytes) and b"CHORDS" in midi  # other tools see the chords


@pytest.mark.parametrize(
    ("body", "says"),
    [({"bars": [9, 12], "chords": "C H"}, "'H' is not a chord symbol"),
     ({"bars": [9, 12], "chords": ""}, "chords must be a progression"),
     ({"bars": [12, 9], "chords": "C"}, "are not a range"),
     ({"bars": [9, 900], "chords": "C"}, "are not bars of the piece")],
)  # fmt: skip
def test_bad_chords_are_one_line_and_change_nothing(server, body, says):
    _, piece = server.call("POST", "/api/open", {"file": SONG})
    status, answer = server.call("POST", "/api/chords", {"piece": piece["id"], **body})
    assert status == 400 and says in answer["error"] and "\n" not in answer["error"], answer
    assert "--chords" not in answer["error"]
    assert server.call("GET", f"/api/piece/{piece['id']}")[1]["chords"] == piece["chords"]


@pytest.mark.parametrize(("task", "changed"), [("harmonize", "chords"), ("melody", "melody")])
def test_harmonize_and_melody_run_through_the_studio_and_change_only_their_part(server, task, changed):
    _, piece = server.call("POST", "/api/open", {"file": SONG})
    status, result = server.call("POST", "/api/infill", {"piece": piece["id"], "bars": [9, 12], "tracks": [changed],
                                                          "task": task, "n": 1, "steps": 4, "seed": 3})  # fmt: skip
    assert status == 200, result
    variant = result["variants"][0]
    assert variant["selection"]["tracks"] == [changed]
    for before, after in zip(piece["tracks"], variant["tracks"], strict=False):  # the song's own tracks
        if before["slot"] != changed:
            assert after["notes"] == before["notes"]
    if task == "harmonize":  # the new chords come back in a CHORDS track, in bars 9-12 only
        assert variant["tracks"][-1]["name"] == "CHORDS" and len(variant["tracks"]) == len(piece["tracks"]) + 1
        assert lane_chords(variant, 1, 8) == lane_chords(piece, 1, 8)
        bars = variant["bars"]
        assert all(bars[8] <= note[0] < bars[12] for note in variant["tracks"][-1]["notes"])
