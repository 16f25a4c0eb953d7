"""A task of the example plugin: regenerate every other bar of a range, keeping the bars between.

It uses only ``import smdiff``: the task protocol's :class:`smdiff.Selection`
(several bar spans) and :class:`smdiff.Window`, and the tokenizer's own
infilling hooks. ``smdiff sample``, ``smdiff evaluate`` and the studio run it
through the inference pipeline like the built-in tasks.
"""

from __future__ import annotations

import numpy as np

import smdiff


class EveryOtherBar:
    """``every_other_bar``: bars ``start, start + 2, …`` below ``end`` of the chosen tracks (all when none)."""

    needs_input = True
    options = frozenset({"mask_start_bar", "mask_end_bar", "mask_tracks"})

    def __init__(self, config: smdiff.SampleConfig) -> None:
        if config.mask_start_bar is None or config.mask_end_bar is None:
            raise smdiff.DataError("every_other_bar needs --mask_start_bar and --mask_end_bar: the range it thins out")
        if config.mask_end_bar - config.mask_start_bar < 1:
            raise smdiff.DataError(
                f"--mask_end_bar ({config.mask_end_bar}) must be after --mask_start_bar ({config.mask_start_bar})"
            )
        self.start, self.end, self.tracks = config.mask_start_bar, config.mask_end_bar, tuple(config.mask_tracks)

    def selection(self, piece_bars: int, window_bars: int) -> smdiff.Selection:
        """One bar in two of the range."""
        if self.end > piece_bars:
            raise smdiff.DataError(f"--mask_end_bar {self.end} is past the end of the piece ({piece_bars} bars)")
        if self.end - self.start > window_bars:
            raise smdiff.DataError(f"bars {self.start}-{self.end} do not fit the model's {window_bars}-bar window")
        return smdiff.Selection(tuple((bar, bar + 1) for bar in range(self.start, self.end, 2)), self.tracks)

    def initial(
        self, tokenizer: smdiff.Tokenizer, window: smdiff.Window, selection: smdiff.Selection | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The window with the selected bars masked."""
        if window.tokens is None or selection is None:
            raise smdiff.DataError("every_other_bar needs an input piece: pass --input_midi or --input_midi_dir")
        region = np.zeros(window.tokens.shape, dtype=bool)
        for start, end in selection.spans:
            region |= tokenizer.region_mask(window.tokens, start_bar=start, end_bar=end, tracks=selection.tracks)
        tokens, region = tokenizer.prepare_infill(window.tokens, region, window.closes(selection.end_bar))
        return np.where(region, np.asarray(tokenizer.token_spec.mask_ids), tokens), region

    def finish(
        self, tokenizer: smdiff.Tokenizer, tokens: np.ndarray, prepared: np.ndarray, region: np.ndarray,
        window: smdiff.Window, selection: smdiff.Selection | None,
    ) -> np.ndarray:  # fmt: skip
        """The tokenizer's re-anchoring at every gap's edges."""
        end = window.bars if selection is None else selection.end_bar
        return tokenizer.finish_infill(tokens, prepared, region, window.closes(end))
