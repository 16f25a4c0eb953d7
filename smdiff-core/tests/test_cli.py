"""The ``smdiff`` command line: version, plugins, list, config, and exit code 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

from smdiff import __version__


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"smdiff {__version__}"


def test_plugins_json_lists_distribution_hooks_and_ids(cli):
    rows = {row["name"]: row for row in json.loads(cli("plugins", "--json").stdout)}
    assert rows["toy"]["distribution"] == "toy-dist" and rows["toy"]["version"] == "9.9"
    assert rows["toy"]["registered"]["models"] == ["toy_event", "toy_model"]
    assert "smdiff.builtins.storage" not in rows


def test_plugins_all_includes_builtins(cli):
    rows = {row["name"]: row for row in json.loads(cli("plugins", "--all", "--json").stdout)}
    assert rows["smdiff.builtins.storage"]["registered"] == {"storage": ["local"]}


def test_plugins_table(cli):
    result = cli("plugins")
    assert result.exit_code == 0 and "toy-dist" in result.stdout


def test_list_each_kind(cli):
    for kind in ("tokenizers", "models", "maskers", "tasks", "metrics", "storage", "datasets", "kernels"):
        assert cli("list", kind).exit_code == 0
    datasets = json.loads(cli("list", "datasets", "--json").stdout)
    assert datasets[0]["id"] == "toy_set" and "tokenizer toy_tok, 8 bars" in datasets[0]["details"]
    assert "not prepared" in datasets[0]["details"]


def test_list_unknown_kind_exits_2_with_suggestion(cli):
    result = cli("list", "tokenizer")
    assert result.exit_code == 2
    assert "cannot list 'tokenizer'; did you mean 'tokenizers'?" in result.stderr


def test_config_show_round_trips_through_config(cli, tmp_path):
    shown = cli("config", "show", "--model", "toy_model", "--dataset_id", "toy_set", "--set", "train.lr=0.5")
    assert shown.exit_code == 0 and "lr = 0.5" in shown.stdout
    path = tmp_path / "shown.toml"
    path.write_text(shown.stdout)
    again = cli("config", "show", "--config", str(path))
    assert again.stdout == shown.stdout


def test_config_errors_exit_2_on_one_line(cli):
    result = cli("config", "show", "--model", "toy_model", "--dataset_id", "toy_set", "--set", "trian.lr=1")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --set trian.lr: unknown config key; did you mean 'train.lr'?"


def test_unknown_model_exits_2_with_known_ids(cli):
    result = cli("config", "show", "--model", "toy_modle", "--dataset_id", "toy_set")
    assert result.exit_code == 2
    assert "unknown model 'toy_modle'; did you mean 'toy_model'?" in result.stderr


def test_config_validate(cli, tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('[model]\nid = "toy_model"\n[data]\ndataset_id = "toy_set"\n')
    assert cli("config", "validate", str(good)).exit_code == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('[model]\nid = "toy_model"\nwidht = 3\n[data]\ndataset_id = "toy_set"\n')
    result = cli("config", "validate", str(bad))
    assert result.exit_code == 2 and "unknown key 'model.widht'; did you mean 'width'?" in result.stderr


def test_installed_console_script_runs():
    result = subprocess.run([sys.executable, "-m", "smdiff.cli", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("smdiff ")
