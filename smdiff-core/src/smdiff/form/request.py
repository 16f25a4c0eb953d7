"""What a user asks of form when sampling, and the tie map it makes for each job.

Two kinds of request, read from the sample settings:

- a form for new pieces (``--form "A8 A8 B8 A8"``, or ``--form-from song.mid``
  for the form found in a real song);
- a gap that repeats or varies given bars (``--repeat-from 0-8`` or
  ``--vary-from 0-8`` with an infilling's ``--mask-start-bar/--mask-end-bar``).

Variations keep ``--vary-keep`` of their original (a share of its quarter bars,
chosen with the sampling seed) and regenerate the rest.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np

from smdiff.config.schema import SampleConfig
from smdiff.errors import DataError
from smdiff.form.plan import Form
from smdiff.form.ties import form_ties, gap_ties
from smdiff.tasks import Selection, Window
from smdiff.tokenizer import Tokenizer


def parse_bar_range(text: str, flag: str) -> tuple[int, int]:
    """``"0-8"`` as bars ``[0, 8)`` (from 0, the end bar not included, like ``--mask-start-bar/--mask-end-bar``)."""
    parts = text.split("-")
    if len(parts) != 2 or not all(part.strip().isdigit() for part in parts):
        raise DataError(f"{flag} '{text}' is not a bar range; write START-END, bars from 0, e.g. {flag} 0-8")
    start, end = int(parts[0]), int(parts[1])
    if end <= start:
        raise DataError(f"{flag} {text}: the end bar must be after the start bar (END is not included)")
    return start, end


def form_of_song(path: Path, window_bars: int) -> Form:
    """The form found in the song at ``path`` (its first ``window_bars`` bars)."""
    from smdiff.form.detect import detect_form
    from smdiff.midi import load_score
    from smdiff.notes import NoteTable

    if not path.is_file():
        raise DataError(f"--form-from {path}: no such file; give a .mid song whose form to follow")
    form = detect_form(NoteTable.from_score(load_score(path), source_path=path), max_bars=window_bars)
    if not form.sections:
        raise DataError(f"--form-from {path}: the song is too short to hold a form (fewer than 8 bars)")
    return form


@attrs.frozen
class FormRequest:
    """A form for new pieces (``form``), or the bars a gap repeats or varies (``source``), and how much a variation keeps."""

    form: Form | None = None
    source: tuple[int, int] | None = None
    exact: bool = True
    keep: float = 0.5
    seed: int = 0

    @classmethod
    def from_settings(cls, settings: SampleConfig, window_bars: int) -> FormRequest | None:
        """The request ``settings`` make (``None`` when they ask for no form); bad values are one-line errors."""
        asked = {
            "--form": settings.form, "--form-from": settings.form_from,
            "--repeat-from": settings.repeat_from, "--vary-from": settings.vary_from,
        }  # fmt: skip
        given = [flag for flag, value in asked.items() if value is not None]
        if len(given) > 1:
            raise DataError(f"pass one of {', '.join(given)}: each asks for a whole form of its own")
        if not given:
            return None
        if not 0.0 <= settings.vary_keep <= 1.0:
            raise DataError(f"--vary-keep must be a share between 0 and 1, got {settings.vary_keep}")
        common = {"keep": settings.vary_keep, "seed": settings.seed}
        if settings.form is not None:
            form = Form.parse(settings.form)
            form.check_fits(window_bars)
            return cls(form=form, **common)
        if settings.form_from is not None:
            return cls(form=form_of_song(Path(settings.form_from), window_bars), **common)
        exact = settings.repeat_from is not None
        flag = "--repeat-from" if exact else "--vary-from"
        return cls(source=parse_bar_range(settings.repeat_from or settings.vary_from, flag), exact=exact, **common)

    @property
    def flag(self) -> str:
        """The flag that asked for this request (for messages)."""
        if self.form is not None:
            return "--form"
        return "--repeat-from" if self.exact else "--vary-from"

    def needs_fixed_bars(self, tokenizer: Tokenizer) -> DataError:
        """The one-line refusal of a form for a tokenizer whose rows have no fixed bar."""
        return DataError(
            f"{self.flag} needs a tokenizer whose rows are fixed steps of the bars (a grid); {tokenizer.id} "
            "places its notes in bars as it samples them"
        )

    def reaches(self, selection: Selection, window_bars: int) -> Selection:
        """The bars a model window must hold: the selection and the source bars it copies."""
        if self.source is None:
            return selection
        gap = (selection.start_bar, selection.end_bar)
        if self.source[1] - self.source[0] != gap[1] - gap[0]:
            raise DataError(
                f"{self.flag} {self.source[0]}-{self.source[1]} is {self.source[1] - self.source[0]} bars but the gap "
                f"{gap[0]}-{gap[1]} is {gap[1] - gap[0]}: a repeat or variation has the length of what it copies"
            )
        if self.source[0] < gap[1] and gap[0] < self.source[1]:
            raise DataError(f"{self.flag} {self.source[0]}-{self.source[1]} overlaps the gap {gap[0]}-{gap[1]}; "
                            "copy bars outside it")  # fmt: skip
        first, last = min(gap[0], self.source[0]), max(gap[1], self.source[1])
        if last - first > window_bars:
            raise DataError(
                f"{self.flag} {self.source[0]}-{self.source[1]} and the gap {gap[0]}-{gap[1]} span {last - first} bars; "
                f"the model sees {window_bars} at once: copy bars nearer the gap"
            )
        return Selection((*selection.spans, self.source), selection.tracks)

    def copy(
        self, tokenizer: Tokenizer, window: Window, prepared: np.ndarray, region: np.ndarray, selection: Selection,
        first_bar: int,
    ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """For tokenizers without fixed bars: the prepared window with the gap copied from the source bars, and the
        region left to generate (:meth:`smdiff.Tokenizer.copy_bars`)."""
        if self.source is None:
            raise self.needs_fixed_bars(tokenizer)
        source = self.window_source(window, first_bar)
        keep = 1.0 if self.exact else self.keep
        rng = np.random.default_rng(self.seed)
        gap = (selection.start_bar, selection.end_bar)
        return tokenizer.copy_bars(prepared, region, source, gap, selection.tracks, keep=keep, rng=rng)

    def window_source(self, window: Window, first_bar: int) -> tuple[int, int]:
        """The source bars in the window's bars (a window starting at bar ``first_bar`` of the song)."""
        if self.source is None:
            raise DataError(f"{self.flag} asks for a form, not for bars to copy")
        source = (self.source[0] - first_bar, self.source[1] - first_bar)
        if source[0] < 0 or source[1] > window.bars:
            raise DataError(f"{self.flag} {self.source[0]}-{self.source[1]} lies outside the model's window "
                            f"(bars {first_bar}-{first_bar + window.bars}) around the gap")  # fmt: skip
        return source

    def ties(
        self, tokenizer: Tokenizer, window: Window, selection: Selection | None, region: np.ndarray, first_bar: int = 0
    ) -> np.ndarray:
        """``[L, C]`` leader rows for one job.

        ``selection`` is the gap in the window's bars (``None`` for a new
        piece); the window starts at bar ``first_bar`` of the song.
        """
        bar_of_row = tokenizer.bar_of_rows(window.bars)
        if bar_of_row is None:
            raise self.needs_fixed_bars(tokenizer)
        rng = np.random.default_rng(self.seed)
        if self.form is not None:
            return form_ties(self.form, region, bar_of_row, keep=self.keep, rng=rng)
        if selection is None or self.source is None:
            raise DataError(f"{self.flag} makes a gap of an input song repeat other bars; it needs the infill task")
        source = self.window_source(window, first_bar)
        gap = (selection.start_bar, selection.end_bar)
        return gap_ties(region, bar_of_row, gap, source, exact=self.exact, keep=self.keep, rng=rng)
