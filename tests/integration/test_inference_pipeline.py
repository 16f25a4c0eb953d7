"""One inference pipeline behind every front end: the user's song comes back whole, and the front ends agree.

Real tiny runs trained on bundled POP909 songs, real multi-track songs the runs
never saw (unquantised, three tracks), the real CLI in subprocesses and the
studio's engine in process.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import symusic
import torch

from smdiff.config.schema import SampleConfig
from smdiff.diffusion.sampling import sample
from smdiff.inference import Song, load_run, song_jobs
from smdiff.plugins import get_registries
from smdiff.studio.engine import Engine, page_settings
from smdiff.tasks import Selection
from smdiff.testing import assert_kept_outside_selection, bar_quarters, train_tiny_run

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "examples" / "pop909-mini"
TRAINED_ON = 12  # the tiny runs see the first bundled songs; the ones after them are unseen


def songs() -> list[Path]:
    return sorted(BUNDLED.glob("*/*.mid"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("songs")
    for path in songs()[:TRAINED_ON]:
        shutil.copytree(path.parent, folder / path.parent.name)
    return {
        "melody": train_tiny_run(folder, tmp_path_factory.mktemp("melody"), bars=16),
        "trio_octuple": train_tiny_run(
            folder, tmp_path_factory.mktemp("octuple"), tokenizer="trio_octuple", model="octuple_ddpm", bars=8
        ),
    }


def smdiff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smdiff.cli", *args], capture_output=True, text=True)


@pytest.mark.parametrize(
    ("tokenizer", "bars", "tracks", "indices"),
    [("melody", (9, 16), "melody", {0}), ("trio_octuple", (5, 8), "piano", {2})],
)
def test_the_cli_infill_returns_the_whole_song_with_only_the_gap_replaced(
    runs, tmp_path, tokenizer, bars, tracks, indices
):
    unseen = songs()[TRAINED_ON + 3]
    out = tmp_path / "out"
    done = smdiff("sample", "--load_dir", str(runs[tokenizer]), "--task", "infill", "--input_midi", str(unseen),
                  "--mask_start_bar", str(bars[0] - 1), "--mask_end_bar", str(bars[1]), "--mask_tracks", tracks,
                  "--n_samples", "2", "--sample_steps", "8", "--out_dir", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    before = symusic.Score(str(unseen))
    index = json.loads((out / "index.json").read_text())
    for record in index["samples"]:
        after = symusic.Score(str(out / record["midi"]))
        assert len(after.tracks) == len(before.tracks) == 3  # every track, including those the model never reads
        inside = assert_kept_outside_selection(before, after, bar_quarters(unseen), bars, indices)
        assert inside > 0  # the gap holds generated notes
        assert after.end() >= before.end() - before.ticks_per_quarter  # the whole song, not the model's window
        assert record["outside_gap_notes_changed"] == 0
        assert record["selection"] == {"spans": [[bars[0] - 1, bars[1]]], "tracks": [tracks]}


def test_a_gap_past_the_first_window_is_filled_in_the_window_around_it(runs, tmp_path):
    unseen = songs()[TRAINED_ON + 4]
    out = tmp_path / "late"
    done = smdiff("sample", "--load_dir", str(runs["melody"]), "--task", "infill", "--input_midi", str(unseen),
                  "--mask_start_bar", "40", "--mask_end_bar", "44", "--n_samples", "1", "--sample_steps", "8",
                  "--out_dir", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads((out / "index.json").read_text())["samples"][0]
    assert record["first_bar"] > 0 and record["outside_gap_notes_changed"] == 0
    assert record["window_selection"]["spans"] == [[40 - record["first_bar"], 44 - record["first_bar"]]]


def test_sample_evaluate_and_the_studio_generate_the_same_tokens_as_the_sampler_itself(runs, tmp_path):
    """For one seed, song and selection: the CLI's tokens, the studio's, and the sampler called directly (what the
    code before the pipeline ran: the task's initial tokens, seed + batch start, then the tokenizer's finishing)."""
    unseen, registries = songs()[TRAINED_ON + 5], get_registries()
    run = load_run(runs["melody"], load_step=None, ema=True, registries=registries)
    settings = SampleConfig(task="infill", mask_start_bar=4, mask_end_bar=8, mask_tracks=("melody",), n_samples=2,
                            batch_size=2, sample_steps=8, seed=11)  # fmt: skip
    task = registries.tasks.get("infill").factory(settings)
    job = song_jobs(run, task, Song.read(unseen, run), 1)[0]
    initial = torch.from_numpy(np.stack([job.initial, job.initial]))
    tokens, _ = sample(run.model, run.kernel, run.tokenizer.token_spec, initial, method="confidence", steps=8,
                       generator=torch.Generator().manual_seed(11))  # fmt: skip
    direct = [
        task.finish(run.tokenizer, t, job.prepared, job.region, job.window, job.window_selection)
        for t in tokens.numpy()
    ]

    out = tmp_path / "cli"
    # the studio never repeats a selection unasked, and the sampler called directly neither: the song's form is off
    done = smdiff("sample", "--load_dir", str(runs["melody"]), "--task", "infill", "--input_midi", str(unseen),
                  "--mask_start_bar", "4", "--mask_end_bar", "8", "--mask_tracks", "melody", "--n_samples", "2",
                  "--sample_steps", "8", "--seed", "11", "--set", "sample.batch_size=2", "--out_dir", str(out),
                  "--no-song-form")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    cli = [np.load(out / f"sample_{n:04d}.npy") for n in range(2)]

    engine = Engine(run, tmp_path / "studio", registries)
    piece = engine.open(unseen.name, unseen, unseen)
    variants = engine.infill(piece, Selection.bars(4, 8, ("melody",)), page_settings({"n": 2, "steps": 8, "seed": 11}))
    studio = [symusic.Score(str(out / f"sample_{n:04d}.mid")) for n in range(2)]

    for n in range(2):
        np.testing.assert_array_equal(cli[n], direct[n])
        assert (
            variants[n].score.tracks[0].notes.numpy()["pitch"].tolist()
            == studio[n].tracks[0].notes.numpy()["pitch"].tolist()
        )  # the studio's variant is the CLI's song, note for note
