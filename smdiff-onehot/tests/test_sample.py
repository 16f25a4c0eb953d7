"""`smdiff sample` on a real (tiny) trained trio model: tasks, bit-exact conditioning, outputs, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import symusic

from smdiff.testing import scale, write_midi


@pytest.fixture(scope="module")
def songs(tmp_path_factory):
    root = tmp_path_factory.mktemp("trio")
    for song in range(10):
        write_midi(root / f"{song}.mid", {"MELODY": scale(8, low=60 + song % 3), "BRIDGE": scale(8, low=55),
                                         "PIANO": [(b * 1920, 1920, 48 + song % 4, 80) for b in range(8)]})  # fmt: skip
    return root


@pytest.fixture(scope="module")
def run(cli, songs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    cache = folder / "trio.npy"
    assert cli("prepare", "--tokenizer_id", "trio", "--bars", "8", "--root_dir", str(songs), "--cache_path", str(cache),
               "--set", "data.split=[0.6, 0.2, 0.2]").exit_code == 0  # fmt: skip
    result = cli("train", "--model", "schmu_conv", "--bars", "8", "--dataset_id", "pop909_trio", "--batch_size", "2",
                 "--steps", "4", "--log_dir", str(folder / "run"), "--set", f"data.cache_path={cache}",
                 "--set", "model.preset=tiny", "--set", "train.warmup_steps=0", "--set", "train.train_samples=0")  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder / "run"


def sample(cli, run, out, *args):
    return cli(
        "sample", "--load_dir", str(run), "--out_dir", str(out), "--sampler", "confidence", "--sample_steps", "4", *args
    )


def test_unconditional_writes_midi_tokens_pictures_and_an_index(cli, run, tmp_path):
    result = sample(cli, run, tmp_path / "u", "--n_samples", "3", "--seed", "5")
    assert result.exit_code == 0, result.output
    index = json.loads((tmp_path / "u" / "index.json").read_text())
    assert len(index["samples"]) == 3 and index["sample"]["seed"] == 5 and index["step"] == 4
    assert {"midi", "tokens", "piano_roll", "seed", "seconds", "source"} <= set(index["samples"][0])
    for suffix in (".mid", ".npy", ".png"):
        assert len(list((tmp_path / "u").glob(f"*{suffix}"))) == 3


def test_same_seed_same_music(cli, run, tmp_path):
    for name in ("a", "b"):
        sample(cli, run, tmp_path / name, "--n_samples", "2", "--seed", "9")
    assert np.array_equal(np.load(tmp_path / "a" / "sample_0001.npy"), np.load(tmp_path / "b" / "sample_0001.npy"))


@pytest.mark.parametrize("sampler", ["ancestral", "confidence"])
def test_infill_keeps_every_token_outside_the_gap_but_the_step_it_pins(cli, run, songs, tmp_path, sampler):
    from smdiff.config import DataConfig
    from smdiff_onehot.grid import HOLD, GridTokenizer

    song = songs / "3.mid"
    result = cli("sample", "--load_dir", str(run), "--out_dir", str(tmp_path), "--task", "infill", "--input_midi", str(song),
                 "--mask_start_bar", "2", "--mask_end_bar", "5", "--mask_tracks", "piano,bridge", "--n_samples", "2",
                 "--sampler", sampler, "--sample_steps", "8")  # fmt: skip
    assert result.exit_code == 0, result.output
    original = (
        GridTokenizer.from_config("trio", ("melody", "bridge", "piano"), DataConfig()).encode(song, bars=8).windows[0]
    )
    for index in range(2):
        generated = np.load(tmp_path / f"sample_{index:04d}.npy")
        region = np.zeros_like(generated, dtype=bool)
        region[2 * 16 : 5 * 16, 1:] = True  # bars 2-4 of bridge and piano
        pinned = np.zeros_like(region)
        pinned[5 * 16, 1:] = original[5 * 16, 1:] == HOLD  # a hold right after the gap is made explicit
        assert np.array_equal(generated[~region & ~pinned], original[~region & ~pinned])
        assert (generated[pinned] != HOLD).all()
    index = json.loads((tmp_path / "index.json").read_text())
    assert index["samples"][0]["generated_elements"] == 3 * 16 * 2
    assert [s["outside_gap_notes_changed"] for s in index["samples"]] == [0, 0]


def test_one_input_file_gives_n_samples_variants(cli, run, songs, tmp_path):
    result = sample(cli, run, tmp_path / "v", "--task", "infill", "--input_midi", str(songs / "1.mid"),
                    "--mask_start_bar", "2", "--mask_end_bar", "4", "--n_samples", "3")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(json.loads((tmp_path / "v" / "index.json").read_text())["samples"]) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mask_start_bar", "2"], "--mask_start_bar has no effect with --task uncond"),
        (["--input_midi", "SONG"], "--input_midi has no effect with --task uncond"),
        (["--task", "infill", "--input_midi", "SONG", "--mask_start_bar", "1", "--samples_per_midi", "2"],
         "--samples_per_midi is for --input_midi_dir"),
        (["--task", "infill", "--input_midi_dir", "DIR", "--mask_start_bar", "1", "--n_samples", "2"],
         "--n_samples has no effect with --input_midi_dir"),
    ],
)  # fmt: skip
def test_flags_without_effect_are_refused(cli, run, songs, tmp_path, args, message):
    args = [{"SONG": str(songs / "1.mid"), "DIR": str(songs)}.get(a, a) for a in args]
    result = sample(cli, run, tmp_path / "x", *args)
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "x").exists()


def test_an_out_dir_holding_samples_is_refused_and_kept(cli, run, tmp_path):
    assert sample(cli, run, tmp_path / "o", "--n_samples", "2").exit_code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "o").iterdir()}
    again = sample(cli, run, tmp_path / "o", "--n_samples", "1", "--seed", "3")
    assert again.exit_code == 2 and "already holds samples" in again.output
    assert {p.name: p.read_bytes() for p in (tmp_path / "o").iterdir()} == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--task", "infill", "--input_midi", "MISSING", "--mask_start_bar", "1"], "no such MIDI file"),
        (["--task", "infill", "--input_midi", "NOTMIDI", "--mask_start_bar", "1"], "not a readable MIDI file"),
        (
            ["--task", "infill", "--input_midi", "DRUMS", "--mask_start_bar", "1"],
            "no track with notes fits the model's tracks",
        ),
        (
            ["--task", "infill", "--input_midi", "SONG", "--mask_start_bar", "3", "--mask_end_bar", "40"],
            "--mask_end_bar 40 is past the end of the piece",
        ),
        (["--task", "infill", "--input_midi", "SONG"], "infill needs --mask_start_bar"),
        (["--task", "infill", "--input_midi", "SONG", "--mask_tracks", "drums"], "trio has no track 'drums'"),
        (["--task", "infil"], "unknown task 'infil'; did you mean 'infill'?"),
        (["--load_step", "77"], "step_00000077.pt does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, run, songs, tmp_path, args, message):
    paths = {"MISSING": str(tmp_path / "missing.mid"), "NOTMIDI": str(tmp_path / "text.mid"), "SONG": str(songs / "1.mid"),
             "DRUMS": str(write_midi(tmp_path / "drums.mid", {"Kit": scale(2)}, drums=("Kit",)))}  # fmt: skip
    (tmp_path / "text.mid").write_text("hello")
    result = sample(cli, run, tmp_path / "out", *[paths.get(arg, arg) for arg in args])
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3


def test_missing_run_directory(cli, tmp_path):
    result = sample(cli, tmp_path / "nowhere", tmp_path / "out")
    assert result.exit_code == 2 and "run directory" in result.stderr and "does not exist" in result.stderr


def test_refuses_a_dataset_with_another_tokenizer(cli, run, tmp_path):
    result = sample(cli, run, tmp_path / "out", "--dataset_id", "pop909_melody")
    assert (
        result.exit_code == 2
        and "trained with tokenizer 'trio' but dataset 'pop909_melody' uses 'melody'" in result.stderr
    )


def test_module_form_with_seed_flags(run, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "smdiff.cli.sample", "--task", "uncond", "--model", "schmu_conv_vae", "--load_dir", str(run),
         "--n_samples", "1", "--sample_steps", "3", "--load_step", "0", "--no-ema", "--out_dir", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "index.json").read_text())["checkpoint"].endswith("best.pt")


def test_a_sample_is_reproduced_from_the_seed_its_record_holds(cli, run, tmp_path):
    assert sample(cli, run, tmp_path / "all", "--n_samples", "11", "--seed", "4").exit_code == 0  # batches of 8 and 3
    record = json.loads((tmp_path / "all" / "index.json").read_text())["samples"][9]
    assert (record["seed"], record["batch_samples"], record["position_in_batch"]) == (12, 3, 1)
    again = sample(
        cli, run, tmp_path / "one", "--n_samples", str(record["batch_samples"]), "--seed", str(record["seed"])
    )
    assert again.exit_code == 0
    reproduced = np.load(tmp_path / "one" / f"sample_{record['position_in_batch']:04d}.npy")
    assert np.array_equal(reproduced, np.load(tmp_path / "all" / record["tokens"]))


def test_key_moves_new_pieces_into_the_asked_key_signature(cli, run, tmp_path):
    """The model writes in C major / A minor; --key G (one sharp) moves every decoded pitch up 7 or down 5."""
    plain, in_g = tmp_path / "c", tmp_path / "g"
    assert sample(cli, run, plain, "--n_samples", "2", "--seed", "3").exit_code == 0
    result = sample(cli, run, in_g, "--n_samples", "2", "--seed", "3", "--key", "G")
    assert result.exit_code == 0, result.output
    index = json.loads((in_g / "index.json").read_text())
    assert [record["semitones_moved"] for record in index["samples"]] == [-5, -5]
    for name in ("sample_0000.mid", "sample_0001.mid"):
        before = [n.pitch for t in symusic.Score(str(plain / name)).tracks for n in t.notes]
        after = [n.pitch for t in symusic.Score(str(in_g / name)).tracks for n in t.notes]
        assert before and after == [pitch - 5 for pitch in before]
    assert np.array_equal(np.load(plain / "sample_0000.npy"), np.load(in_g / "sample_0000.npy"))  # tokens stay in C


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--key", "H major"], "unknown key 'H major'"),
     (["--task", "infill", "--key", "G", "--mask_start_bar", "2"], "--key has no effect with --task infill")],
)  # fmt: skip
def test_a_key_that_cannot_apply_is_refused(cli, run, songs, tmp_path, args, message):
    extra = ["--input_midi", str(songs / "0.mid")] if "infill" in args else []
    result = sample(cli, run, tmp_path / "k", *args, *extra)
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "k").exists()


def test_convert_reads_tokenizer_bars_and_key_from_the_sample_folder(cli, run, tmp_path):
    out = tmp_path / "in_g"
    assert sample(cli, run, out, "--n_samples", "2", "--key", "G").exit_code == 0
    result = cli("convert", "--input", str(out / "sample_0001.npy"), "--output_dir", str(tmp_path / "mid"))
    assert result.exit_code == 0, result.output
    (converted,) = sorted((tmp_path / "mid").glob("*.mid"))

    def notes(path):
        return [sorted((n.time, n.duration, n.pitch) for n in track.notes) for track in symusic.Score(str(path)).tracks]

    assert notes(converted) == notes(out / "sample_0001.mid")  # same tokenizer, bars and key as `smdiff sample` used
    wrong = cli("convert", "--input", str(out / "sample_0001.npy"), "--bars", "4", "--output_dir", str(tmp_path / "x"))
    assert wrong.exit_code == 2 and "holds windows of 8 bars" in wrong.stderr and not (tmp_path / "x").exists()
