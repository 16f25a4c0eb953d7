"""A form: the sections of a piece, which of them repeat and which vary another.

Written as musicians name it: ``"A8 A8 B8 A8"`` — a letter names a section, the
number its length in bars; a letter that comes back repeats its section
exactly, and a letter with primes (``A'8``, ``A''8``) is a variation of it.
Sections follow one another from bar 0; bars after the last section are free.
"""

from __future__ import annotations

import re

import attrs

from smdiff.errors import DataError

_SECTION = re.compile(r"^([A-Za-z])('*)(\d+)$")


@attrs.frozen
class Section:
    """One section: its letter, how many primes it carries (0 = the section itself), first bar and length."""

    letter: str
    primes: int
    start_bar: int
    bars: int

    @property
    def end_bar(self) -> int:
        """The bar after the section."""
        return self.start_bar + self.bars

    @property
    def name(self) -> str:
        """How the form writes it: ``A``, ``A'``…"""
        return self.letter + "'" * self.primes


@attrs.frozen
class Form:
    """Sections in order from bar 0 (see the module docstring)."""

    sections: tuple[Section, ...]

    @classmethod
    def parse(cls, text: str, *, flag: str = "--form") -> Form:
        """``"A8 A8 B8 A'8"`` as a form; anything else is a :class:`DataError` naming ``flag`` and the fix."""
        sections, start, lengths = [], 0, {}
        words = text.replace(",", " ").split()
        if not words:
            raise DataError(f'{flag} is empty: write sections as letter + bars, e.g. {flag} "A8 A8 B8 A8"')
        for word in words:
            match = _SECTION.match(word)
            if match is None:
                raise DataError(
                    f"{flag}: '{word}' is not a section; write a letter, optional primes for a variation and "
                    f"its length in bars, e.g. A8 or A'8"
                )
            letter, primes, bars = match.group(1).upper(), len(match.group(2)), int(match.group(3))
            if bars < 1:
                raise DataError(f"{flag}: section '{word}' has no bars; give it a length of 1 or more")
            if lengths.setdefault(letter, bars) != bars:
                raise DataError(
                    f"{flag}: section {letter} is {lengths[letter]} bars where it first stands but {bars} in "
                    f"'{word}'; a repeat or variation has the length of its section"
                )
            sections.append(Section(letter, primes, start, bars))
            start += bars
        return cls(tuple(sections))

    @property
    def bars(self) -> int:
        """Bars the form covers."""
        return self.sections[-1].end_bar if self.sections else 0

    def __str__(self) -> str:
        return " ".join(f"{section.name}{section.bars}" for section in self.sections)

    def check_fits(self, window_bars: int, *, flag: str = "--form") -> None:
        """A form longer than the model's window is a :class:`DataError` saying by how much."""
        if self.bars > window_bars:
            raise DataError(
                f'{flag} "{self}" covers {self.bars} bars; the model writes {window_bars} at once (its window): '
                f"shorten it by {self.bars - window_bars} bars"
            )

    def source(self, section: Section) -> tuple[Section, bool] | None:
        """What ``section`` comes from: ``(earlier section, exact)``, or ``None`` for a section heard first here.

        A name heard before (``A`` after ``A``, ``A'`` after ``A'``) repeats
        its first place exactly; a new variation (``A'`` after ``A``) varies
        the letter's original: its first place without primes, else its first place.
        """
        earlier = [other for other in self.sections if other.start_bar < section.start_bar]
        same_name = [other for other in earlier if other.name == section.name]
        if same_name:
            return same_name[0], True
        same_letter = [other for other in earlier if other.letter == section.letter]
        if not same_letter:
            return None
        plain = [other for other in same_letter if other.primes == 0]
        return (plain or same_letter)[0], False

    def bar_pairs(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """``(repeats, variations)``: pairs ``(bar, bar of the section it repeats or varies)``."""
        repeats, variations = [], []
        for section in self.sections:
            source = self.source(section)
            if source is None:
                continue
            original, exact = source
            pairs = [(section.start_bar + bar, original.start_bar + bar) for bar in range(section.bars)]
            (repeats if exact else variations).extend(pairs)
        return repeats, variations
