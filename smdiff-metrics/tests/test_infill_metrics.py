"""Infilling metrics and their baselines on real POP909 melodies: gaps of bars 16–32, compared as notes."""

from __future__ import annotations

import attrs
import numpy as np

from smdiff.evaluation.core import Evaluation, Gap, InfillPair
from smdiff.notes import NoteTable
from smdiff.testing import make_score
from smdiff_metrics.baselines import context_pitches, copy_next, copy_previous
from smdiff_metrics.infill import KeyConsistency, NoteAccuracy, NoteMatch

GAP = Gap(16, 32)
UNUSED = np.zeros((1, 1), dtype=np.int64)  # note-level metrics never read the tokens


def pair(original: NoteTable, generated: NoteTable, gap: Gap = GAP) -> InfillPair:
    return InfillPair(original, generated, gap, UNUSED, UNUSED, UNUSED.astype(bool))


def evaluation(pairs: list[InfillPair]) -> Evaluation:
    return Evaluation("infill", [p.generated for p in pairs], [], [True] * len(pairs), pairs)


def random_gap(original: NoteTable, rng: np.random.Generator) -> NoteTable:
    """The original with the gap's pitches redrawn uniformly from its range: the rhythm is right, the key is not."""
    inside = GAP.contains(original)
    pitch = original.pitch.copy()
    pitch[inside] = rng.integers(original.pitch.min(), original.pitch.max() + 1, size=int(inside.sum()))
    return attrs.evolve(original, pitch=pitch)


def test_the_original_is_a_perfect_infilling_of_itself(melodies):
    scored = evaluation([pair(m, m) for m in melodies])
    assert NoteMatch("f1").compute(scored).value == 1.0
    key = KeyConsistency().compute(scored)
    assert key.value == key.reference >= 0.9


def test_key_consistency_tells_a_gap_in_the_song_s_key_from_random_pitches(melodies):
    rng = np.random.default_rng(0)
    random = KeyConsistency().compute(evaluation([pair(m, random_gap(m, rng)) for m in melodies]))
    assert random.value <= 0.8 and random.reference >= 0.9
    # both baselines stay in the key of the context: pitches from the context, or the context itself
    assert random.baselines["context_pitches"] >= 0.9 and random.baselines["copy_previous"] >= 0.9


def test_baselines_keep_the_context_and_fill_only_the_gap(melodies):
    for original in melodies[:5]:
        for make in (copy_previous, copy_next, context_pitches):
            filled = make(pair(original, original))
            outside = ~GAP.contains(filled)
            kept = GAP.context(original)
            assert sorted(zip(filled.onset[outside], filled.pitch[outside])) == sorted(zip(kept.onset, kept.pitch))
            assert ((filled.bar[~outside] >= 16) & (filled.bar[~outside] < 32)).all()
    rhythm_kept = evaluation([pair(m, m) for m in melodies])
    assert NoteAccuracy("duration").compute(rhythm_kept).baselines["context_pitches"] == 1.0


def test_copy_previous_reproduces_a_song_that_repeats_itself():
    phrase = [(b * 1920 + s * 480, 480, 60 + (b + s) % 5, 90) for b in range(16) for s in range(4)]
    song = [(start + k * 16 * 1920, d, p, v) for k in range(4) for start, d, p, v in phrase]
    original = NoteTable.from_score(make_score({"MELODY": song}), n_bars=64)
    scored = NoteMatch("f1").compute(evaluation([pair(original, original.select(~GAP.contains(original)))]))
    assert scored.value == 0.0 and scored.baselines["copy_previous"] == scored.baselines["copy_next"] == 1.0


def test_copy_next_copies_the_bars_after_the_gap_and_the_bars_before_when_the_gap_ends_the_piece():
    bars = [(b * 1920, 1920, 50 + b, 90) for b in range(8)]  # one note per bar, pitch 50 + bar
    original = NoteTable.from_score(make_score({"MELODY": bars}), n_bars=8)
    middle = copy_next(pair(original, original, Gap(2, 4)))
    assert sorted(middle.pitch[(middle.bar >= 2) & (middle.bar < 4)].tolist()) == [54, 55]
    end = copy_next(pair(original, original, Gap(6, 8)))
    assert sorted(end.pitch[end.bar >= 6].tolist()) == [54, 55]
    before = copy_previous(pair(original, original, Gap(2, 4)))
    assert sorted(before.pitch[(before.bar >= 2) & (before.bar < 4)].tolist()) == [50, 51]


def test_note_precision_recall_and_f1_count_onset_and_pitch():
    original = NoteTable.from_score(make_score({"A": [(i * 480, 480, 60 + i, 90) for i in range(8)]}), n_bars=2)
    generated_notes = [(i * 480, 480, 60 + i, 90) for i in range(2)] + [(i * 480, 480, 70, 90) for i in range(2, 4)]
    generated = NoteTable.from_score(
        make_score({"A": generated_notes + [(i * 480, 480, 60 + i, 90) for i in range(4, 8)]}), n_bars=2
    )
    scored = evaluation([pair(original, generated, Gap(0, 1))])  # bar 0 holds notes 0-3; two of four are right
    assert NoteMatch("precision").compute(scored).value == 0.5
    assert NoteMatch("recall").compute(scored).value == 0.5
    assert NoteMatch("f1").compute(scored).value == 0.5
