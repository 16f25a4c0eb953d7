"""MIDI not shaped like POP909: music21's real corpus, unnamed tracks, drums-only and broken files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from smdiff.data.cache import sidecar_path
from smdiff.testing import scale, write_midi


def prepare(root: Path, tokenizer: str, cache: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smdiff.cli", "prepare", "--tokenizer_id", tokenizer, "--bars", "4",
         "--root_dir", str(root), "--cache_path", str(cache), *extra],
        capture_output=True, text=True,
    )  # fmt: skip


@pytest.mark.parametrize("tokenizer", ["melody", "trio"])
def test_every_music21_work_is_encoded_with_automatic_roles(music21_midi, tmp_path, tokenizer):
    done = prepare(music21_midi, tokenizer, tmp_path / "cache.npy")
    assert done.returncode == 0, done.stderr
    meta = json.loads(sidecar_path(tmp_path / "cache.npy").read_text())
    works = sorted(str(p.relative_to(music21_midi)) for p in music21_midi.rglob("*.mid"))
    assert meta["skipped"] == [] and sorted(meta["files"]) == works and len(works) >= 13
    roles = dict(zip(meta["files"], meta["file_roles"], strict=True))
    assert roles["essenFolksong/altdeu10-0.mid"]["melody"] == "single track"  # an unnamed folk tune
    assert roles["bach/bwv10.7-0.mid"]["melody"] == "name"  # its Soprano
    assert roles["joplin/maple_leaf_rag-0.mid"]["melody"] == "skyline"  # the pianist's right hand, top notes
    assert meta["roles_summary"]["melody"]["single track"] == 5
    assert "melody chosen by" in done.stdout and "(no named dataset)" in done.stdout
    if tokenizer == "trio":
        assert roles["bach/bwv10.7-0.mid"]["piano"] == "program"  # the alto, tenor and bass as accompaniment


def test_files_with_nothing_to_encode_are_skipped_with_their_reasons(music21_midi, tmp_path):
    root = tmp_path / "mixed"
    shutil.copytree(music21_midi / "bach", root / "bach")
    write_midi(root / "drums_only.mid", {"Kit": scale(4)}, drums=("Kit",))
    (root / "broken.mid").write_bytes((root / "bach" / "bwv1.6-0.mid").read_bytes()[:60])
    done = prepare(root, "melody", tmp_path / "cache.npy")
    assert done.returncode == 0, done.stderr
    meta = json.loads(sidecar_path(tmp_path / "cache.npy").read_text())
    reasons = {item["file"]: item["reason"] for item in meta["skipped"]}
    assert set(reasons) == {"drums_only.mid", "broken.mid"} and len(meta["files"]) == 3
    assert reasons["drums_only.mid"].startswith("no track fits melody (tracks: 'Kit')")


def test_an_explicit_track_map_still_wins(music21_midi, tmp_path):
    done = prepare(music21_midi / "bach", "melody", tmp_path / "cache.npy", "--set", "data.track_map.melody=name:Bass")
    assert done.returncode == 0, done.stderr
    meta = json.loads(sidecar_path(tmp_path / "cache.npy").read_text())
    assert meta["roles_summary"] == {"melody": {"track_map": 3}}
