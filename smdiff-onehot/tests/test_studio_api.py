"""``smdiff studio``'s HTTP API against a real server process, a real trained run and real POP909 songs."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import symusic

from smdiff.testing import StudioServer, assert_kept_outside_selection, train_tiny_run, write_midi

MELODY_SONG = "001/001.mid"


@pytest.fixture(scope="module")
def run_dir(pop909, tmp_path_factory):
    return train_tiny_run(
        Path(__file__).resolve().parents[2] / "examples" / "pop909-mini", tmp_path_factory.mktemp("run")
    )


@pytest.fixture(scope="module")
def server(run_dir, pop909):
    studio = StudioServer(run_dir, "--midi_dir", str(pop909), "--soundfont", "/nonexistent/GM.sf2")
    yield studio
    studio.stop()


def call(server, method: str, path: str, body: object = None, *, data: bytes | None = None, headers=None):
    """(status, parsed JSON or raw bytes) of one real HTTP request."""
    return server.call(method, path, body, data=data, headers=headers)


def upload(server, name: str, content: bytes):
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: audio/midi\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()  # fmt: skip
    return call(
        server, "POST", "/api/upload", data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )


def still_up(server) -> bool:
    return call(server, "GET", "/api/info")[0] == 200


def test_info_names_the_run_and_says_why_audio_is_off(server):
    status, info = call(server, "GET", "/api/info")
    assert status == 200 and info["model"] == "schmu_conv" and info["tokenizer"] == "melody" and info["step"] == 30
    assert info["window_bars"] == 16 and info["slots"] == ["melody"]
    assert info["audio"] is False and "apt-get install fluidsynth" in info["audio_problem"]
    _, piece = call(server, "POST", "/api/open", {"file": MELODY_SONG})
    status, error = call(server, "GET", f"/api/piece/{piece['id']}.wav")
    assert status == 404 and "soundfont /nonexistent/GM.sf2 does not exist" in error["error"]
    assert "--soundfont PATH" in error["error"]


def test_an_uploaded_song_is_infilled_and_everything_outside_the_selection_is_kept(server, pop909):
    song = (pop909 / MELODY_SONG).read_bytes()
    status, piece = upload(server, "001.mid", song)
    assert status == 200 and piece["tracks"][0]["slot"] == "melody" and len(piece["bars"]) > 60
    started = time.perf_counter()
    status, result = call(server, "POST", "/api/infill", {"piece": piece["id"], "bars": [9, 12], "tracks": ["melody"],
                                                          "n": 2, "steps": 16, "seed": 3})  # fmt: skip
    assert status == 200, result
    assert len(result["variants"]) == 2 and time.perf_counter() - started < 60
    for variant in result["variants"]:
        assert variant["selection"] == {"bars": [9, 12], "tracks": ["melody"], "spans": [[9, 12]]}
        assert variant["parent"] == piece["id"]
        status, midi = call(server, "GET", f"/api/piece/{variant['id']}.mid")
        assert status == 200 and midi[:4] == b"MThd"
        kept = assert_kept_outside_selection(
            symusic.Score.from_midi(song), symusic.Score.from_midi(midi), piece["bars"], (9, 12), {0}
        )
        assert kept > 0  # the selection holds generated notes


def test_a_song_from_the_folder_opens_and_a_new_piece_is_generated(server):
    status, piece = call(server, "POST", "/api/open", {"file": MELODY_SONG})
    assert status == 200 and piece["name"] == "001.mid"
    status, result = call(server, "POST", "/api/generate", {"n": 2, "steps": 8})
    assert status == 200 and len(result["variants"]) == 2
    assert all(sum(len(t["notes"]) for t in v["tracks"]) > 0 for v in result["variants"])
    assert len(result["variants"][0]["bars"]) - 1 >= 16


def melody_onsets(score: symusic.Score, bars: list[float], bar: int) -> set[tuple[float, int]]:
    """The melody's notes starting in ``bar`` (0-based): place in the bar in sixteenths (the grid's), pitch."""
    tpq = score.ticks_per_quarter
    return {
        (round((note.time / tpq - bars[bar]) * 4), note.pitch)
        for note in score.tracks[0].notes
        if bars[bar] <= note.time / tpq < bars[bar + 1]
    }


def test_a_selection_repeats_other_bars_of_the_song_and_a_new_piece_follows_a_form(server, pop909):
    song = (pop909 / MELODY_SONG).read_bytes()
    _, piece = call(server, "POST", "/api/open", {"file": MELODY_SONG})  # its bars from its beat annotations
    status, result = call(server, "POST", "/api/infill", {"piece": piece["id"], "bars": [17, 18], "tracks": ["melody"],
                                                          "repeat_from": [11, 12], "n": 1, "steps": 8})  # fmt: skip
    assert status == 200, result
    variant = result["variants"][0]
    assert variant["form"] == [{"name": "A", "bars": [11, 12]}, {"name": "A", "bars": [17, 18]}]
    _, midi = call(server, "GET", f"/api/piece/{variant['id']}.mid")
    after = symusic.Score.from_midi(midi)
    for bar in (0, 1):  # bars 17-18 now hold the melody of bars 11-12, note for note
        assert melody_onsets(after, piece["bars"], 16 + bar) == melody_onsets(after, piece["bars"], 10 + bar) != set()
    assert_kept_outside_selection(symusic.Score.from_midi(song), after, piece["bars"], (17, 18), {0})

    status, result = call(server, "POST", "/api/generate", {"form": "A4 A4 B4 A'4", "n": 2, "steps": 8})
    assert status == 200, result
    for new in result["variants"]:
        assert [section["name"] for section in new["form"]] == ["A", "A", "B", "A'"]
        score = symusic.Score.from_midi(call(server, "GET", f"/api/piece/{new['id']}.mid")[1])
        assert all(
            melody_onsets(score, new["bars"], 4 + bar) == melody_onsets(score, new["bars"], bar) for bar in range(4)
        )


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"form": "A12 A12"}, "covers 24 bars; the model writes 16 at once"),
        ({"form": "A4 X"}, "'X' is not a section"),
        ({"form": "A4 A'4", "vary_keep": "half"}, "vary_keep"),
    ],
)
def test_a_bad_form_is_a_400_naming_the_fix(server, body, needle):
    status, answer = call(server, "POST", "/api/generate", {**body, "n": 1, "steps": 4})
    assert status == 400 and needle in answer["error"], answer


def test_a_gap_that_repeats_bars_of_another_length_is_a_400(server):
    _, piece = call(server, "POST", "/api/open", {"file": MELODY_SONG})
    status, answer = call(server, "POST", "/api/infill", {"piece": piece["id"], "bars": [9, 12], "tracks": ["melody"],
                                                          "repeat_from": [1, 2], "n": 1, "steps": 4})  # fmt: skip
    assert status == 400 and "is 2 bars but the gap 8-12 is 4" in answer["error"]
    assert still_up(server)


def drums_only(path: Path) -> bytes:
    write_midi(path, {"Kit": [(step * 240, 120, 36, 100) for step in range(64)]}, drums=("Kit",))
    return path.read_bytes()


@pytest.mark.parametrize(
    ("case", "expected_status", "needle"),
    [
        ("not_midi", 400, "is not a MIDI file"),
        ("too_large", 413, "larger than 5 MB"),
        ("no_usable_tracks", 400, "no track with notes fits the model's tracks (melody)"),
        ("bars_past_the_end", 400, "outside the windows the model can read"),
        ("bars_longer_than_the_window", 400, "the model fills at most 16"),
        ("bars_not_a_range", 400, "are not a range"),
        ("unknown_track", 400, "melody has no track 'bass'; its tracks are melody"),
        ("too_many_variants", 400, "between 1 and 16"),
        ("too_many_steps", 400, "between 1 and 1024"),
        ("unknown_piece", 404, "no piece"),
        ("traversal_by_id", 404, ""),
        ("traversal_by_folder", 404, "is not a MIDI file in the studio's folder"),
        ("not_json", 400, "is not JSON"),
    ],
)
def test_bad_input_is_a_4xx_with_a_message_and_the_server_stays_up(
    server, pop909, tmp_path, case, expected_status, needle
):
    _, piece = call(server, "POST", "/api/open", {"file": MELODY_SONG})
    infill = {"piece": piece["id"], "bars": [9, 12], "tracks": ["melody"], "n": 1, "steps": 4}
    requests = {
        "not_midi": lambda: upload(server, "notes.txt", b"these are not notes"),
        "too_large": lambda: upload(server, "huge.mid", b"MThd" + bytes(5 * 1024 * 1024)),
        "no_usable_tracks": lambda: upload(server, "drums.mid", drums_only(tmp_path / "drums.mid")),
        "bars_past_the_end": lambda: call(server, "POST", "/api/infill", {**infill, "bars": [400, 403]}),
        "bars_longer_than_the_window": lambda: call(server, "POST", "/api/infill", {**infill, "bars": [1, 20]}),
        "bars_not_a_range": lambda: call(server, "POST", "/api/infill", {**infill, "bars": [12, 9]}),
        "unknown_track": lambda: call(server, "POST", "/api/infill", {**infill, "tracks": ["bass"]}),
        "too_many_variants": lambda: call(server, "POST", "/api/infill", {**infill, "n": 17}),
        "too_many_steps": lambda: call(server, "POST", "/api/infill", {**infill, "steps": 1025}),
        "unknown_piece": lambda: call(server, "POST", "/api/infill", {**infill, "piece": "f" * 16}),
        "traversal_by_id": lambda: call(server, "GET", "/api/piece/..%2F..%2F..%2Fetc%2Fpasswd.mid"),
        "traversal_by_folder": lambda: call(server, "POST", "/api/open", {"file": "../../../../etc/passwd"}),
        "not_json": lambda: call(
            server, "POST", "/api/infill", data=b"{bars: 9", headers={"Content-Type": "application/json"}
        ),
    }
    status, answer = requests[case]()
    assert status == expected_status, answer
    assert isinstance(answer, dict) and needle in answer["error"] and b"root:" not in json.dumps(answer).encode()
    assert still_up(server)


def test_one_generation_at_a_time_a_second_is_refused_and_the_first_can_be_cancelled(server):
    _, piece = call(server, "POST", "/api/open", {"file": MELODY_SONG})
    long = {"piece": piece["id"], "bars": [1, 16], "tracks": ["melody"], "n": 16, "steps": 1024, "job": "long-one"}
    answers = []
    worker = threading.Thread(target=lambda: answers.append(call(server, "POST", "/api/infill", long)))
    worker.start()
    deadline = time.monotonic() + 60
    while call(server, "GET", "/api/progress/long-one")[1].get("step", 0) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    status, busy = call(server, "POST", "/api/infill", {**long, "job": "second", "n": 1, "steps": 4})
    assert status == 429 and "already running" in busy["error"]
    progress = call(server, "GET", "/api/progress/long-one")[1]
    assert progress["running"] and 1 <= progress["step"] < 1024  # the server answers while the model works
    assert call(server, "POST", "/api/cancel/long-one")[1] == {"cancelled": True}
    worker.join(timeout=60)
    assert answers[0][0] == 409 and answers[0][1]["error"] == "generation cancelled"
    assert call(server, "POST", "/api/infill", {**long, "job": "after", "n": 1, "steps": 4})[0] == 200


def test_uploads_live_in_a_temporary_folder_removed_at_exit(run_dir, pop909):
    studio = StudioServer(run_dir)
    assert studio.workdir is not None and studio.workdir.is_dir()
    assert upload(studio, "001.mid", (pop909 / MELODY_SONG).read_bytes())[0] == 200
    assert any((studio.workdir / "uploads").iterdir())
    done = studio.stop(signal.SIGINT)
    assert done.returncode == 0, done.stderr
    assert not studio.workdir.exists()


def test_binding_beyond_this_machine_is_explicit_and_warned(run_dir):
    studio = StudioServer(run_dir, "--host", "0.0.0.0")
    done = studio.stop(signal.SIGTERM)
    assert "--host 0.0.0.0 makes the studio reachable from other machines" in done.stderr


@pytest.mark.skipif(
    shutil.which("fluidsynth") is None, reason="audio needs the fluidsynth program (Debian: fluidsynth)"
)
def test_audio_is_rendered_with_a_soundfont(run_dir, pop909):
    from smdiff.studio.audio import SOUNDFONT_CANDIDATES

    soundfont = next((p for p in SOUNDFONT_CANDIDATES if Path(p).is_file()), None)
    if soundfont is None:
        pytest.skip("no General MIDI soundfont installed (Debian: timgm6mb-soundfont or fluid-soundfont-gm)")
    studio = StudioServer(run_dir, "--soundfont", soundfont)
    try:
        _, piece = upload(studio, "001.mid", (pop909 / MELODY_SONG).read_bytes())
        status, wav = call(studio, "GET", f"/api/piece/{piece['id']}.wav")
        assert status == 200 and wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
        seconds = (len(wav) - 44) / (22050 * 2 * 2)
        assert abs(seconds - piece["bar_seconds"][-1]) < 15  # the whole song, plus the release tail
    finally:
        studio.stop()


def test_the_command_refuses_a_missing_run_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "smdiff.cli", "studio", "--load_dir", str(tmp_path / "none")],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2 and "does not exist" in done.stderr and len(done.stderr.strip().splitlines()) == 1
