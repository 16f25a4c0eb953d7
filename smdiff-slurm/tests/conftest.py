"""Fake SLURM: environment variables and recording ``sbatch``/``scontrol`` executables on PATH."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

RECORDER = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "{log}"
{extra}
"""


class Recorder:
    """The command lines the fake executables were called with."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def fake_slurm(tmp_path, monkeypatch) -> Recorder:
    """Put recording sbatch and scontrol on PATH and a SLURM job's variables in the environment."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    log = tmp_path / "slurm-calls.log"
    for name, extra in (("sbatch", 'echo "Submitted batch job 4242"'), ("scontrol", "")):
        path = bin_dir / name
        path.write_text(RECORDER.format(log=log, extra=extra))
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SLURM_JOB_ID", "777")
    monkeypatch.setenv("SLURM_JOB_NODELIST", "node[01-02]")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "3")
    monkeypatch.setenv("SLURM_TMPDIR", str(tmp_path / "scratch"))
    return Recorder(log)
