"""Bars are musical bars: from an override, from downbeat annotations, or from declared signatures."""

from __future__ import annotations

import numpy as np
import pytest
import symusic

from smdiff.data.bars import BarGrid, parse_time_signature
from smdiff.data.tempo import seconds_to_ticks
from smdiff.errors import ConfigError
from smdiff.testing import make_score, scale, write_midi


def test_declared_signature_and_its_changes():
    score = make_score({"MELODY": scale(4)}, signature=(3, 4))
    score.time_signatures.append(symusic.TimeSignature(480 * 6, 2, 4))
    grid = BarGrid.for_score(score)
    assert grid.source == "declared"
    assert list(grid.beats_per_bar()[:4]) == [3, 3, 2, 2]
    assert list(grid.bar_start_ticks[:4]) == [0, 1440, 2880, 3840]


def test_override_wins_over_the_declared_signature():
    score = make_score({"MELODY": scale(4)}, signature=(1, 4))
    assert BarGrid.for_score(score).beats_per_bar()[0] == 1
    grid = BarGrid.for_score(score, time_signature="4/4")
    assert grid.source == "override" and grid.beats_per_bar()[0] == 4
    np.testing.assert_allclose(grid.bar_position(np.array([0.0, 960.0, 1920.0])), [0.0, 0.5, 1.0])


@pytest.mark.parametrize("text", ["4", "4/3", "x/4", "0/4"])
def test_bad_time_signatures_are_config_errors(text):
    with pytest.raises(ConfigError, match="not like 4/4"):
        parse_time_signature(text)


def test_annotated_downbeats_with_a_pickup_and_offset(tmp_path):
    # Music in 4/4 at 120 qpm whose first downbeat is at beat 1 (a one-beat pick-up), declared as 1/4.
    path = write_midi(tmp_path / "song" / "song.mid", {"MELODY": scale(3)}, signature=(1, 4))
    lines = [f"{beat * 0.5} {1.0 if beat % 2 == 1 else 0.0} {1.0 if beat % 4 == 1 else 0.0}" for beat in range(12)]
    (path.parent / "beat_midi.txt").write_text("\n".join(lines) + "\n")
    grid = BarGrid.for_score(symusic.Score(str(path)), source_path=path)
    assert grid.source == "annotation"
    assert set(grid.beats_per_bar()) == {4}
    starts = grid.bar_start_ticks
    assert 480 in starts and 480 + 1920 in starts  # annotated downbeats are bar starts
    assert starts[0] <= 0  # the pick-up note at tick 0 lies in a whole bar added before


def test_seconds_to_ticks_follows_tempo_changes():
    score = make_score({"MELODY": scale(1)}, qpm=120.0)
    score.tempos.append(symusic.Tempo(960, 60.0))  # after two beats (1 s), beats last 1 s
    np.testing.assert_allclose(seconds_to_ticks(score, np.array([0.5, 1.0, 2.0])), [480, 960, 1440])


def test_pop909_bar_starts_agree_with_annotated_downbeats(pop909):
    songs = sorted(folder.name for folder in pop909.iterdir() if (folder / "beat_midi.txt").is_file())
    for song in songs[:: max(1, len(songs) // 5)]:  # five songs spread over the set (POP909 or the bundled subset)
        path = pop909 / song / f"{song}.mid"
        score = symusic.Score(str(path))
        grid = BarGrid.for_score(score, source_path=path)
        table = np.loadtxt(pop909 / song / "beat_midi.txt")
        downbeats = seconds_to_ticks(score, table[table[:, 2] == 1, 0])
        starts = grid.bar_start_ticks
        nearest = np.abs(starts[:, None] - downbeats[None, :]).min(axis=0)
        assert grid.source == "annotation" and nearest.max() < 1.0, song


def test_extended_starts_repeat_the_last_bar_past_the_grid():
    grid = BarGrid.for_score(make_score({"MELODY": scale(2)}))  # 4/4 bars at 480 ticks per quarter
    own = grid.bar_start_ticks.tolist()
    assert grid.extended_starts().tolist() == own
    assert grid.extended_starts(bars=len(own) + 1).tolist() == [*own, own[-1] + 1920, own[-1] + 3840]
    assert grid.extended_starts(until=own[-1] + 2000).tolist() == [*own, own[-1] + 1920, own[-1] + 3840]
