"""Chords as data: symbols, POP909's chord annotations, and the chord at every beat of a song.

A chord symbol is written as POP909 (and the MIREX convention) writes it:
``root:quality[/bass]`` — ``C:maj``, ``Bb:min7``, ``F#:maj7/5`` — or ``N`` for
no chord. Roots take sharps or flats; the qualities are those of
:data:`QUALITIES` (POP909 uses all of them). ``chord_midi.txt`` beside a
POP909 song holds one chord per line: start and end in seconds, and the symbol.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import numpy as np

from smdiff.errors import DataError

CHORD_ANNOTATION_FILE = "chord_midi.txt"
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_NATURALS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
#: each quality's pitch classes above the root
QUALITIES: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10),
    "maj6": (0, 4, 7, 9),
    "min6": (0, 3, 7, 9),
    "hdim7": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9),
    "minmaj7": (0, 3, 7, 11),
    "sus4(b7)": (0, 5, 7, 10),
}
#: the triad family of each quality, for comparing chords by root and major/minor (MIREX's "majmin")
MAJMIN = {"maj": "maj", "7": "maj", "maj7": "maj", "maj6": "maj", "min": "min", "min7": "min", "min6": "min",
          "minmaj7": "min"}  # fmt: skip
#: the qualities a lead sheet writes after the root (the others are written as ``root:quality``)
LEAD_SHEET_QUALITIES = {"maj": "", "min": "m", "7": "7", "maj7": "maj7", "min7": "m7", "dim": "dim", "aug": "aug",
                        "sus2": "sus2", "sus4": "sus4"}  # fmt: skip
_SYMBOL = re.compile(r"^([A-Ga-g])([#b]*):([^/]+)(?:/(.+))?$")


def pitch_class(name: str) -> int:
    """``"Bb"`` → 10: a note name with any number of sharps or flats."""
    if not name or name[0].upper() not in _NATURALS:
        raise DataError(f"'{name}' is not a note name; write a letter A-G with # or b, e.g. Bb")
    return (_NATURALS[name[0].upper()] + name.count("#") - name.count("b")) % 12


@attrs.frozen
class Chord:
    """A root pitch class and a quality of :data:`QUALITIES`; ``root`` ``None`` is no chord (``N``)."""

    root: int | None
    quality: str = ""

    @classmethod
    def parse(cls, text: str) -> Chord:
        """``"Bb:min7/b7"`` (the bass is dropped), ``"C"`` (a major triad), ``"Am"`` (minor), or ``"N"``."""
        text = text.strip()
        if text in ("N", "X", ""):
            return NO_CHORD
        match = _SYMBOL.match(text)
        if match is None:
            short = re.match(r"^([A-Ga-g][#b]*)(m|min|maj|7|maj7|m7|dim|aug|sus2|sus4)?$", text)
            if short is None:
                raise DataError(f"'{text}' is not a chord symbol; write e.g. C, Am, G7, Bb:maj7 or N for none")
            quality = {None: "maj", "m": "min", "m7": "min7"}.get(short.group(2), short.group(2))
            return cls(pitch_class(short.group(1)), quality)
        quality = match.group(3)
        if quality not in QUALITIES:
            raise DataError(f"'{text}': unknown chord quality '{quality}'; known: {', '.join(QUALITIES)}")
        return cls(pitch_class(match.group(1) + match.group(2)), quality)

    def __str__(self) -> str:
        return "N" if self.root is None else f"{NOTE_NAMES[self.root]}:{self.quality}"

    @property
    def lead_sheet(self) -> str:
        """The chord as a lead sheet writes it (``C``, ``Am``, ``G7``, ``Bdim``); :meth:`parse` reads it back."""
        if self.root is None:
            return "N"
        short = LEAD_SHEET_QUALITIES.get(self.quality)
        return str(self) if short is None else NOTE_NAMES[self.root] + short

    @property
    def pitch_classes(self) -> frozenset[int]:
        """The chord's pitch classes (none for ``N``)."""
        if self.root is None:
            return frozenset()
        return frozenset((self.root + interval) % 12 for interval in QUALITIES[self.quality])

    @property
    def majmin(self) -> tuple[int, str] | None:
        """Root and ``maj``/``min`` when the quality is of either family; ``None`` otherwise (and for ``N``)."""
        family = MAJMIN.get(self.quality)
        return None if self.root is None or family is None else (self.root, family)

    def transposed(self, semitones: int) -> Chord:
        """The same chord ``semitones`` higher."""
        return self if self.root is None else Chord((self.root + semitones) % 12, self.quality)


NO_CHORD = Chord(None)


@attrs.frozen
class ChordSpan:
    """A chord from ``start`` to ``end`` (seconds)."""

    start: float
    end: float
    chord: Chord


def read_chord_annotation(path: str | Path) -> list[ChordSpan]:
    """The chords of a POP909 ``chord_midi.txt``; a line that is not start, end and a symbol names itself."""
    spans = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        try:
            spans.append(ChordSpan(float(fields[0]), float(fields[1]), Chord.parse(fields[2])))
        except (IndexError, ValueError, DataError) as error:
            raise DataError(f"{path}:{number}: '{line.strip()}' is not 'start end chord' ({error})") from None
    return spans


def chords_at(spans: list[ChordSpan], seconds: np.ndarray) -> list[Chord]:
    """The chord sounding at each time (``N`` outside every span)."""
    starts = np.array([span.start for span in spans])
    ends = np.array([span.end for span in spans])
    index = np.searchsorted(starts, seconds, side="right") - 1
    return [spans[i].chord if i >= 0 and time < ends[i] else NO_CHORD for i, time in zip(index, seconds, strict=True)]


def parse_progression(text: str) -> list[tuple[Chord, float]]:
    """``"C G Am F"`` (a chord a bar) or ``"C*2 G*0.5 D7*1.5"`` (lengths in bars) as (chord, bars) pairs.

    A bad symbol or length is a :class:`DataError` naming it and the fix.
    """
    progression = []
    for word in text.replace(",", " ").replace("|", " ").split():
        symbol, _, length = word.partition("*")
        try:
            bars = float(length) if length else 1.0
        except ValueError:
            bars = -1.0
        if not bars > 0 or round(bars * 16) != bars * 16:
            raise DataError(
                f"--chords: '{word}' has no valid length; write CHORD*BARS with a multiple of 1/16 bar, e.g. G*0.5"
            )
        try:
            progression.append((Chord.parse(symbol), bars))
        except DataError as error:
            raise DataError(f"--chords: {error}") from None
    if not progression:
        raise DataError('--chords is empty: give chords a bar each, e.g. --chords "C G Am F"')
    return progression


def progression_steps(progression: list[tuple[Chord, float]], steps: int, steps_per_bar: int) -> list[Chord]:
    """The chord at each of ``steps`` steps, the progression repeated until they are filled."""
    one_pass = [chord for chord, bars in progression for _ in range(round(bars * steps_per_bar))]
    return [one_pass[step % len(one_pass)] for step in range(steps)]


def progression_shift(progression: list[tuple[Chord, float]]) -> int:
    """Semitones that move the progression's key (estimated from its chord tones) to C major or A minor.

    A key-normalised model reads given chords in that key; the piece it writes
    moves back by the opposite amount.
    """
    from smdiff.data.keys import estimate_key

    weights = np.zeros(12)
    for chord, bars in progression:
        for tone in chord.pitch_classes:
            weights[tone] += bars * (1.5 if tone == chord.root else 1.0)
    key = estimate_key(weights)
    return 0 if key is None else key.normalising_shift
