"""Sampling tasks: which elements of a window the reverse process must fill.

A task turns an optional conditioning window into the initial tokens of the
reverse process (mask ids where music is to be generated) and the boolean
region it generates. ``uncond`` generates everything; ``infill`` generates a
bar range and/or whole tracks of a given piece — accompaniment when the piano
and bridge are masked, melody generation when the melody is, continuation when
the bar range runs to the end.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from smdiff.config.schema import SampleConfig
from smdiff.errors import DataError
from smdiff.tokenizer import Tokenizer


class Task(Protocol):
    """Builds the starting point of the reverse process."""

    needs_input: bool

    def check_bars(self, bars: int) -> None:
        """Refuse, with a :class:`~smdiff.errors.DataError`, settings that do not fit windows of ``bars`` bars."""

    def initial(self, tokenizer: Tokenizer, length: int, window: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Initial tokens ``[L, C]`` (mask ids where generated) and the generated region (bool ``[L, C]``)."""


class Unconditional:
    """Everything masked: new music from nothing."""

    needs_input = False

    def check_bars(self, bars: int) -> None:
        """Any window length works."""

    def initial(self, tokenizer: Tokenizer, length: int, window: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """All mask ids."""
        spec = tokenizer.token_spec
        region = np.ones((length, spec.n_channels), dtype=bool)
        return np.broadcast_to(np.asarray(spec.mask_ids), region.shape).copy(), region


class Infill:
    """A bar range ``[start_bar, end_bar)`` and/or whole tracks of the input are regenerated; the rest is kept."""

    needs_input = True

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
        if self.start_bar is not None and self.end_bar is not None and self.end_bar <= self.start_bar:
            raise DataError(f"--mask_end_bar ({self.end_bar}) must be after --mask_start_bar ({self.start_bar})")

    def check_bars(self, bars: int) -> None:
        """A bar range outside a window of ``bars`` bars is a :class:`DataError`."""
        for name, value in (("--mask_start_bar", self.start_bar), ("--mask_end_bar", self.end_bar)):
            if value is not None and not 0 <= value <= bars:
                raise DataError(f"{name} {value} is outside the piece's window of bars 0..{bars}")

    def initial(self, tokenizer: Tokenizer, length: int, window: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The input window with the chosen region replaced by mask ids."""
        if window is None:
            raise DataError("the infill task needs an input piece: pass --input_midi FILE or --input_midi_dir DIR")
        region = tokenizer.region_mask(window, start_bar=self.start_bar, end_bar=self.end_bar, tracks=self.tracks)
        if not region.any():
            raise DataError("the chosen bars/tracks hold nothing to fill in this piece; check the bar range and tracks")
        window, region = tokenizer.prepare_infill(window, region, self.end_bar, note_share=self.note_share)
        masks = np.broadcast_to(np.asarray(tokenizer.token_spec.mask_ids), window.shape)
        return np.where(region, masks, window), region
