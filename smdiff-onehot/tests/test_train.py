"""`smdiff train` end to end: a real cache, real torch training, real TensorBoard files, real errors."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from smdiff.checkpoints import load_checkpoint
from smdiff.testing import write_midi

TINY = ["--set", "model.preset=tiny", "--set", "train.warmup_steps=0", "--set", "train.val_batches=1"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Twenty short songs: rising and falling lines in C major and G major."""
    root = tmp_path_factory.mktemp("songs")
    for song in range(20):
        low = 60 + (song % 2) * 7
        notes = [(beat * 480, 480, low + (beat * (1 if song % 3 else -1)) % 8, 90) for beat in range(32)]
        write_midi(root / f"song{song:02d}.mid", {"MELODY": notes})
    return root


@pytest.fixture(scope="module")
def cache(cli, corpus, tmp_path_factory):
    path = tmp_path_factory.mktemp("cache") / "melody.npy"
    result = cli("prepare", "--tokenizer_id", "melody", "--bars", "4", "--root_dir", str(corpus), "--cache_path", str(path),
                 "--set", "data.split=[0.6, 0.2, 0.2]")  # fmt: skip
    assert result.exit_code == 0, result.output
    return path


def train(cli, cache, run_dir, *extra):
    return cli(
        "train", "--model", "schmu_conv", "--bars", "4", "--batch_size", "4", "--log_dir", str(run_dir),
        "--set", f"data.cache_path={cache}", *TINY, *extra,
    )  # fmt: skip


def test_a_run_writes_config_logs_samples_and_checkpoints(cli, cache, tmp_path):
    run = tmp_path / "run"
    result = train(cli, cache, run, "--steps", "12", "--set", "train.validate_every=6", "--set", "train.sample_every=12",
                   "--set", "train.checkpoint_every=6", "--set", "train.log_every=1")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "best validation bits/token" in result.stdout
    assert (run / "config.toml").read_text().count("[model]") == 1
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines if r["kind"] == "train"] == list(range(1, 13))
    assert [r["step"] for r in lines if r["kind"] == "val"] == [0, 6, 12]
    events = EventAccumulator(str(run / "tensorboard"))
    events.Reload()
    assert {"train/loss", "train/bits_per_token", "val/bits_per_token"} <= set(events.Tags()["scalars"])
    assert [e.step for e in events.Scalars("train/loss")] == list(range(1, 13))
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "best.pt",
        "step_00000006.pt",
        "step_00000012.pt",
    ]
    assert len(list((run / "samples" / "step_00000012").glob("*.mid"))) == 2


def test_a_checkpoint_names_the_distribution_and_version_behind_each_component(cli, cache, tmp_path):
    run = tmp_path / "stamped"
    assert train(cli, cache, run, "--steps", "2").exit_code == 0
    payload = load_checkpoint(run / "checkpoints" / "step_00000002.pt")
    onehot = importlib.metadata.version("smdiff-onehot")
    assert payload["providers"]["tokenizers"] == {
        "id": "melody", "plugin": "onehot", "distribution": "smdiff-onehot", "version": onehot
    }  # fmt: skip
    assert payload["providers"]["models"]["id"] == "schmu_conv" and payload["providers"]["models"]["plugin"] == "onehot"
    assert (
        payload["providers"]["maskers"]["distribution"]
        == payload["providers"]["kernels"]["distribution"]
        == "smdiff-core"
    )
    assert payload["versions"]["smdiff-onehot"] == onehot and "smdiff-octuple" not in payload["versions"]  # used only


def test_loss_falls_on_learnable_data(cli, cache, tmp_path):
    run = tmp_path / "learn"
    result = train(cli, cache, run, "--steps", "60", "--lr", "3e-3", "--no-ema", "--set", "train.log_every=1",
                   "--set", "train.validate_every=60", "--set", "diffusion.loss=elbo")  # fmt: skip
    assert result.exit_code == 0, result.output
    vals = [
        json.loads(line)["bits_per_token"]
        for line in (run / "metrics.jsonl").read_text().splitlines()
        if '"val"' in line
    ]
    assert vals[-1] < 0.7 * vals[0]


def test_existing_run_is_not_clobbered(cli, cache, tmp_path):
    run = tmp_path / "run"
    assert train(cli, cache, run, "--steps", "2").exit_code == 0
    again = train(cli, cache, run, "--steps", "2")
    assert again.exit_code == 2 and "already holds a run; continue it with --resume" in again.stderr


def test_dry_run_prints_config_and_touches_nothing(cli, cache, tmp_path):
    result = train(cli, cache, tmp_path / "dry", "--dry-run")
    assert result.exit_code == 0 and 'id = "schmu_conv"' in result.stdout and not (tmp_path / "dry").exists()


def test_validate_config_builds_everything_without_a_run(cli, cache, tmp_path):
    result = train(cli, cache, tmp_path / "check", "--validate-config")
    assert result.exit_code == 0 and "config ok" in result.stdout and not (tmp_path / "check").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--model", "schmu_cnv"], "unknown model 'schmu_cnv'; did you mean 'schmu_conv'?"),
        (["--set", "train.accumulate=0"], "train.accumulate must be at least 1"),
        (
            ["--set", "train.warmup_steps=50", "--steps", "10"],
            "train.warmup_steps (50) is not shorter than train.steps (10)",
        ),
        (["--set", "train.amp=fp16"], "train.amp=fp16 needs a CUDA GPU"),
    ],
)
def test_bad_settings_exit_2_with_one_line(cli, cache, tmp_path, extra, message):
    result = train(cli, cache, tmp_path / "bad", *extra)
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2


def test_a_short_run_needs_no_warm_up_setting(cli, cache, tmp_path):
    run = tmp_path / "short"
    result = cli("train", "--model", "schmu_conv", "--bars", "4", "--batch_size", "4", "--log_dir", str(run), "--steps", "30",
                 "--set", f"data.cache_path={cache}", "--set", "model.preset=tiny", "--set", "train.val_batches=1")  # fmt: skip
    assert result.exit_code == 0, result.output
    lrs = [json.loads(line)["lr"] for line in (run / "metrics.jsonl").read_text().splitlines() if '"train"' in line]
    assert lrs[0] == lrs[-1]  # a twentieth of 30 steps is one step of warm-up: the first logged step is past it
    assert cli("train", "--model", "schmu_conv", "--bars", "4", "--log_dir", str(tmp_path / "w"), "--steps", "10",
               "--warmup-steps", "10", "--set", f"data.cache_path={cache}").exit_code == 2  # fmt: skip


def test_a_cache_of_other_bars_names_the_difference_and_a_new_path(cli, cache, tmp_path):
    result = cli("train", "--model", "schmu_conv", "--bars", "8", "--log_dir", str(tmp_path / "run"),
                 "--set", f"data.cache_path={cache}", *TINY)  # fmt: skip
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "was made with 4 bars, the config asks for 8 (data.bars)" in message
    assert f"--cache_path {cache.with_name('melody-8bars.npy')}" in message and cache.exists()


def test_missing_cache_says_which_prepare_command_makes_it(cli, tmp_path):
    result = cli("train", "--dataset_id", "pop909_melody", "--set", f"data.cache_path={tmp_path / 'none.npy'}", *TINY)
    assert result.exit_code == 2
    assert "no prepared cache at" in result.stderr and "smdiff prepare --dataset_id pop909_melody" in result.stderr


def test_seed_alias_and_module_form(cache, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "smdiff.cli.train", "--model", "schmu_tx_vae", "--bars", "4", "--batch_size", "4",
         "--steps", "2", "--log_dir", str(tmp_path / "seed"), "--set", f"data.cache_path={cache}", *TINY],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert 'id = "schmu_tx_vae"' in (tmp_path / "seed" / "config.toml").read_text()


def test_training_and_sampling_run_through_the_triton_kernels(cache, tmp_path):
    import os

    pytest.importorskip("triton")
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    run = tmp_path / "triton"
    trained = subprocess.run(
        [sys.executable, "-m", "smdiff.cli", "train", "--model", "schmu_conv", "--bars", "4", "--batch_size", "2", "--steps", "3",
         "--log_dir", str(run), "--set", f"data.cache_path={cache}", "--set", "kernels.backend=triton", *TINY,
         "--set", "train.train_samples=0"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert 'backend = "triton"' in (run / "config.toml").read_text()
    sampled = subprocess.run(
        [sys.executable, "-m", "smdiff.cli", "sample", "--load_dir", str(run), "--n_samples", "1", "--sampler", "ancestral",
         "--sample_steps", "4", "--out_dir", str(tmp_path / "out")],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert sampled.returncode == 0, sampled.stderr
    assert (tmp_path / "out" / "sample_0000.mid").exists()


def test_output_to_a_file_gets_plain_progress_lines(cache, tmp_path):
    env = {**os.environ, "SMDIFF_LOG_EVERY": "0.2"}
    result = subprocess.run(
        [sys.executable, "-m", "smdiff.cli", "train", "--model", "schmu_conv", "--bars", "4", "--batch_size", "4",
         "--log_dir", str(tmp_path / "run"), "--steps", "60", "--set", f"data.cache_path={cache}", *TINY],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("training: ")]
    assert lines and lines[-1].startswith("training: 60/60")
    assert "/s, elapsed 0:00:" in lines[-1] and "loss " in lines[-1] and "\x1b[" not in result.stdout


def test_pitch_weight_scales_only_the_loss_on_masked_pitches(cli, cache, tmp_path):
    """Same seed, same noise: the first step's loss grows with diffusion.pitch_weight, its ELBO bits do not."""
    first = {}
    for weight in ("1", "4"):
        run = tmp_path / f"weight{weight}"
        result = train(cli, cache, run, "--steps", "1", "--set", f"diffusion.pitch_weight={weight}",
                       "--set", "train.log_every=1")  # fmt: skip
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        first[weight] = next(r for r in lines if r["kind"] == "train")
    assert first["4"]["loss"] > first["1"]["loss"] * 1.2
    assert first["4"]["bits_per_token"] == pytest.approx(first["1"]["bits_per_token"], rel=1e-6)
    refused = train(cli, cache, tmp_path / "bad", "--steps", "1", "--set", "diffusion.pitch_weight=0")
    assert refused.exit_code == 2 and "diffusion.pitch_weight must be positive" in refused.output


def test_a_cache_made_with_other_key_settings_is_refused_with_the_command_for_a_new_one(cli, cache, tmp_path):
    result = train(cli, cache, tmp_path / "run", "--steps", "1", "--set", "data.normalise_key=false")
    assert result.exit_code == 2
    assert "was made with data.normalise_key=true, the config asks for false" in result.output
    assert "smdiff prepare" in result.output and not (tmp_path / "run" / "checkpoints").exists()
