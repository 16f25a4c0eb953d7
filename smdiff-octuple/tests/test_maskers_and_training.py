"""Bar maskers on real Octuple windows, and training the Octuple model end to end."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from smdiff.cli.app import build_app
from smdiff.config import DataConfig
from smdiff.plugins import build_plugin_host
from smdiff.testing import counted_host_traffic, make_score, scale, write_midi
from smdiff_octuple.maskers import BarAttributeMasker, BarMasker, MixedMasker
from smdiff_octuple.tokenizer import OctupleTokenizer


@pytest.fixture(scope="module")
def windows():
    tokenizer = OctupleTokenizer.from_config("t", ("melody", "bridge", "piano"), DataConfig(bars=4, max_notes=48))
    score = make_score({"MELODY": scale(4), "PIANO": [(1920 * b, 1920, 48, 80) for b in range(4)]})
    encoding = tokenizer.encode(score, bars=4)
    return tokenizer, torch.from_numpy(encoding.windows.astype("int64")).repeat(200, 1, 1)


def test_bar_masker_masks_whole_bars_at_the_rate(windows):
    tokenizer, tokens = windows
    rates = torch.full((len(tokens),), 0.3)
    mask = BarMasker(tokenizer.token_spec)(tokens, rates, torch.Generator().manual_seed(0))
    assert (mask.all(-1) == mask.any(-1)).all()  # every field of a note together
    bars = tokens[..., 0]
    for row in range(5):
        for bar in range(4):
            chosen = mask[row, :, 0][bars[row] == bar]
            assert chosen.all() or not chosen.any()  # a bar is masked whole or not at all
    notes = bars < 4
    assert abs(float(mask[..., 0][notes].float().mean()) - 0.3) < 0.05


def test_bar_attribute_masker_keeps_attribute_units_per_bar(windows):
    tokenizer, tokens = windows
    mask = BarAttributeMasker(tokenizer.token_spec)(
        tokens, torch.full((len(tokens),), 0.5), torch.Generator().manual_seed(1)
    )
    bars = tokens[..., 0]
    for field in (3, 4, 5, 7):
        for bar in range(4):
            chosen = mask[0, :, field][bars[0] == bar]
            assert chosen.all() or not chosen.any()
    assert (mask[..., 1] == mask[..., 0]).all()  # structure fields follow their note


def test_mixed_masker_rates(windows):
    tokenizer, tokens = windows
    mask = MixedMasker(tokenizer.token_spec)(tokens, torch.full((len(tokens),), 0.4), torch.Generator().manual_seed(2))
    assert 0.3 < float(mask.float().mean()) < 0.5


@pytest.mark.parametrize("masker", [BarMasker, BarAttributeMasker, MixedMasker])
def test_the_bar_maskers_read_nothing_back_and_copy_nothing_from_the_host(windows, masker):
    """On a GPU either would make every training step wait for it."""
    tokenizer, tokens = windows
    rates = torch.full((len(tokens),), 0.5)
    with counted_host_traffic() as counted:
        masker(tokenizer.token_spec)(tokens, rates, torch.Generator().manual_seed(3))
    assert counted == []


def test_octuple_model_trains_through_the_cli(tmp_path):
    for song in range(12):
        write_midi(
            tmp_path / "songs" / f"{song}.mid", {"MELODY": scale(6, low=55 + song), "PIANO": [(0, 1920, 40, 70)]}
        )
    cli = CliRunner()
    app = build_app(build_plugin_host())
    cache = tmp_path / "oct.npy"
    common = ["--set", "data.max_notes=32", "--set", "data.track_map.piano=name:PIANO"]
    prepared = cli.invoke(app, ["prepare", "--dataset_id", "pop909_trio_octuple", "--tokenizer_id", "trio_octuple", "--bars", "2", "--root_dir", str(tmp_path / "songs"),
                                "--cache_path", str(cache), "--set", "data.split=[0.6, 0.2, 0.2]", *common])  # fmt: skip
    assert prepared.exit_code == 0, prepared.output
    run = tmp_path / "run"
    result = cli.invoke(app, ["train", "--model", "octuple_ddpm", "--dataset_id", "pop909_trio_octuple", "--bars", "2",
                              "--batch_size", "4", "--steps", "8", "--log_dir", str(run), "--set", f"data.cache_path={cache}",
                              "--set", "model.preset=tiny", "--set", "diffusion.masker=mixed", "--set", "train.warmup_steps=0",
                              "--set", "train.validate_every=4", "--set", "train.sample_every=8", *common])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert 'mask_unit = "token"' in (run / "config.toml").read_text()
    vals = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if '"val"' in line]
    # an (almost) untrained model sits near the uniform guess, about 5.4 bits per Octuple field here: a loss that
    # came out zero, negative, NaN or in nats of the whole window would fall outside
    assert len(vals) == 3 and all(1.0 < v["bits_per_token"] < 10.0 for v in vals)
    assert len(list((run / "samples").rglob("*.mid"))) == 2
