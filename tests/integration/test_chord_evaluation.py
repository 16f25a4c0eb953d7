"""`smdiff evaluate` scores the chords of infillings (smdiff-metrics) of models with chords from smdiff-onehot and
smdiff-octuple: real trained runs on real POP909 songs, through the real CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smdiff.testing import pop909_or_bundled, train_tiny_run

ROOT = Path(__file__).resolve().parents[2]


def smdiff(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "smdiff.cli", *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("songs")
    for song in sorted(path.parent for path in pop909_or_bundled(ROOT).glob("*/*.mid"))[:12]:
        shutil.copytree(song, folder / song.name)
    return folder


@pytest.fixture(scope="module")
def grid_run(songs, tmp_path_factory) -> Path:
    return train_tiny_run(songs, tmp_path_factory.mktemp("grid"), tokenizer="trio_chords", bars=8, steps=10)


@pytest.fixture(scope="module")
def octuple_run(songs, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("octuple")
    cache = folder / "cache.npy"
    smdiff("prepare", "--dataset_id", "pop909_trio_octuple_chords", "--bars", "16", "--root_dir", str(songs),
           "--cache_path", str(cache))  # fmt: skip
    smdiff("train", "--model", "octuple_ddpm", "--bars", "16", "--dataset_id", "pop909_trio_octuple_chords",
           "--batch_size", "4", "--steps", "10", "--log_dir", str(folder / "run"), "--set", f"data.cache_path={cache}",
           "--set", "model.preset=tiny", "--set", "train.warmup_steps=0", "--set", "train.train_samples=0",
           "--set", "train.probe_windows=0", "--set", "train.validate_every=1000")  # fmt: skip
    return folder / "run"


def scores(run: Path, task: str, out: Path) -> dict:
    smdiff("evaluate", "--load-dir", str(run), "--task", task, "--n-samples", "3", "--sample-steps", "4",
           "--mask-start-bar", "2", "--mask-end-bar", "6", "--out-dir", str(out))  # fmt: skip
    return json.loads((out / f"metrics_{task}.json").read_text())["metrics"]


@pytest.mark.parametrize(
    ("task", "metric", "applies"),
    [("accompany", "infill_chord_accuracy", True), ("harmonize", "infill_harmonization_accuracy", True),
     ("accompany", "infill_harmonization_accuracy", False)],
)  # fmt: skip
def test_evaluate_scores_chords_of_grid_infillings_beside_trivial_chords(grid_run, tmp_path, task, metric, applies):
    found = scores(grid_run, task, tmp_path / "report")[metric]
    if not applies:  # an accompaniment generates no chords: nothing to score, said as n/a
        assert found["value"] is None and found["pieces"] == 0
        return
    assert 0.0 <= found["value"] <= 1.0 and found["pieces"] == 3
    assert {"random_chords", "chords_late", "copy_previous", "copy_next"} <= set(found["baselines"])
    assert all(0.0 <= value <= 1.0 for value in found["baselines"].values())
    assert (found["reference"] is not None) == (task == "accompany")  # the real accompaniment, beside the model's


def test_evaluate_reports_the_chord_accuracy_of_octuple_accompaniments(octuple_run, tmp_path):
    found = scores(octuple_run, "accompany", tmp_path / "report")["infill_chord_accuracy"]
    assert found["pieces"] == 3 and 0.0 <= found["value"] <= 1.0
    assert found["reference"] > found["baselines"]["random_chords"]  # the real accompaniment plays its chords
