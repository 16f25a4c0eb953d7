"""Chord metrics of infillings by a model with a chord channel (``trio_chords``, ``lead_sheet``), per piece.

The chords of a window are read from its ``CHORDS`` track (the chord channel,
decoded as block chords), one per quarter-note beat of the gap.

- ``infill_chord_accuracy``: the generated accompaniment in the gap (every gap
  track but the melody and the chords) against the chords it was to play — the
  song's own for ``accompany``. The reference is the song's real accompaniment
  against the same chords.
- ``infill_chord_tone_ratio``: the generated melody in the gap on the chords'
  tones (``melody``). The reference is the real melody.
- ``infill_harmonization_accuracy``: generated chords against the song's
  (``harmonize``), by root and major/minor.

Each is the median over pieces with its 10–90 % spread, beside the infilling
baselines (the bars before or after the gap copied in, the context's pitches)
and, for the two accuracies, random triads of the context's key and the
song's chords a bar late (the copies are n/a where the gap is the whole
window: there is nothing to copy). A pair the metric does not apply to (no chord track,
no accompaniment or melody in the gap) is NaN; with none left, the value is n/a.
What fools them is said in :mod:`smdiff_metrics.chords`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from smdiff import CHORD_SLOT, Chord, Evaluation, InfillPair, Key, MetricResult, NoteTable, estimate_key
from smdiff_metrics.baselines import SEED, baseline_pairs
from smdiff_metrics.chords import chord_accuracy, chord_tone_ratio, random_chords_in_key, recognised
from smdiff_metrics.per_piece import summarise

MELODY = "melody"
#: the baselines that copy other bars into the gap (n/a when the gap is the whole window)
COPIES = ("copy_previous", "copy_next")


def _index(table: NoteTable, name: str) -> int | None:
    names = [track.strip().lower() for track in table.track_names]
    return names.index(name) if name in names else None


def _gap_beats(pair: InfillPair) -> np.ndarray:
    """The quarter-note beat edges of the gap."""
    first, last = pair.original.bar_start(np.array([pair.gap.start_bar, pair.gap.end_bar]))
    return np.arange(first, last + 1e-6, 1.0)


def chords_of(table: NoteTable, beats: np.ndarray) -> list[Chord] | None:
    """The chord of each beat read from ``table``'s chord track; ``None`` without one."""
    index = _index(table, CHORD_SLOT)
    if index is None:
        return None
    return recognised(table.select(table.track == index), beats)


def _gap_track_names(pair: InfillPair) -> set[str]:
    """The names (lower case) of the tracks the gap regenerates."""
    names = [track.strip().lower() for track in pair.original.track_names]
    return {names[index] for index in pair.gap.tracks if index < len(names)} if pair.gap.tracks else set(names)


def _gap_notes(pair: InfillPair, table: NoteTable, names: set[str]) -> NoteTable:
    """The notes of ``table`` in the gap on the tracks named in ``names``."""
    inside = pair.gap.select(table)
    wanted = [index for index, track in enumerate(table.track_names) if track.strip().lower() in names]
    return inside.select(np.isin(inside.track, wanted))


def accompaniment_accuracy(pair: InfillPair, table: NoteTable) -> float:
    """``table``'s accompaniment in the gap against ``table``'s own chords there (NaN: the gap holds no
    accompaniment to generate, or there are no chords)."""
    tracks = _gap_track_names(pair) - {MELODY, CHORD_SLOT}
    beats = _gap_beats(pair)
    chords = chords_of(table, beats)
    if chords is None or not tracks:
        return float("nan")
    return chord_accuracy(_gap_notes(pair, table, tracks), beats, chords)


def melody_tone_ratio(pair: InfillPair, table: NoteTable) -> float:
    """``table``'s melody in the gap on the tones of ``table``'s chords there (NaN: the gap holds no melody to
    generate, no melody was written, or there are no chords)."""
    beats = _gap_beats(pair)
    chords = chords_of(table, beats)
    if chords is None or MELODY not in _gap_track_names(pair):
        return float("nan")
    return chord_tone_ratio(_gap_notes(pair, table, {MELODY}), beats, chords)


def _agreement(want: list[Chord], got: list[Chord]) -> float:
    pairs = [(a.majmin, b.majmin) for a, b in zip(want, got, strict=False) if a.majmin]
    return float(np.mean([a == b for a, b in pairs])) if pairs else float("nan")


def harmonization_accuracy(pair: InfillPair, table: NoteTable) -> float:
    """``table``'s chords in the gap against the original's (NaN when the gap holds no chords to generate)."""
    if _index(pair.original, CHORD_SLOT) is None or CHORD_SLOT not in _gap_track_names(pair):
        return float("nan")
    beats = _gap_beats(pair)
    return _agreement(chords_of(pair.original, beats) or [], chords_of(table, beats) or [])


def _context_key(pair: InfillPair) -> Key:
    context = pair.gap.context(pair.original)
    chords = _index(pair.original, CHORD_SLOT)
    pitched = context if chords is None else context.select(context.track != chords)
    weights = np.bincount(pitched.pitch % 12, weights=pitched.duration, minlength=12)
    return estimate_key(weights) or Key(0)


def _copyable(pair: InfillPair) -> bool:
    """Whether the piece has bars outside the gap to copy into it."""
    return pair.gap.start_bar > 0 or pair.gap.end_bar < pair.original.n_bars


def _trivial_chords(pair: InfillPair, rng: np.random.Generator) -> dict[str, float]:
    """The song's chords in the gap against random triads of the context's key and against themselves a bar late."""
    beats = _gap_beats(pair)
    song = chords_of(pair.original, beats)
    if song is None:
        return {"random_chords": float("nan"), "chords_late": float("nan")}
    first_bar = pair.original.bar_start(np.array([pair.gap.start_bar, pair.gap.start_bar + 1]))
    late = chords_of(pair.original, beats - np.diff(first_bar)[0]) or []  # each beat gets the chord a bar before it
    return {
        "random_chords": _agreement(song, random_chords_in_key(song, _context_key(pair), rng)),
        "chords_late": _agreement(song, late),
    }


class GapChordMetric:
    """A per-piece chord metric of infillings (see the module docstring), with its baselines and reference."""

    def __init__(self, score: Callable[[InfillPair, NoteTable], float], trivial: bool, reference: bool) -> None:
        self.score = score
        self.trivial = trivial
        self.reference = reference

    def compute(self, evaluation: Evaluation) -> MetricResult:
        """Median over pieces of the model's gaps, beside the baselines' and the real music's."""
        pairs = evaluation.pairs
        value, spread, count = summarise(np.array([self.score(p, p.generated) for p in pairs], dtype=float))
        baselines = {
            name: summarise(np.array([self.score(p, p.generated) if _copyable(p) or name not in COPIES else np.nan
                                      for p in made], dtype=float))[0]
            for name, made in baseline_pairs(pairs).items()
        }  # fmt: skip
        real = np.array([self.score(p, p.original) for p in pairs], dtype=float)
        if self.trivial:
            rng = np.random.default_rng(SEED)
            trivial = [_trivial_chords(p, rng) for p, applies in zip(pairs, np.isfinite(real), strict=True) if applies]
            for name in ("random_chords", "chords_late"):
                baselines[name] = summarise(np.array([t[name] for t in trivial], dtype=float))[0]
        reference, reference_spread = None, None
        if self.reference:
            reference, reference_spread, _ = summarise(real)
        return MetricResult(value, reference=reference, spread=spread, reference_spread=reference_spread,
                            baselines=baselines, pieces=count)  # fmt: skip


def chord_accuracy_metric() -> GapChordMetric:
    """``infill_chord_accuracy``."""
    return GapChordMetric(accompaniment_accuracy, trivial=True, reference=True)


def chord_tone_ratio_metric() -> GapChordMetric:
    """``infill_chord_tone_ratio``."""
    return GapChordMetric(melody_tone_ratio, trivial=False, reference=True)


def harmonization_metric() -> GapChordMetric:
    """``infill_harmonization_accuracy``."""
    return GapChordMetric(harmonization_accuracy, trivial=True, reference=False)
