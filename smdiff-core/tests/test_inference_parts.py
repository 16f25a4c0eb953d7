"""The pipeline's model-free parts on real scores: splicing a selection, checking it, choosing the window; the studio's
settings and bar times."""

from __future__ import annotations

import numpy as np
import pytest
import symusic

from smdiff.data.tempo import ticks_to_seconds
from smdiff.errors import DataError
from smdiff.inference import covering_window, notes_changed_outside, splice
from smdiff.studio.engine import page_settings
from smdiff.tasks import Selection
from smdiff.testing import make_score

BAR = 4 * 480


def notes_of(track: symusic.Track) -> list[tuple[int, int, int, int]]:
    return [(n.time, n.duration, n.pitch, n.velocity) for n in track.notes]


def test_splice_replaces_only_the_selected_bars_of_the_selected_slot():
    melody = [(beat * 480, 480, 60 + beat % 12, 80) for beat in range(16)] + [(BAR - 240, 480, 90, 70)]
    piano = [(bar * BAR, BAR, 48, 60) for bar in range(4)]
    song = make_score({"MELODY": melody, "PIANO": piano})
    generated = make_score({"MELODY": [(BAR, 240, 72, 100), (2 * BAR - 120, 960, 74, 100), (3 * BAR, 480, 76, 100)]})
    out = splice(song, generated, {"melody": [0]}, ["melody"], [(BAR, 2 * BAR)])
    kept = [n for n in notes_of(song.tracks[0]) if not BAR <= n[0] < 2 * BAR]
    crossing = (BAR - 240, 240, 90, 70)  # sounded into the gap: cut at its start
    expected = sorted([n if n[:3] != (BAR - 240, 480, 90) else crossing for n in kept]
                      + [(BAR, 240, 72, 100), (2 * BAR - 120, 120, 74, 100)])  # fmt: skip
    assert sorted(notes_of(out.tracks[0])) == expected  # the generated note past the gap is not taken
    assert notes_of(out.tracks[1]) == notes_of(song.tracks[1])  # an unselected track is untouched
    assert notes_of(song.tracks[0])[-1] == (BAR - 240, 480, 90, 70)  # the input score itself is unchanged
    assert notes_changed_outside(song, out, [(BAR, 2 * BAR)], {0}) == 0  # the contract holds
    moved = out.copy()
    moved.tracks[1].notes[0].pitch = 50
    moved.tracks[0].notes[0].time = 10
    assert notes_changed_outside(song, moved, [(BAR, 2 * BAR)], {0}) == 4  # each change: one missing, one added


def test_splice_replaces_several_spans_and_keeps_the_bars_between_them():
    melody = [(bar * BAR, BAR, 60 + bar, 80) for bar in range(6)]
    song = make_score({"MELODY": melody})
    generated = make_score({"MELODY": [(bar * BAR, BAR, 80 + bar, 90) for bar in range(6)]})
    spans = [(BAR, 2 * BAR), (3 * BAR, 4 * BAR)]
    out = splice(song, generated, {"melody": [0]}, ["melody"], spans)
    assert [n[2] for n in sorted(notes_of(out.tracks[0]))] == [60, 81, 62, 83, 64, 65]
    assert notes_changed_outside(song, out, spans, {0}) == 0


def test_the_window_around_the_selection_is_chosen_and_impossible_selections_say_why():
    starts = np.arange(0, 30)  # windows of 16 bars starting at every bar of a 45-bar piece
    assert covering_window(starts, Selection.bars(8, 12, ("melody",)), 16) == 2  # centred: bars 2-17 around 8-12
    assert covering_window(starts, Selection.bars(0, 4, ("melody",)), 16) == 0
    with pytest.raises(DataError, match="the model fills at most 16"):
        covering_window(starts, Selection.bars(0, 20, ("melody",)), 16)
    with pytest.raises(DataError, match="outside the windows the model can read"):
        covering_window(starts, Selection.bars(44, 48, ("melody",)), 16)


def test_bar_seconds_follow_the_tempo_map():
    score = make_score({"MELODY": [(0, 480, 60, 80)]}, qpm=120.0)
    score.tempos.append(symusic.Tempo(BAR, qpm=60.0))
    assert ticks_to_seconds(score, np.array([0, BAR, 2 * BAR])).tolist() == pytest.approx([0.0, 2.0, 6.0])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"n": 17}, "between 1 and 16"),
        ({"steps": 1025}, "between 1 and 1024"),
        ({"sampler": "greedy"}, "sampler: expected one of 'ancestral', 'confidence'"),
        ({"temperature": 0.0}, "temperature"),
        ({"seed": 1e30}, r"seed: expected an integer, got 1e\+30 \(float\)"),
        ({"seed": 2**70}, "seed"),
        ({"steps": "many"}, "steps: expected an integer"),
        ({"colour": "red"}, "unknown setting 'colour'"),
    ],
)
def test_the_page_s_settings_are_checked_by_the_config_schema(values, message):
    with pytest.raises(DataError, match=message):
        page_settings(values)


def test_the_page_s_settings_default_to_the_schema_s():
    settings = page_settings({"seed": 5})
    assert (settings.sampler, settings.sample_steps, settings.temperature, settings.seed) == (
        "confidence",
        None,
        1.0,
        5,
    )
    assert settings.n_samples == settings.batch_size == 2  # every variant in one batch: one seed reproduces them
