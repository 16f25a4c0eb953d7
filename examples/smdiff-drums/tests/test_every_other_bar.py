"""The plugin's own task, ``every_other_bar``, through all three front ends: sample, evaluate and the studio.

No core code knows the task: it is registered by this plugin's entry point and
runs through smdiff's inference pipeline. The model is a tiny melody run of
smdiff-onehot (installed beside this plugin for its tests) on real POP909 songs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import symusic

from smdiff.testing import StudioServer, bar_quarters, plugin_host, train_tiny_run

ROOT = Path(__file__).resolve().parents[3]
SONGS = ROOT / "examples" / "pop909-mini"
SONG = SONGS / "901" / "901.mid"


def smdiff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smdiff.cli", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    if "onehot" not in [info.name for info in plugin_host().plugins()]:
        pytest.fail("these tests need smdiff-onehot installed beside the plugin (nox -s plugin_example does it)")
    return train_tiny_run(SONGS, tmp_path_factory.mktemp("run"), bars=16, steps=10)


def test_the_task_is_registered_by_the_plugin():
    host = plugin_host()
    assert host.registries.tasks.provider("every_other_bar") == "drums"


def test_sample_regenerates_every_other_bar_and_keeps_the_bars_between(run, tmp_path):
    out = tmp_path / "out"
    done = smdiff("sample", "--load_dir", str(run), "--task", "every_other_bar", "--input_midi", str(SONG),
                  "--mask_start_bar", "4", "--mask_end_bar", "10", "--n_samples", "1", "--sample_steps", "8",
                  "--out_dir", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads((out / "index.json").read_text())["samples"][0]
    assert record["selection"]["spans"] == [[4, 5], [6, 7], [8, 9]] and record["outside_gap_notes_changed"] == 0
    before, after = symusic.Score(str(SONG)), symusic.Score(str(out / record["midi"]))
    ticks = [round(q * before.ticks_per_quarter) for q in bar_quarters(SONG)]

    def onsets(score: symusic.Score, bar: int) -> list[tuple[int, int, int, int]]:
        return sorted((index, n.time, n.pitch, n.velocity) for index, track in enumerate(score.tracks)
                      for n in track.notes if ticks[bar] <= n.time < ticks[bar + 1])  # fmt: skip

    for bar in (5, 7, 9):  # the bars between the regenerated ones are the input's own, note for note
        assert onsets(after, bar) == onsets(before, bar) and onsets(before, bar)
    assert any(onsets(after, bar) != onsets(before, bar) for bar in (4, 6, 8))
    wrong = smdiff("sample", "--load_dir", str(run), "--task", "every_other_bar", "--input_midi", str(SONG),
                   "--mask_start_bar", "4", "--mask_end_bar", "8", "--key", "G", "--out_dir", str(tmp_path / "bad"))  # fmt: skip
    assert wrong.returncode == 2 and "--key has no effect with --task every_other_bar" in wrong.stderr


def test_evaluate_scores_the_task_as_an_infilling_of_test_windows(run, tmp_path):
    done = smdiff("evaluate", "--load_dir", str(run), "--task", "every_other_bar", "--mask_start_bar", "2",
                  "--mask_end_bar", "8", "--n_samples", "3", "--sample_steps", "4", "--out_dir", str(tmp_path / "report"))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "report" / "metrics_every_other_bar.json").read_text())
    assert report["task"] == "every_other_bar" and "infill_note_f1" in report["metrics"]
    assert report["metrics"]["infill_note_f1"]["baselines"].keys() >= {"copy_previous", "copy_next"}


def test_the_studio_regenerates_a_selection_with_the_plugin_s_task(run):
    import urllib.request

    studio = StudioServer(run, "--midi_dir", str(SONGS), "--soundfont", "/nonexistent/GM.sf2")
    try:

        def post(path: str, body: dict) -> dict:
            request = urllib.request.Request(studio.url + path, data=json.dumps(body).encode(), method="POST",
                                             headers={"Content-Type": "application/json"})  # fmt: skip
            with urllib.request.urlopen(request, timeout=120) as response:
                return json.loads(response.read())

        with urllib.request.urlopen(studio.url + "/api/info", timeout=30) as response:
            assert "every_other_bar" in json.loads(response.read())["tasks"]
        piece = post("/api/open", {"file": "901/901.mid"})
        result = post("/api/infill", {"piece": piece["id"], "bars": [5, 10], "tracks": ["melody"], "n": 1, "steps": 8,
                                      "seed": 1, "task": "every_other_bar"})  # fmt: skip
        variant = result["variants"][0]
        assert variant["selection"]["spans"] == [[5, 5], [7, 7], [9, 9]]
    finally:
        studio.stop()
