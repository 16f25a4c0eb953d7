"""smdiff prepare: caches, sidecars, skipped files with reasons, song-level splits, atomic writes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from smdiff.data.cache import TokenCache, sidecar_path
from smdiff.testing import scale, write_midi


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "midi"
    for index in range(10):
        write_midi(root / f"song{index:02d}.mid", {"MELODY": scale(6 + index % 3)})
    write_midi(root / "Nested" / "LOUD.MIDI", {"MELODY": scale(5)})
    (root / "zero.mid").write_bytes(b"")
    (root / "text.mid").write_text("not a midi file")
    (root / "cut.mid").write_bytes((root / "song00.mid").read_bytes()[:30])
    write_midi(root / "silent.mid", {"MELODY": []})
    write_midi(root / "other.mid", {"GUITAR": scale(4)})
    return root


def prepare(cli, root, tmp_path, *extra):
    cache = tmp_path / "out" / "cache.npy"
    args = ["prepare", "--dataset_id", "toy_set", "--root_dir", str(root), "--bars", "4", "--cache_path", str(cache)]
    return cli(*args, *extra), cache


def test_prepare_writes_cache_and_reports_skipped_files(cli, corpus, tmp_path):
    result, cache_path = prepare(cli, corpus, tmp_path, "--num_workers", "2")
    assert result.exit_code == 0, result.output
    meta = json.loads(sidecar_path(cache_path).read_text())
    assert meta["tokenizer"] == {"id": "toy_tok", "version": "1"}
    assert len(meta["files"]) == 11 and "Nested/LOUD.MIDI" in meta["files"]
    reasons = {item["file"]: item["reason"] for item in meta["skipped"]}
    assert set(reasons) == {"zero.mid", "text.mid", "cut.mid", "silent.mid", "other.mid"}
    assert "empty" in reasons["zero.mid"] and "not a readable MIDI file" in reasons["text.mid"]
    # symusic drops a track without notes, so a note-less file has no MELODY track at all.
    assert "no track fits melody" in reasons["silent.mid"] and "no track fits melody" in reasons["other.mid"]
    assert meta["counts"]["files_found"] == 16 and meta["counts"]["files_encoded"] == 11
    cache = np.load(cache_path)
    assert cache.dtype == np.uint8 and cache.shape[1:] == (64, 1) and cache.shape[0] == meta["shape"][0]
    assert "skipped" in result.stdout and "no track fits melody" in result.stdout


def test_windows_of_one_song_never_straddle_splits(cli, corpus, tmp_path):
    _, cache_path = prepare(cli, corpus, tmp_path, "--set", "data.split=[0.6, 0.2, 0.2]")
    cache = TokenCache.load(cache_path, tokenizer_id="toy_tok", tokenizer_version="1", rebuild_hint="x")
    seen: dict[int, str] = {}
    for split in ("train", "validation", "test"):
        for window in cache.split_indices(split):
            song = cache.meta["window_file"][window]
            assert seen.setdefault(song, split) == split
    assert set(seen.values()) == {"train", "validation", "test"}


def test_worker_count_does_not_change_the_cache(cli, corpus, tmp_path):
    _, one = prepare(cli, corpus, tmp_path / "a", "--num_workers", "1")
    _, two = prepare(cli, corpus, tmp_path / "b", "--num_workers", "2")
    first, second = (json.loads(sidecar_path(p).read_text()) for p in (one, two))
    assert first["content_hash"] == second["content_hash"] and first["file_split"] == second["file_split"]


def test_limit_and_max_windows(cli, corpus, tmp_path):
    _, cache_path = prepare(cli, corpus, tmp_path, "--limit", "3", "--max_tensors_per_ns", "1")
    meta = json.loads(sidecar_path(cache_path).read_text())
    assert meta["counts"]["files_found"] == 3 and meta["shape"][0] == len(meta["files"])


def test_folder_without_midi_exits_2(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    result, cache_path = prepare(cli, tmp_path / "empty", tmp_path)
    assert result.exit_code == 2 and "no .mid or .midi files under" in result.stderr
    assert not cache_path.exists()


def test_missing_folder_exits_2(cli, tmp_path):
    result, _ = prepare(cli, tmp_path / "nowhere", tmp_path)
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_all_files_failing_exits_2_and_keeps_the_old_cache(cli, corpus, tmp_path):
    result, cache_path = prepare(cli, corpus, tmp_path)
    before = cache_path.read_bytes(), sidecar_path(cache_path).read_bytes()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.mid").write_bytes(b"junk")
    (broken / "b.mid").write_bytes(b"")
    result, _ = prepare(cli, broken, tmp_path)
    assert result.exit_code == 2 and "none of the 2 MIDI files" in result.stderr
    assert (cache_path.read_bytes(), sidecar_path(cache_path).read_bytes()) == before
    assert not list(cache_path.parent.glob(".*tmp*"))


def test_loading_refuses_another_tokenizer_or_version_with_a_rebuild_hint(cli, corpus, tmp_path):
    _, cache_path = prepare(cli, corpus, tmp_path)
    hint = f"smdiff prepare --tokenizer_id melody --cache_path {cache_path}"
    with pytest.raises(Exception, match=r"made by tokenizer 'toy_tok' version 1.*needs 'melody'.*smdiff prepare"):
        TokenCache.load(cache_path, tokenizer_id="melody", tokenizer_version="1", rebuild_hint=hint)
    with pytest.raises(Exception, match="needs 'toy_tok' version 2"):
        TokenCache.load(cache_path, tokenizer_id="toy_tok", tokenizer_version="2", rebuild_hint=hint)


def test_loading_refuses_a_cache_that_does_not_match_its_sidecar(cli, corpus, tmp_path):
    _, cache_path = prepare(cli, corpus, tmp_path)
    windows = np.load(cache_path)
    windows[0, 0, 0] ^= 1
    np.save(cache_path, windows)
    with pytest.raises(Exception, match="does not match its sidecar"):
        TokenCache.load(cache_path, tokenizer_id="toy_tok", tokenizer_version="1", rebuild_hint="smdiff prepare")
    assert (
        TokenCache.load(
            cache_path, tokenizer_id="toy_tok", tokenizer_version="1", rebuild_hint="x", verify=False
        ).windows.shape
        == windows.shape
    )


def test_module_form_with_seed_flags(corpus, tmp_path):
    import subprocess
    import sys

    config = tmp_path / "mine.toml"
    config.write_text(f'[data]\ndataset_id = "mine"\n[datasets.mine]\ntokenizer = "nope"\nroot_dir = "{corpus}"\n')
    result = subprocess.run(
        [sys.executable, "-m", "smdiff.cli.prepare_data", "--config", str(config), "--tokenizer_id", "nope",
         "--cache_path", str(tmp_path / "seed.npy")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2 and "unknown tokenizer 'nope'" in result.stderr
