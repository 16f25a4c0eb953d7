"""home_sync with real files: verified mirroring, pruning, failures that leave home intact, restore, requeue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smdiff.config import StorageConfig
from smdiff.errors import ConfigError
from smdiff.plugins import build_plugin_host
from smdiff_slurm.home_sync import HomeSync, sha256


def backend(tmp_path: Path, **settings) -> HomeSync:
    config = StorageConfig(
        backend="home_sync", home_dir=str(tmp_path / "home"), scratch_dir=str(tmp_path / "scratch"), **settings
    )
    return build_plugin_host().registries.storage.get("home_sync").factory(config, Path("runs/my_run"))


def write_run(run_dir: Path, steps: list[int]) -> None:
    (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
    for step in steps:
        (run_dir / "checkpoints" / f"step_{step:08d}.pt").write_bytes(bytes([step % 256]) * (1000 + step))
    (run_dir / "config.toml").write_text("[train]\nsteps = 10\n")
    (run_dir / "metrics.jsonl").write_text('{"step": 1}\n')


def test_run_lives_on_scratch_and_home_is_a_verified_mirror(tmp_path):
    storage = backend(tmp_path, keep=2)
    assert storage.run_dir == tmp_path / "scratch" / "my_run" and storage.home == tmp_path / "home" / "my_run"
    write_run(storage.run_dir, [100, 200, 300])
    storage.sync("checkpoint")
    home = sorted(p.name for p in (storage.home / "checkpoints").iterdir())
    assert home == ["step_00000200.pt", "step_00000300.pt"]  # the latest 2 kept at home
    for path in (storage.home / "checkpoints").iterdir():
        assert sha256(path) == sha256(storage.run_dir / "checkpoints" / path.name)
    assert (storage.home / "config.toml").read_text() == (storage.run_dir / "config.toml").read_text()
    assert len(list((storage.run_dir / "checkpoints").iterdir())) == 3  # scratch untouched


def test_a_sync_failing_half_way_leaves_home_intact_and_scratch_whole(tmp_path):
    storage = backend(tmp_path, sync_retries=2)
    write_run(storage.run_dir, [100])
    storage.sync("checkpoint")
    before = {p.relative_to(storage.home): p.read_bytes() for p in storage.home.rglob("*") if p.is_file()}
    write_run(storage.run_dir, [200])
    (storage.run_dir / "metrics.jsonl").write_text('{"step": 1}\n{"step": 2}\n')
    blocker = storage.home / "checkpoints" / "step_00000200.pt"
    blocker.mkdir()  # the rename onto this path fails after metrics.jsonl was already copied
    (blocker / "keep").write_text("x")
    storage.sync("checkpoint")
    after = {p.relative_to(storage.home): p.read_bytes() for p in storage.home.rglob("*") if p.is_file()}
    assert after[Path("checkpoints/step_00000100.pt")] == before[Path("checkpoints/step_00000100.pt")]
    assert not [p for p in storage.home.rglob("*") if ".partial-" in p.name]  # no half-written file at home
    assert (storage.run_dir / "checkpoints" / "step_00000200.pt").exists()  # the source is never deleted


def test_restore_from_home_when_scratch_is_empty_and_log_the_job(tmp_path, fake_slurm):
    first = backend(tmp_path)
    write_run(first.run_dir, [100, 200])
    first.sync("end")
    fresh_scratch = tmp_path / "other-node"
    config = StorageConfig(backend="home_sync", home_dir=str(tmp_path / "home"), scratch_dir=str(fresh_scratch))
    requeued = HomeSync(config, Path("runs/my_run"))
    assert requeued.restore() is True
    assert sha256(requeued.run_dir / "checkpoints" / "step_00000200.pt") == sha256(
        first.run_dir / "checkpoints" / "step_00000200.pt"
    )
    record = json.loads((requeued.run_dir / "slurm_jobs.jsonl").read_text().splitlines()[-1])
    assert (
        record["SLURM_JOB_ID"] == "777"
        and record["SLURM_JOB_NODELIST"] == "node[01-02]"
        and record["restored_from_home"]
    )
    assert requeued.restore() is False  # scratch now holds the run


def test_scratch_defaults_to_slurm_tmpdir(tmp_path, fake_slurm):
    storage = HomeSync(StorageConfig(backend="home_sync", home_dir=str(tmp_path / "home")), Path("runs/x"))
    assert storage.run_dir == tmp_path / "scratch" / "x"


def test_missing_home_or_scratch_is_a_config_error(tmp_path, monkeypatch):
    monkeypatch.delenv("SLURM_TMPDIR", raising=False)
    with pytest.raises(ConfigError, match=r"needs storage\.home_dir"):
        HomeSync(StorageConfig(backend="home_sync"), Path("runs/x"))
    with pytest.raises(ConfigError, match=r"needs storage\.scratch_dir"):
        HomeSync(StorageConfig(backend="home_sync", home_dir=str(tmp_path)), Path("runs/x"))


def test_requeue_after_sigusr1_calls_scontrol(tmp_path, fake_slurm):
    storage = backend(tmp_path, requeue=True)
    storage.finish("SIGTERM")
    storage.finish(None)
    assert fake_slurm.calls() == []
    storage.finish("SIGUSR1")
    assert fake_slurm.calls() == ["scontrol requeue 777"]
