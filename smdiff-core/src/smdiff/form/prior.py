"""A run's form prior: the forms of its training windows, from which new pieces draw theirs.

A song's repeats are decisions about whole sections, which a denoiser that
decides notes one by one never makes on its own (docs/benchmarks.md: 2-bar
repetition 0.000 at every training length and with every sampler). So a new
piece is made in two stages, as hierarchical music models do: first a form,
drawn from the forms :func:`~smdiff.form.detect.detect_form` finds in the
training windows; then its notes, by the model, with the form's repeats tied
(:mod:`smdiff.form.ties`).

The prior keeps only exact repeats. What the detection calls a variation
(a section like an earlier one, not the same) is drawn as a new section: a
variation regenerates part of its quarter bars around kept ones, and at the
main job's training budget those seams cost melodic motion (docs/decisions.md).

Training writes the prior into the run folder (:data:`FORM_PRIOR_FILE`);
``smdiff sample`` and ``smdiff evaluate`` use it for new pieces unless
``--no-form-prior`` is given or a form is asked for.
"""

from __future__ import annotations

import json
import string
from collections.abc import Sequence
from pathlib import Path

import attrs
import numpy as np

from smdiff.errors import DataError
from smdiff.form.detect import detect_form
from smdiff.form.plan import Form, Section
from smdiff.notes import NoteTable
from smdiff.tokenizer import Tokenizer, window_notes

#: the file in a run folder that holds its form prior
FORM_PRIOR_FILE = "form_prior.json"
#: training windows the prior is read from (a fixed, seeded choice when the split has more)
PRIOR_WINDOWS = 400


def _notes(tokenizer: Tokenizer, window: np.ndarray, bars: int) -> NoteTable | None:
    """The window's notes, or ``None`` for a window that does not decode (training reports bad data itself)."""
    try:
        return window_notes(tokenizer, window, bars)[0]
    except DataError:
        return None


def exact_repeats(form: Form) -> Form:
    """``form`` with every variation (``A'``) named as a new section: it no longer varies ``A``, but where it comes
    back (``A'`` again) it still repeats itself exactly."""
    used = {section.letter for section in form.sections}
    fresh = iter(letter for letter in string.ascii_uppercase if letter not in used)
    renamed: dict[str, str | None] = {}
    sections = []
    for section in form.sections:
        letter = section.letter
        if section.primes:
            if section.name not in renamed:
                renamed[section.name] = next(fresh, None)
            letter = renamed[section.name]
            if letter is None:  # more sections than letters: leave this bar range free
                continue
        sections.append(Section(letter, 0, section.start_bar, section.bars))
    return Form(tuple(sections))


@attrs.frozen
class FormPrior:
    """Forms of ``bars``-bar training windows (exact repeats only), to draw new pieces' forms from."""

    bars: int
    forms: tuple[Form, ...]

    @classmethod
    def of_tables(cls, tables: Sequence[NoteTable], bars: int) -> FormPrior:
        """The prior of these windows' notes."""
        return cls(bars, tuple(exact_repeats(detect_form(table, max_bars=bars)) for table in tables))

    @classmethod
    def of_windows(
        cls, tokenizer: Tokenizer, windows: np.ndarray, indices: np.ndarray, bars: int, *, seed: int = 0
    ) -> FormPrior | None:
        """The prior of ``windows[indices]`` (at most :data:`PRIOR_WINDOWS` of them, a seeded choice), decoded as
        ``tokenizer`` hears them; ``None`` for a tokenizer whose rows have no fixed bar (no form can be tied)."""
        if tokenizer.bar_of_rows(bars) is None or len(indices) == 0:
            return None
        if len(indices) > PRIOR_WINDOWS:
            indices = np.sort(np.random.default_rng(seed).choice(indices, PRIOR_WINDOWS, replace=False))
        tables = [table for i in indices if (table := _notes(tokenizer, windows[i], bars)) is not None]
        return cls.of_tables(tables, bars)

    def draw(self, rng: np.random.Generator) -> Form:
        """One training window's form, chosen uniformly."""
        return self.forms[int(rng.integers(len(self.forms)))]

    def repeated_share(self) -> float:
        """Mean share of a window's bars that repeat an earlier section."""
        if not self.forms:
            return 0.0
        return float(np.mean([len(form.bar_pairs()[0]) / self.bars for form in self.forms]))

    def save(self, path: Path) -> None:
        """Write the prior as JSON (forms as musicians write them: ``"A4 B4 A4"``)."""
        path.write_text(json.dumps({"bars": self.bars, "forms": [str(form) for form in self.forms]}, indent=1))

    @classmethod
    def load(cls, path: Path) -> FormPrior | None:
        """The prior saved at ``path``; ``None`` when there is none (a run trained before form priors)."""
        if not path.is_file():
            return None
        stored = json.loads(path.read_text())
        return cls(int(stored["bars"]), tuple(Form.parse(text) if text else Form(()) for text in stored["forms"]))
