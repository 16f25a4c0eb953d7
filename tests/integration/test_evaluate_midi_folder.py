"""`smdiff evaluate --sample_dir` on ordinary MIDI folders: real songs, a corrupt file, another folder as reference."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from smdiff.testing import pop909_or_bundled

ROOT = Path(__file__).resolve().parents[2]


def evaluate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smdiff.cli", "evaluate", *args], capture_output=True, text=True, cwd=cwd
    )


def copy_songs(pop909: Path, folder: Path, songs: list[str]) -> Path:
    folder.mkdir(parents=True)
    for song in songs:
        shutil.copy(pop909 / song / f"{song}.mid", folder / f"{song}.mid")
    return folder


def test_a_plain_midi_folder_is_scored_and_a_corrupt_file_is_listed(tmp_path):
    pop909 = pop909_or_bundled(ROOT)
    songs = sorted(p.name for p in pop909.iterdir() if (p / f"{p.name}.mid").exists())
    samples = copy_songs(pop909, tmp_path / "other system", songs[:4])
    (samples / "broken.mid").write_bytes(b"MThd this is not MIDI")
    reference = copy_songs(pop909, tmp_path / "reference", songs[4:10])
    result = evaluate("--sample_dir", str(samples), "--reference_dir", str(reference), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "skipped broken.mid" in result.stderr
    report_dir = tmp_path / "evaluations" / "other system"
    assert f"report folder: {report_dir.relative_to(tmp_path)}" in " ".join(result.stdout.split())
    report = json.loads((report_dir / "metrics_uncond.json").read_text())
    assert [item["file"] for item in report["unreadable"]] == ["broken.mid"]
    assert report["files"] == 5 and report["samples"] >= 4 and report["reference_dir"] == str(reference)
    scale = report["metrics"]["scale_consistency"]
    assert scale["value"] >= 0.9 and scale["reference"] >= 0.9 and len(scale["spread"]) == 2  # real songs are tonal
    assert report["seed_aliases"]["pch_kl"] == report["metrics"]["kl_pitch_class"]["value"]
    assert {"scale_consistency_uncond.png", "pitch_class_entropy_uncond.png"} <= {
        p.name for p in report_dir.glob("*.png")
    }

    first = (report_dir / "metrics_uncond.json").read_bytes()
    again = evaluate(
        "--sample_dir", str(samples), "--reference_dir", str(reference), "--metrics", "scale_consistency", cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert (report_dir / "metrics_uncond.json").read_bytes() == first  # the earlier report is kept as it was
    assert set(
        json.loads((tmp_path / "evaluations" / "other system-2" / "metrics_uncond.json").read_text())["metrics"]
    ) == {"scale_consistency"}


def test_a_folder_without_midi_is_one_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = evaluate("--sample_dir", str(tmp_path / "empty"), "--reference_dir", str(tmp_path / "empty"), cwd=tmp_path)
    assert result.returncode == 2
    assert "holds no .mid or .midi files" in result.stderr and "Traceback" not in result.stderr
