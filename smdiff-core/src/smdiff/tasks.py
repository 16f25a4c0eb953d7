"""Sampling tasks: what of a piece the reverse process generates, and what it keeps.

A task owns its logic. It says which settings it reads (so a flag no task of
the call reads is refused in one line), which bars and tracks of an input piece
it regenerates (its :class:`Selection`; none for a new piece), and how a model
window becomes the reverse process's start: the initial tokens (mask ids where
music is to be generated) and the generated region. The inference pipeline
(:mod:`smdiff.inference`) does the rest the same way for every task — picks
the window around the selection, samples, puts the result back into the
user's song, checks that nothing outside the selection changed — so a task a
plugin registers works in ``smdiff sample``, ``smdiff evaluate`` and the studio
without changes to them.

``uncond`` generates everything (with ``--chords``, under a given chord
progression, for tokenizers with a chord channel); ``infill`` a bar range
and/or whole tracks of a given piece — continuation when the bar range runs to
the end. ``accompany``, ``melody`` and ``harmonize`` are infillings of the
accompaniment (bridge and piano), the melody or the chords of a song, keeping
the rest; ``melody`` without a song writes a new piece over ``--chords``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import attrs
import numpy as np

from smdiff.config.schema import SampleConfig
from smdiff.data.chord_tokens import CHORD_SLOT
from smdiff.data.chords import parse_progression, progression_shift, progression_steps
from smdiff.errors import DataError
from smdiff.tokenizer import Tokenizer


@attrs.frozen
class Selection:
    """What of a piece is regenerated: bar ranges ``[start, end)`` (0-based, in the piece's bars) of slots ``tracks``.

    ``tracks`` are the model's slot names; empty means every slot the model reads.
    """

    spans: tuple[tuple[int, int], ...]
    tracks: tuple[str, ...] = ()

    @classmethod
    def bars(cls, start_bar: int, end_bar: int, tracks: Iterable[str] = ()) -> Selection:
        """One bar range."""
        return cls(((start_bar, end_bar),), tuple(tracks))

    @property
    def start_bar(self) -> int:
        """The first regenerated bar."""
        return min(start for start, _ in self.spans)

    @property
    def end_bar(self) -> int:
        """The bar after the last regenerated one."""
        return max(end for _, end in self.spans)

    def shifted(self, bars: int) -> Selection:
        """The same selection ``bars`` earlier (into a window that starts at bar ``bars`` of the piece)."""
        return Selection(tuple((start - bars, end - bars) for start, end in self.spans), self.tracks)

    def bar_mask(self, n_bars: int) -> np.ndarray:
        """``[n_bars]`` booleans: which bars of ``0 … n_bars − 1`` the selection regenerates."""
        mask = np.zeros(n_bars, dtype=bool)
        for start, end in self.spans:
            mask[max(start, 0) : max(min(end, n_bars), 0)] = True
        return mask


@attrs.frozen
class Window:
    """The model window a task fills: ``bars`` bars of ``length`` rows, and its tokens when it holds an input."""

    bars: int
    length: int
    tokens: np.ndarray | None = attrs.field(default=None, eq=False)

    def closes(self, end_bar: int) -> int | None:
        """``end_bar`` as the tokenizers' infilling hooks take it: ``None`` when the gap runs to the window's end."""
        return None if end_bar >= self.bars else end_bar


class Task(Protocol):
    """What sampling generates and what it keeps; see the module docstring."""

    needs_input: bool
    #: the ``SampleConfig`` fields this task reads beyond the sampler's own (flags of others are refused)
    options: frozenset[str]

    def selection(self, piece_bars: int, window_bars: int) -> Selection | None:
        """What of an input piece of ``piece_bars`` bars is regenerated; ``None`` for a task without input.

        Settings that do not fit the piece, or a selection longer than the
        model's window of ``window_bars`` bars, are a :class:`~smdiff.errors.DataError`
        naming the flag.
        """

    def initial(
        self, tokenizer: Tokenizer, window: Window, selection: Selection | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Initial tokens ``[L, C]`` (mask ids where generated) and the generated region (bool ``[L, C]``).

        ``selection`` is in the window's bars (``None`` for a new piece).
        """

    def finish(
        self, tokenizer: Tokenizer, tokens: np.ndarray, prepared: np.ndarray, region: np.ndarray, window: Window,
        selection: Selection | None,
    ) -> np.ndarray:  # fmt: skip
        """Sampled ``tokens`` made to keep the contract outside the region (``prepared``: what was kept)."""


class Unconditional:
    """Everything masked: new music from nothing — or under a chord progression, when ``chords`` gives one."""

    needs_input = False
    options: frozenset[str] = frozenset({"key", "form", "form_from", "form_prior", "vary_keep", "chords"})

    def __init__(self, chords: str | None = None) -> None:
        self.progression = None if chords is None else parse_progression(chords)

    def selection(self, piece_bars: int, window_bars: int) -> Selection | None:
        """Nothing of an input is kept: there is no input."""
        return None

    def initial(
        self, tokenizer: Tokenizer, window: Window, selection: Selection | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """All mask ids, but for the chord channel when a progression is given."""
        spec = tokenizer.token_spec
        region = np.ones((window.length, spec.n_channels), dtype=bool)
        tokens = np.broadcast_to(np.asarray(spec.mask_ids), region.shape).copy()
        if self.progression is not None:
            shift = progression_shift(self.progression) if getattr(tokenizer, "normalise_key", False) else 0
            steps = progression_steps(self.progression, window.length, window.length // window.bars)
            channel, column = tokenizer.chord_rows([chord.transposed(shift) for chord in steps])
            tokens[:, channel], region[:, channel] = column, False
        return tokens, region

    def finish(
        self, tokenizer: Tokenizer, tokens: np.ndarray, prepared: np.ndarray, region: np.ndarray, window: Window,
        selection: Selection | None,
    ) -> np.ndarray:  # fmt: skip
        """The sampled tokens as they are."""
        return tokens


class Infill:
    """A bar range ``[start_bar, end_bar)`` and/or whole tracks of the input are regenerated; the rest is kept."""

    needs_input = True
    options: frozenset[str] = frozenset(
        {"mask_start_bar", "mask_end_bar", "mask_tracks", "infill_notes", "repeat_from", "vary_from", "vary_keep"}
    )

    def __init__(self, config: SampleConfig) -> None:
        self.start_bar = config.mask_start_bar
        self.end_bar = config.mask_end_bar
        self.tracks = tuple(config.mask_tracks)
        self.note_share = config.infill_notes
        if self.note_share <= 0:
            raise DataError(
                f"sample.infill_notes must be above 0 (a share of the input's notes), got {self.note_share}"
            )
        if self.start_bar is None and self.end_bar is None and not self.tracks:
            raise DataError("infill needs --mask_start_bar/--mask_end_bar and/or --mask_tracks to know what to fill")
        if self.start_bar is not None and self.start_bar < 0:
            raise DataError(f"--mask_start_bar {self.start_bar} is before the first bar (bars count from 0)")
        if self.start_bar is not None and self.end_bar is not None and self.end_bar <= self.start_bar:
            raise DataError(f"--mask_end_bar ({self.end_bar}) must be after --mask_start_bar ({self.start_bar})")

    def selection(self, piece_bars: int, window_bars: int) -> Selection:
        """The bar range (open ends closed by the piece, or by one window from the start) of the chosen tracks."""
        start = self.start_bar or 0
        if start >= piece_bars:
            raise DataError(f"--mask_start_bar {start} is past the piece's last bar ({piece_bars - 1})")
        if self.end_bar is not None and self.end_bar > piece_bars:
            raise DataError(f"--mask_end_bar {self.end_bar} is past the end of the piece ({piece_bars} bars)")
        end = self.end_bar if self.end_bar is not None else min(piece_bars, start + window_bars)
        if end - start > window_bars:
            raise DataError(
                f"bars {start}-{end} are {end - start} bars; the model fills at most {window_bars} at once (its "
                "window): choose a shorter range with --mask_start_bar/--mask_end_bar"
            )
        return Selection.bars(start, end, self.tracks)

    def initial(
        self, tokenizer: Tokenizer, window: Window, selection: Selection | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The input window with the selected bars and tracks replaced by mask ids."""
        if window.tokens is None or selection is None:
            raise DataError("the infill task needs an input piece: pass --input_midi FILE or --input_midi_dir DIR")
        start = selection.start_bar or None  # the tokenizers' hooks take open ends as None
        end = window.closes(selection.end_bar)
        region = tokenizer.region_mask(window.tokens, start_bar=start, end_bar=end, tracks=selection.tracks)
        if not region.any():
            raise DataError("the chosen bars/tracks hold nothing to fill in this piece; check the bar range and tracks")
        tokens, region = tokenizer.prepare_infill(window.tokens, region, end, note_share=self.note_share)
        masks = np.broadcast_to(np.asarray(tokenizer.token_spec.mask_ids), tokens.shape)
        return np.where(region, masks, tokens), region

    def finish(
        self, tokenizer: Tokenizer, tokens: np.ndarray, prepared: np.ndarray, region: np.ndarray, window: Window,
        selection: Selection | None,
    ) -> np.ndarray:  # fmt: skip
        """The tokenizer's re-anchoring at the gap's edges (so nothing generated leaks outside it)."""
        end = window.bars if selection is None else selection.end_bar
        return tokenizer.finish_infill(tokens, prepared, region, window.closes(end))


class Accompany(Infill):
    """A new accompaniment (``--mask-tracks``, by default bridge and piano) under a song's melody and chords."""

    def __init__(self, config: SampleConfig) -> None:
        super().__init__(attrs.evolve(config, mask_tracks=tuple(config.mask_tracks) or ("bridge", "piano")))


class Harmonize(Infill):
    """New chords (the chord channel) for a song's music; they come back as a ``CHORDS`` track."""

    options: frozenset[str] = Infill.options - {"mask_tracks"}

    def __init__(self, config: SampleConfig) -> None:
        super().__init__(attrs.evolve(config, mask_tracks=(CHORD_SLOT,)))


class Melody(Infill):
    """A new melody for a song, keeping its accompaniment and chords; without a song, a new piece over ``--chords``."""

    options: frozenset[str] = (Infill.options - {"mask_tracks"}) | {"chords"}

    def __init__(self, config: SampleConfig) -> None:
        self.over_chords = None if config.chords is None else Unconditional(config.chords)
        self.needs_input = self.over_chords is None
        if self.over_chords is not None and (config.input_midi or config.input_midi_dir):
            raise DataError("--chords is for a new piece; a song keeps its own chords: drop --chords or the input")
        if self.over_chords is not None and (config.mask_start_bar is not None or config.mask_end_bar is not None):
            raise DataError(
                "--mask-start-bar/--mask-end-bar have no effect with --chords: a new piece is written whole"
            )
        super().__init__(attrs.evolve(config, mask_tracks=("melody",)))

    def selection(self, piece_bars: int, window_bars: int) -> Selection | None:
        """The song's melody (in the bars asked for); nothing for a new piece."""
        return None if self.over_chords is not None else super().selection(piece_bars, window_bars)

    def initial(
        self, tokenizer: Tokenizer, window: Window, selection: Selection | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The song with its melody masked, or everything masked but the given chords."""
        if self.over_chords is not None:
            return self.over_chords.initial(tokenizer, window, selection)
        return super().initial(tokenizer, window, selection)
