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


def test_the_cli_answers_without_importing_torch():
    code = (
        "import sys\n"
        "from smdiff.cli.app import build_app\n"
        "build_app()(args=['--version'], prog_name='smdiff', standalone_mode=False)\n"
        "heavy = [m for m in ('torch', 'matplotlib', 'tensorboard') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().startswith("smdiff ")


def _commands(group, path=()):
    """Every command of the click tree with its path of names."""
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_help_at_80_columns_shows_every_option_name_whole(host):
    import typer
    from typer.testing import CliRunner

    from smdiff.cli.app import build_app

    app = build_app(host)
    tree = typer.main.get_command(app)
    runner = CliRunner()
    checked = 0
    for path, command in _commands(tree):
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
        assert result.exit_code == 0, result.output
        assert max(len(line) for line in result.output.splitlines()) <= 80
        for parameter in command.params:
            for name in [*parameter.opts, *parameter.secondary_opts]:
                if name.startswith("--"):
                    assert name in result.output, f"`smdiff {' '.join(path)} --help` cuts {name}"
                    assert "_" not in name, f"{name}: declare options hyphenated; the underscore spelling is accepted"
                    checked += 1
    assert checked > 50


def test_the_seed_s_underscore_spelling_is_the_same_option(cli):
    assert cli("list", "tokenizers", "--json").exit_code == 0
    hyphen = cli("config", "show", "--dataset-id", "toy_set", "--model", "toy_model")
    underscore = cli("config", "show", "--dataset_id", "toy_set", "--model", "toy_model")
    assert hyphen.exit_code == underscore.exit_code == 0 and hyphen.stdout == underscore.stdout


def test_progress_bars_keep_elapsed_and_eta_at_80_columns(monkeypatch):
    from rich.console import Console

    from smdiff import progress
    from smdiff.training.loop import PROGRESS_COLUMNS

    screen = Console(width=80, force_terminal=True, record=True)
    monkeypatch.setattr(progress, "console", screen)
    monkeypatch.setattr(progress.sys.stdout, "isatty", lambda: True)
    with progress.progress_bar(*PROGRESS_COLUMNS) as bar:
        task = bar.add_task("training", total=100000, completed=994, loss=0.39, bits=2.11, rate=1.97)
        bar.update(task, advance=1)
    line = "training" + screen.export_text().split("training")[-1].splitlines()[0]  # the last refresh
    assert "995/100000" in line and "loss 0.390" in line and "it/s" in line and len(line) <= 80
    assert line.rstrip().endswith(("-:--:--", ":00", ":01")) and "0:00:0" in line  # elapsed, then time remaining
