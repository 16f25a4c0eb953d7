"""Configuration: layering, --set parsing, errors that name the key, and TOML round trips."""

from __future__ import annotations

import re

import pytest

from smdiff.config import SmdiffConfig, load_config_file, parse_override, resolve_config, to_toml
from smdiff.errors import ConfigError


def resolve(registries, toy_config_defaults, **kwargs):
    flags = {**toy_config_defaults, **kwargs.pop("flags", {})}
    return resolve_config(registries=registries, flags=flags, **kwargs)


def test_defaults_then_preset_then_dataset(registries, toy_config_defaults, monkeypatch):
    monkeypatch.setenv("SMDIFF_TOY_ROOT", "/music/here")
    config = resolve(registries, toy_config_defaults)
    assert (config.model.width, config.model.depth) == (64, 2)  # preset "small" of toy_model
    assert config.model.dropout == SmdiffConfig().model.dropout  # untouched default
    assert (config.data.tokenizer_id, config.data.bars) == ("toy_tok", 8)  # dataset spec
    assert config.data.root_dir == "/music/here"  # $VAR|fallback resolved from the environment
    assert config.train.batch_size == 3  # the dataset's extra settings


def test_dataset_root_falls_back_when_the_variable_is_unset(registries, toy_config_defaults, monkeypatch):
    monkeypatch.delenv("SMDIFF_TOY_ROOT", raising=False)
    assert resolve(registries, toy_config_defaults).data.root_dir == "/data/toy"


def test_later_layers_win(registries, toy_config_defaults, tmp_path):
    first = tmp_path / "a.toml"
    first.write_text('[model]\npreset = "tiny"\nwidth = 48\n[train]\nbatch_size = 5\nlr = 0.1\n')
    second = tmp_path / "b.toml"
    second.write_text("[train]\nlr = 0.2\n")
    config = resolve(
        registries,
        toy_config_defaults,
        files=[first, second],
        overrides=["train.steps=7", "train.lr=0.3"],
        flags={"train.steps": 9},
    )
    assert config.model.depth == 1  # preset chosen by the user file is applied beneath it
    assert config.model.width == 48  # the file beats the preset
    assert config.train.batch_size == 5  # the file beats the dataset spec
    assert config.train.lr == 0.3  # --set beats files
    assert config.train.steps == 9  # flags beat --set


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("train.lr=3e-4", {"train": {"lr": 3e-4}}),
        ("train.ema=false", {"train": {"ema": False}}),
        ("model.id=schmu_tx", {"model": {"id": "schmu_tx"}}),
        ("data.cache_path=none", {"data": {"cache_path": None}}),
        ("sample.mask_tracks=piano,bridge", {"sample": {"mask_tracks": ["piano", "bridge"]}}),
        ("data.split=[0.7, 0.2, 0.1]", {"data": {"split": [0.7, 0.2, 0.1]}}),
        ("data.track_map.melody=name:MELODY", {"data": {"track_map": {"melody": "name:MELODY"}}}),
    ],
)
def test_set_values_are_parsed_to_the_field_type(text, expected):
    assert parse_override(text) == expected


def test_set_typo_suggests_the_key():
    with pytest.raises(ConfigError, match=r"--set trian\.lr: unknown config key; did you mean 'train\.lr'\?"):
        parse_override("trian.lr=1")


def test_set_without_equals_says_the_form():
    with pytest.raises(ConfigError, match=r"expected dotted\.key=value"):
        parse_override("train.lr")


def test_wrong_type_names_key_value_and_type(registries, toy_config_defaults):
    with pytest.raises(ConfigError) as info:
        resolve(registries, toy_config_defaults, overrides=["train.lr=abc"])
    assert str(info.value) == "config error in --set train.lr=abc: train.lr: expected a number, got 'abc' (str)"


def test_integer_fields_refuse_floats_and_bools(registries, toy_config_defaults):
    with pytest.raises(ConfigError, match=r"train\.steps: expected an integer, got 2\.5"):
        resolve(registries, toy_config_defaults, overrides=["train.steps=2.5"])
    with pytest.raises(ConfigError, match=r"train\.steps: expected an integer, got True"):
        resolve(registries, toy_config_defaults, overrides=["train.steps=true"])


def test_literal_choices_are_listed(registries, toy_config_defaults):
    with pytest.raises(ConfigError, match=r"diffusion\.loss: expected one of 'elbo', 'reweighted_elbo'"):
        resolve(registries, toy_config_defaults, overrides=["diffusion.loss=mse"])


def test_a_mistyped_choice_gets_did_you_mean_once(registries, toy_config_defaults):
    with pytest.raises(ConfigError) as raised:
        resolve(registries, toy_config_defaults, overrides=["sample.sampler=ancestrl"])
    message = str(raised.value)
    assert "sample.sampler: 'ancestrl' is not one of 'ancestral', 'confidence'; did you mean 'ancestral'?" in message
    assert message.count("did you mean") == 1


def test_unknown_key_in_a_file_names_file_key_and_suggestion(registries, toy_config_defaults, tmp_path):
    path = tmp_path / "user.toml"
    path.write_text("[train]\nbatch_sise = 4\n")
    with pytest.raises(ConfigError) as info:
        resolve(registries, toy_config_defaults, files=[path])
    assert str(info.value) == (f"config error in {path}: unknown key 'train.batch_sise'; did you mean 'batch_size'?")


def test_unknown_table_in_a_file(registries, toy_config_defaults, tmp_path):
    path = tmp_path / "user.toml"
    path.write_text("[trian]\nlr = 1\n")
    with pytest.raises(ConfigError, match=r"unknown key 'trian'; did you mean 'train'"):
        resolve(registries, toy_config_defaults, files=[path])


def test_malformed_and_missing_files(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\n")
    with pytest.raises(ConfigError, match=r"bad\.toml is not valid TOML"):
        load_config_file(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config_file(tmp_path / "missing.toml")


def test_unknown_preset_lists_the_model_presets(registries, toy_config_defaults):
    with pytest.raises(ConfigError, match=r"model 'toy_model' has no preset 'tyny'; did you mean 'tiny'"):
        resolve(registries, toy_config_defaults, overrides=["model.preset=tyny"])


def test_user_declared_dataset(registries, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        '[data]\ndataset_id = "my_songs"\n[datasets.my_songs]\ntokenizer = "toy_tok"\nroot_dir = "/songs"\nbars = 16\n'
    )
    config = resolve_config(registries=registries, files=[path], flags={"model.id": "toy_model"})
    assert (config.data.tokenizer_id, config.data.bars, config.data.root_dir) == ("toy_tok", 16, "/songs")


def test_set_completes_a_dataset_declared_in_a_file(registries, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        '[data]\ndataset_id = "my_songs"\n[datasets.my_songs]\ntokenizer = "toy_tok"\nroot_dir = "/songs"\n'
    )
    config = resolve_config(
        registries=registries,
        files=[path],
        overrides=["datasets.my_songs.root_dir=/elsewhere"],
        flags={"model.id": "toy_model"},
    )
    assert config.data.root_dir == "/elsewhere"
    with pytest.raises(
        ConfigError, match=re.escape("--set datasets.new.root_dir=/x: datasets.new.tokenizer: required key")
    ):
        resolve_config(registries=registries, files=[path], overrides=["datasets.new.root_dir=/x"])


def test_shown_config_fed_back_resolves_to_the_same(registries, toy_config_defaults, tmp_path):
    config = resolve(registries, toy_config_defaults, overrides=["train.lr=0.01", "sample.mask_tracks=piano"])
    path = tmp_path / "shown.toml"
    path.write_text(to_toml(config))
    assert resolve_config(registries=registries, files=[path]) == config


def test_settings_removed_from_the_schema_are_dropped_and_named():
    from smdiff.config.resolve import drop_unknown_keys

    stored = {"data": {"bars": 8, "loader_workers": 2}, "retired": {"x": 1}, "train": {"lr": 0.1}}
    kept, dropped = drop_unknown_keys(stored)
    assert kept == {"data": {"bars": 8}, "train": {"lr": 0.1}} and dropped == ["data.loader_workers", "retired"]
