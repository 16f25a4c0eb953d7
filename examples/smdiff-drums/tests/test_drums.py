"""The example plugin works through the real plugin host and on real drum MIDI."""

from __future__ import annotations

import numpy as np
import pytest
import symusic

from smdiff import DataError
from smdiff.testing import plugin_host
from smdiff_drums.tokenizer import DRUM_CLASSES, DrumGridTokenizer


def drum_midi(path, hits):
    """Write a drum MIDI file with (step, pitch) hits at 480 ticks per quarter."""
    score = symusic.Score(480)
    track = symusic.Track(name="Drums", program=0, is_drum=True)
    for step, pitch in hits:
        track.notes.append(symusic.Note(step * 120, 60, pitch, 100))
    piano = symusic.Track(name="Piano", program=0, is_drum=False)
    piano.notes.append(symusic.Note(0, 480, 60, 100))  # a non-drum track must be ignored
    score.tracks.extend([track, piano])
    score.dump_midi(str(path))
    return path


def test_plugin_is_installed():
    host = plugin_host()
    assert "drums" in [info.name for info in host.plugins()]
    spec = host.registries.tokenizers.get("drum_grid")
    assert spec.id == "drums" and host.registries.tokenizers.provider("drums") == "drums"


def test_every_class_round_trips(tmp_path):
    hits = [(step, pitches[-1]) for step, (_, pitches) in enumerate(DRUM_CLASSES)] + [(20, 36), (20, 38)]
    path = drum_midi(tmp_path / "beat.mid", hits)
    tokenizer = DrumGridTokenizer()
    encoding = tokenizer.encode(path, bars=2)
    assert encoding.windows.shape == (1, 32, 1)
    grid = encoding.windows[0, :, 0]
    assert [int(grid[step]) for step in range(9)] == [1 << bit for bit in range(9)]
    assert grid[20] == 0b11
    decoded = tokenizer.decode(encoding.windows[0])
    again = tokenizer.encode(decoded, bars=2)
    np.testing.assert_array_equal(again.windows, encoding.windows)
    assert decoded.tracks[0].is_drum and decoded.tracks[0].name == "drums"


def test_unknown_pitches_are_counted_not_silently_lost(tmp_path):
    path = drum_midi(tmp_path / "odd.mid", [(0, 36), (1, 20)])
    encoding = DrumGridTokenizer().encode(path, bars=1)
    assert encoding.counts["notes"] == 2 and encoding.counts["notes_unmapped_pitch"] == 1


def test_decode_rejects_tokens_outside_the_vocabulary():
    with pytest.raises(DataError, match="token 600 at step 3"):
        DrumGridTokenizer().decode(np.array([0, 0, 0, 600]))


def test_region_mask_covers_the_bar_range():
    tokens = np.zeros((64, 1), dtype=np.int64)
    mask = DrumGridTokenizer().region_mask(tokens, start_bar=1, end_bar=3, tracks=())
    assert mask[:16].sum() == 0 and mask[16:48].all() and mask[48:].sum() == 0
