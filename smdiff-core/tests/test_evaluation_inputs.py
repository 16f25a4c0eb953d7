"""What `smdiff evaluate` reads and where it writes: test windows song by song, report folders never reused."""

from __future__ import annotations

import json

import numpy as np

from smdiff.evaluation.core import Evaluation
from smdiff.evaluation.inputs import fresh_report_dir, songs_first
from smdiff.evaluation.report import write_report


def test_infilling_takes_one_window_of_every_test_song_before_a_second():
    indices = np.array([10, 11, 12, 20, 21, 30])
    songs = np.array([4, 4, 4, 2, 2, 9])
    assert songs_first(indices, songs).tolist() == [20, 10, 30, 21, 11, 12]


def test_a_report_folder_holding_a_report_of_the_task_is_never_reused(tmp_path):
    base = tmp_path / "metrics"
    assert fresh_report_dir(base, "uncond") == base
    empty = Evaluation("uncond", [], [], [])
    write_report(base / "metrics_uncond.json", empty, {"m": {"value": float("nan")}}, {})
    assert json.loads((base / "metrics_uncond.json").read_text())["metrics"]["m"]["value"] is None  # JSON has no NaN
    assert fresh_report_dir(base, "infill") == base  # another task's report may sit beside it
    assert fresh_report_dir(base, "uncond") == tmp_path / "metrics-2"
    write_report(tmp_path / "metrics-2" / "metrics_uncond.json", empty, {}, {})
    assert fresh_report_dir(base, "uncond") == tmp_path / "metrics-3"
