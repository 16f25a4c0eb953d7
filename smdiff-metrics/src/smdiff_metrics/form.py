"""Whether a piece follows the form it was asked for, measured on its decoded notes.

For a form (``smdiff.Form``), three per-piece means of bar similarity
(``smdiff.bar_similarity``: the Jaccard share of two bars' notes as
sixteenth, pitch and track, of the melody when there is one):

- ``repeats``: over bars the form repeats, against the bar they repeat — 1
  when every repeat is the same notes;
- ``variations``: over bars of variations against their original — about the
  share a variation keeps;
- ``contrasts``: over bars of two sections the form names differently, at the
  same place in both — low when the sections differ.

What fools it: a piece that is one bar over and over scores 1 on repeats *and*
contrasts, so ``repeats`` means nothing without ``contrasts`` beside it; and
two sections can contrast in this measure while sounding alike (the same line
a semitone higher shares no notes). The baseline is the same measure on
samples of the same model written without a form.
"""

from __future__ import annotations

import attrs
import numpy as np

from smdiff import Form, NoteTable, bar_similarity


@attrs.frozen
class FormFit:
    """Mean bar similarity of a piece over its form's repeats, variations and contrasting sections (NaN: none)."""

    repeats: float
    variations: float
    contrasts: float


def contrast_pairs(form: Form) -> list[tuple[int, int]]:
    """Bars at the same place of two sections with different letters (the shorter section's length)."""
    pairs = []
    for index, section in enumerate(form.sections):
        for other in form.sections[:index]:
            if other.letter != section.letter:
                pairs += [
                    (section.start_bar + bar, other.start_bar + bar) for bar in range(min(section.bars, other.bars))
                ]
    return pairs


def _mean(similarity: np.ndarray, pairs: list[tuple[int, int]]) -> float:
    inside = [(a, b) for a, b in pairs if a < len(similarity) and b < len(similarity)]
    return float(np.mean([similarity[a, b] for a, b in inside])) if inside else float("nan")


def form_fit(table: NoteTable, form: Form) -> FormFit:
    """How closely ``table`` follows ``form`` (see the module docstring)."""
    similarity = bar_similarity(table)
    repeats, variations = form.bar_pairs()
    return FormFit(_mean(similarity, repeats), _mean(similarity, variations), _mean(similarity, contrast_pairs(form)))
