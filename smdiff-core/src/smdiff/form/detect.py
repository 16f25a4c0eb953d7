"""The form of a real song, found from its bar self-similarity.

A bar's content is the set of its notes as (sixteenth of the bar, pitch,
track) — the melody's when the song has one, else every track's. Two bars are
as similar as the Jaccard share of their contents. The song is cut into
sections of ``section_bars`` bars (after a lead-in of up to ``section_bars - 1``
bars, chosen so that most sections find an earlier match); a section that
matches an earlier one on average over its bars at :data:`SAME` or above
repeats it, one at :data:`VARIED` or above varies it, any other is new.
"""

from __future__ import annotations

import string

import numpy as np

from smdiff.form.plan import Form, Section
from smdiff.notes import NoteTable

#: mean bar similarity from which a section repeats an earlier one
SAME = 0.8
#: mean bar similarity from which a section varies an earlier one
VARIED = 0.4
SIXTEENTHS = 16


def bar_contents(table: NoteTable) -> list[set[tuple[int, int, int]]]:
    """Per bar of ``table``: its notes as (sixteenth of the bar, pitch, track), of the melody when there is one."""
    melody = table.melody_track()
    notes = table if melody is None or not (table.track == melody).any() else table.select(table.track == melody)
    slots = np.minimum((notes.positions() * SIXTEENTHS + 1e-6).astype(np.int64), SIXTEENTHS - 1)
    contents: list[set[tuple[int, int, int]]] = [set() for _ in range(max(table.n_bars, 0))]
    for bar, slot, pitch, track in zip(notes.bar, slots, notes.pitch, notes.track, strict=True):
        if 0 <= bar < len(contents):
            contents[bar].add((int(slot), int(pitch), int(track)))
    return contents


def bar_similarity(table: NoteTable) -> np.ndarray:
    """``[bars, bars]`` Jaccard similarity of bar contents (two empty bars are alike: 1)."""
    contents = bar_contents(table)
    n = len(contents)
    similarity = np.ones((n, n))
    for i in range(n):
        for j in range(i):
            union = len(contents[i] | contents[j])
            similarity[i, j] = similarity[j, i] = len(contents[i] & contents[j]) / union if union else 1.0
    return similarity


def _section_similarity(similarity: np.ndarray, starts: list[int], bars: int) -> np.ndarray:
    """``[sections, sections]`` mean similarity of aligned bars."""
    offsets = np.arange(bars)
    return np.array([[similarity[a + offsets, b + offsets].mean() for b in starts] for a in starts])


def detect_form(table: NoteTable, *, section_bars: int = 4, max_bars: int | None = None) -> Form:
    """The form of ``table``'s first ``max_bars`` bars (all by default), sections of ``section_bars`` bars."""
    bars = table.n_bars if max_bars is None else min(table.n_bars, max_bars)
    similarity = bar_similarity(table)[:bars, :bars]
    best: tuple[float, int] = (-1.0, 0)
    for lead_in in range(min(section_bars, max(bars - 2 * section_bars + 1, 1))):
        starts = list(range(lead_in, bars - section_bars + 1, section_bars))
        if len(starts) < 2:
            continue
        sections = _section_similarity(similarity, starts, section_bars)
        matched = float(np.tril(sections, k=-1).max(axis=1)[1:].sum())
        best = max(best, (matched, -lead_in))
    lead_in = -best[1]
    return _label(similarity, lead_in, section_bars, bars)


def _label(similarity: np.ndarray, lead_in: int, section_bars: int, bars: int) -> Form:
    starts = list(range(lead_in, bars - section_bars + 1, section_bars))
    letters = iter(string.ascii_uppercase)
    sections: list[Section] = []
    if lead_in:
        sections.append(Section(next(letters), 0, 0, lead_in))
    matches = _section_similarity(similarity, starts, section_bars) if starts else np.zeros((0, 0))
    named: list[Section] = []
    primes: dict[str, int] = {}
    for index, start in enumerate(starts):
        earlier = matches[index, :index]
        best = int(np.argmax(earlier)) if index else -1
        closest = earlier[best] if index else 0.0
        if closest >= SAME:
            letter, prime = named[best].letter, named[best].primes
        elif closest < VARIED and (fresh := next(letters, None)) is not None:
            letter, prime = fresh, primes.setdefault(fresh, 0)
        else:  # like an earlier section, or more new sections than letters: a variation of the closest
            letter = named[best].letter
            prime = primes[letter] = primes[letter] + 1
        section = Section(letter, prime, start, section_bars)
        named.append(section)
        sections.append(section)
    return Form(tuple(sections))
