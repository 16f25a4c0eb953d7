"""The plugin host: entry points, broken plugins, environment switches, tracing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from smdiff import hookimpl
from smdiff.plugins import DEFAULT_PLUGINS, build_plugin_host

GOOD = """
from smdiff import hookimpl, TaskSpec

@hookimpl
def smdiff_tasks():
    return [TaskSpec(id="{id}", summary="a task", factory=lambda config: None)]
"""


def test_builtins_register_through_the_hooks():
    host = build_plugin_host(entrypoints=False, env={})
    names = [info.name for info in host.plugins()]
    assert set(DEFAULT_PLUGINS) <= set(names)
    assert host.registries.storage.provider("local") == "smdiff.builtins.storage"


def test_entry_point_plugin_is_loaded_with_its_distribution(fake_distribution):
    fake_distribution("good_plugin", GOOD.format(id="good_task"))
    host = build_plugin_host(env={})
    info = {i.name: i for i in host.plugins()}["good_plugin"]
    assert (info.distribution, info.version, info.hooks) == ("good_plugin", "1.2.3", ("smdiff_tasks",))
    assert host.registries.tasks.provider("good_task") == "good_plugin"


def test_plugin_that_fails_to_import_is_reported_and_skipped(fake_distribution, capsys):
    fake_distribution("broken_plugin", "import no_such_module_anywhere\n", version="0.4")
    fake_distribution("good_plugin", GOOD.format(id="good_task"))
    host = build_plugin_host(env={})
    [failure] = [f for f in host.failures if f.name == "broken_plugin"]
    assert (failure.distribution, failure.version) == ("broken_plugin", "0.4")
    assert "ModuleNotFoundError" in failure.error
    assert "plugin 'broken_plugin' (broken_plugin 0.4) skipped" in capsys.readouterr().err
    assert "good_task" in host.registries.tasks  # the host keeps working


def test_misspelt_hook_name_is_caught_and_skipped(fake_distribution):
    fake_distribution("typo_plugin", "from smdiff import hookimpl\n\n@hookimpl\ndef smdiff_taks():\n    return []\n")
    host = build_plugin_host(env={})
    [failure] = [f for f in host.failures if f.name == "typo_plugin"]
    assert "smdiff_taks" in failure.error
    assert "typo_plugin" not in [info.name for info in host.plugins()]


def test_plugin_whose_hook_raises_is_reported(fake_distribution):
    fake_distribution(
        "raising_plugin",
        "from smdiff import hookimpl\n\n@hookimpl\ndef smdiff_tasks():\n    raise RuntimeError('boom')\n",
    )
    host = build_plugin_host(env={})
    tasks = host.registries.tasks
    assert {"uncond", "infill"} <= set(tasks.ids())  # every other plugin still registered its specs
    assert all(tasks.provider(task) != "raising_plugin" for task in tasks.ids())
    [failure] = [f for f in host.failures if f.name == "raising_plugin"]
    assert failure.error == "RuntimeError: boom"


def test_hook_returning_the_wrong_spec_type_is_reported(host):
    class Wrong:
        @hookimpl
        def smdiff_tasks(self):
            return ["not a spec"]

    fresh = build_plugin_host(entrypoints=False, env={})
    fresh.register(Wrong(), "wrong", "wrong-dist", "1")
    assert all(fresh.registries.tasks.provider(spec.id) != "wrong" for spec in fresh.registries.tasks)
    assert "expected TaskSpec" in fresh.failures[0].error


def test_duplicate_ids_across_plugins_name_both_in_one_line_and_the_rest_works(fake_distribution, capsys):
    fake_distribution("first_plugin", GOOD.format(id="same"))
    fake_distribution("second_plugin", GOOD.format(id="same"), version="2.0")
    fake_distribution("third_plugin", GOOD.format(id="other"))
    host = build_plugin_host(env={})
    tasks = host.registries.tasks
    warning = [line for line in capsys.readouterr().err.splitlines() if "registered by both" in line]
    assert len(warning) == 1
    assert "task 'same'" in warning[0] and "'first_plugin' (first_plugin 1.2.3)" in warning[0]
    assert "'second_plugin' (second_plugin 2.0)" in warning[0] and "SMDIFF_DISABLE_PLUGINS" in warning[0]
    kept = tasks.provider("same")
    assert kept in {"first_plugin", "second_plugin"} and tasks.provider("other") == "third_plugin"
    assert tasks.get("uncond").id == "uncond"


def test_two_installed_plugins_with_one_id_leave_every_command_working(fake_distribution):
    """Real distributions on the path of a real ``smdiff`` process: one warning line, and every command works."""
    fake_distribution("first_plugin", GOOD.format(id="same"))
    folder = fake_distribution("second_plugin", GOOD.format(id="same"), version="2.0")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")])}

    def smdiff(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "smdiff.cli", *args], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        return done

    assert smdiff("--version").stdout.startswith("smdiff")
    for args in (("list", "tasks", "--json"), ("plugins", "--json")):
        done = smdiff(*args)
        (warning,) = done.stderr.splitlines()  # one line, nothing else
        assert warning.startswith("smdiff: warning: task 'same' is registered by both plugin ")
        assert "'first_plugin' (first_plugin 1.2.3)" in warning and "'second_plugin' (second_plugin 2.0)" in warning
        assert "SMDIFF_DISABLE_PLUGINS" in warning
    tasks = json.loads(smdiff("list", "tasks", "--json").stdout)
    assert {"same", "uncond", "infill"} <= {row["id"] for row in tasks}


@pytest.mark.parametrize(
    ("env", "loaded"),
    [
        ({}, {"alpha", "beta"}),
        ({"SMDIFF_LOAD_PLUGINS": "alpha"}, {"alpha"}),
        ({"SMDIFF_LOAD_PLUGINS": ""}, set()),
        ({"SMDIFF_DISABLE_PLUGINS": "beta"}, {"alpha"}),
        ({"SMDIFF_DISABLE_PLUGINS": "alpha, beta"}, set()),
    ],
)
def test_environment_switches(fake_distribution, env, loaded):
    fake_distribution("alpha", GOOD.format(id="a_task"))
    fake_distribution("beta", GOOD.format(id="b_task"))
    host = build_plugin_host(env=env)
    assert {i.name for i in host.plugins()} & {"alpha", "beta"} == loaded


def test_builtins_can_be_disabled():
    host = build_plugin_host(entrypoints=False, env={"SMDIFF_DISABLE_PLUGINS": "smdiff.builtins.storage"})
    assert "local" not in host.registries.storage


def test_trace_prints_loads_and_hook_calls(fake_distribution, capsys):
    fake_distribution("alpha", GOOD.format(id="a_task"))
    host = build_plugin_host(env={"SMDIFF_TRACE_PLUGINS": "1", "SMDIFF_LOAD_PLUGINS": "alpha"})
    assert "a_task" in host.registries.tasks
    err = capsys.readouterr().err
    assert "smdiff trace: registered plugin 'alpha' from alpha 1.2.3" in err
    assert "smdiff trace: alpha.smdiff_tasks() -> ['a_task']" in err
