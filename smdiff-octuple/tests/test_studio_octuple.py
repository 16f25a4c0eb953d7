"""The studio with an Octuple run: regenerate the piano of four bars of a POP909 trio; the rest is kept."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import symusic

from smdiff.testing import StudioServer, assert_kept_outside_selection, train_tiny_run


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as answer:
        return json.loads(answer.read())


def test_an_octuple_run_regenerates_one_instrument_in_the_studio(pop909, tmp_path):
    songs = Path(__file__).resolve().parents[2] / "examples" / "pop909-mini"
    run = train_tiny_run(songs, tmp_path, tokenizer="trio_octuple", model="octuple_ddpm", bars=16, steps=20)
    studio = StudioServer(run, "--midi_dir", str(pop909))
    try:
        piece = post(f"{studio.url}/api/open", {"file": "001/001.mid"})
        assert [t["slot"] for t in piece["tracks"]] == ["melody", "bridge", "piano"]
        result = post(f"{studio.url}/api/infill", {"piece": piece["id"], "bars": [9, 12], "tracks": ["piano"], "n": 2,
                                                   "steps": 8, "seed": 1})  # fmt: skip
        for variant in result["variants"]:
            with urllib.request.urlopen(f"{studio.url}/api/piece/{variant['id']}.mid") as answer:
                after = symusic.Score.from_midi(answer.read())
            before = symusic.Score(str(pop909 / "001" / "001.mid"))
            assert assert_kept_outside_selection(before, after, piece["bars"], (9, 12), {2}) > 0
    finally:
        studio.stop()
