"""The README's main job, end to end, at a tiny budget: real MIDI, real training, real files."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np

from smdiff.testing import StudioServer

ROOT = Path(__file__).resolve().parents[2]


def test_main_job_prepares_trains_samples_and_evaluates(tmp_path):
    run = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "main_job.py"), "--minutes", "0.15", "--preset", "tiny", "--run_dir", str(run),
         "--cache_path", str(tmp_path / "cache.npy"), "--samples", "2", "--eval_samples", "4", "--sample_steps", "4"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Where things are" in result.stdout
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    steps = max(r["step"] for r in records)
    assert f"{steps} training steps in 0.15 min" in result.stdout  # the summary states the steps reached
    best = min((r for r in records if r["kind"] == "val"), key=lambda r: r["bits_per_token"])["step"]
    assert f"sampled at step {best}, its lowest validation loss" in result.stdout
    sampled = json.loads((run / "generated" / "uncond" / "index.json").read_text())["checkpoint"]
    assert Path(sampled).name == "best.pt"  # samples come from the best checkpoint, not the newest
    assert len(list((run / "generated" / "uncond").glob("*.mid"))) == 2
    infill = json.loads((run / "generated" / "infill" / "index.json").read_text())
    assert [sample["outside_gap_notes_changed"] for sample in infill["samples"]] == [0, 0]  # decoded notes, not tokens
    assert len(list((run / "generated" / "infill").glob("*.png"))) == 2
    metrics = json.loads((run / "metrics" / "metrics_uncond.json").read_text())
    assert {"oa_pitch_consistency", "kl_pitch_class", "valid_samples"} <= set(metrics["metrics"])
    assert {p.name for p in (run / "metrics").glob("*.png")} >= {"pitch_class_uncond.png", "piano_rolls_uncond.png"}
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))
    assert f"studio --load_dir {run}" in result.stdout  # the final message points to the studio, which serves the run
    studio = StudioServer(run)
    try:
        with urllib.request.urlopen(f"{studio.url}/api/info", timeout=30) as answer:
            assert json.loads(answer.read())["model"] == "schmu_conv"
    finally:
        studio.stop()


def test_infill_evaluation_scores_the_test_split(tmp_path):
    run = tmp_path / "run"
    common = [sys.executable, str(ROOT / "examples" / "main_job.py"), "--minutes", "0.1", "--preset", "tiny", "--run_dir", str(run),
              "--cache_path", str(tmp_path / "cache.npy"), "--samples", "1", "--eval_samples", "2", "--sample_steps", "2"]  # fmt: skip
    subprocess.run(common, check=True, capture_output=True, cwd=ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "smdiff.cli.evaluate", "--load_dir", str(run), "--task", "infill", "--mask_start_bar", "8",
         "--mask_end_bar", "16", "--n_samples", "3", "--sampler", "confidence", "--sample_steps", "4", "--save_samples"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((run / "metrics" / "metrics_infill.json").read_text())["metrics"]
    assert 0.0 <= metrics["infill_pitch_accuracy"]["value"] <= 1.0 and "infill_density_error" in metrics
    saved = run / "metrics" / "samples_infill"
    original, region = np.load(saved / "sample_0000.original.npy"), np.load(saved / "sample_0000.region.npy")
    generated = np.load(saved / "sample_0000.npy")
    assert (generated[~region] == original[~region]).all() and region[8 * 16 : 16 * 16].all()


def test_a_grid_dataset_refuses_the_octuple_model(tmp_path):
    songs = tmp_path / "songs"
    from smdiff.testing import scale, write_midi

    for index in range(6):
        write_midi(songs / f"{index}.mid", {"MELODY": scale(8)})
    cache = tmp_path / "c.npy"
    subprocess.run([sys.executable, "-m", "smdiff.cli", "prepare", "--tokenizer_id", "melody", "--bars", "4", "--root_dir", str(songs),
                    "--cache_path", str(cache)], check=True, capture_output=True)  # fmt: skip
    result = subprocess.run([sys.executable, "-m", "smdiff.cli", "train", "--model", "octuple_ddpm", "--bars", "4", "--set",
                             f"data.cache_path={cache}", "--log_dir", str(tmp_path / "run")], capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 2
    assert "model 'octuple_ddpm' takes event tokens but tokenizer 'melody' makes grid tokens" in result.stderr


def test_evaluate_scores_an_existing_sample_folder(tmp_path):
    run = tmp_path / "run"
    subprocess.run([sys.executable, str(ROOT / "examples" / "main_job.py"), "--minutes", "0.1", "--preset", "tiny", "--run_dir",
                    str(run), "--cache_path", str(tmp_path / "cache.npy"), "--samples", "3", "--eval_samples", "2",
                    "--sample_steps", "2"], check=True, capture_output=True, cwd=ROOT)  # fmt: skip
    (run / "metrics").rename(tmp_path / "first-metrics")
    result = subprocess.run([sys.executable, "-m", "smdiff.cli", "evaluate", "--sample_dir", str(run / "generated" / "uncond"),
                             "--metrics", "kl_pitch_class,valid_samples"], capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((run / "metrics" / "metrics_uncond.json").read_text())
    assert set(report["metrics"]) == {"kl_pitch_class", "valid_samples"} and report["samples"] == 3
    unknown = subprocess.run([sys.executable, "-m", "smdiff.cli", "evaluate", "--sample_dir", str(run / "generated" / "uncond"),
                              "--metrics", "kl_pitchclass"], capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert unknown.returncode == 2 and "did you mean 'kl_pitch_class'" in unknown.stderr
