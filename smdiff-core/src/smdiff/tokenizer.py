"""The tokenizer contract every representation implements.

A tokenizer turns one piece of MIDI into fixed-length windows of int tokens
shaped ``[length, channels]`` (see :class:`smdiff.tokens.TokenSpec`), and turns
any such window back into MIDI. It also says which positions belong to which
bar and which channels or rows belong to which track, so sampling tasks can
mask "bars 16–32" or "the piano" without knowing the representation.
"""

from __future__ import annotations

import abc
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import numpy as np

from smdiff.errors import DataError, SmdiffError
from smdiff.midi import MidiLike
from smdiff.tokens import TokenSpec

if TYPE_CHECKING:
    import symusic

    from smdiff.data.chords import Chord
    from smdiff.notes import NoteTable


@attrs.frozen
class Encoding:
    """Windows cut from one piece.

    ``windows`` is ``[n, length, channels]``; ``start_bars[i]`` is the bar of the
    piece where window ``i`` starts; ``counts`` tallies what encoding saw and
    dropped (e.g. ``notes``, ``notes_dropped_polyphony``, ``notes_out_of_range``);
    ``transposition`` is how many semitones the piece was moved before encoding
    (key normalisation), so decoding ``-transposition`` restores its key;
    ``roles`` names the rule that filled each track slot (:mod:`smdiff.data.roles`).
    """

    windows: np.ndarray
    start_bars: np.ndarray
    counts: Counter[str] = attrs.field(factory=Counter)
    transposition: int = 0
    roles: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen
class EncodeFailure:
    """Why one piece of :meth:`Tokenizer.encode_many` could not be encoded (a one-line reason)."""

    reason: str

    @classmethod
    def of(cls, error: Exception) -> EncodeFailure:
        """The failure an exception stands for: smdiff's own errors by message, others with their type."""
        if isinstance(error, SmdiffError):
            return cls(str(error))
        return cls(f"{type(error).__name__}: {error}")


class Tokenizer(abc.ABC):
    """MIDI ⇄ token arrays for one representation."""

    #: Registered id. The encoding version is the spec's (:attr:`smdiff.TokenizerSpec.version`), stored in caches.
    id: str

    @property
    @abc.abstractmethod
    def token_spec(self) -> TokenSpec:
        """Channels and vocabulary sizes of the arrays this tokenizer makes."""

    @property
    @abc.abstractmethod
    def track_names(self) -> tuple[str, ...]:
        """Names of the tracks a window holds, in the order decoding writes them."""

    @abc.abstractmethod
    def window_length(self, bars: int) -> int:
        """Length ``L`` of a window of ``bars`` bars."""

    @abc.abstractmethod
    def encode(
        self, midi: MidiLike, *, bars: int, max_windows: int | None = None, source: str | Path | None = None
    ) -> Encoding:
        """Cut ``midi`` into windows of ``bars`` bars (at most ``max_windows``, evenly spread; ``None`` = all).

        ``source`` is where ``midi`` was read from, when it is not itself a path:
        annotations beside the file (POP909's ``beat_midi.txt``) are found through it.
        """

    def encode_many(
        self,
        midis: Sequence[MidiLike],
        *,
        bars: int,
        max_windows: int | None = None,
        sources: Sequence[str | Path | None] | None = None,
    ) -> list[Encoding | EncodeFailure]:
        """:meth:`encode` each piece; a piece that fails gives an :class:`EncodeFailure` in its place.

        A bad file never stops the others. Tokenizers that can encode many
        pieces in one vectorised pass override this (``smdiff prepare`` calls it
        with batches of files); the default encodes one piece at a time.
        """
        results: list[Encoding | EncodeFailure] = []
        for midi, source in zip(midis, sources or [None] * len(midis), strict=True):
            try:
                results.append(self.encode(midi, bars=bars, max_windows=max_windows, source=source))
            except Exception as error:  # one bad file must never end the batch
                results.append(EncodeFailure.of(error))
        return results

    @abc.abstractmethod
    def decode(self, tokens: np.ndarray) -> symusic.Score:
        """Turn one window ``[length, channels]`` back into a score with named tracks."""

    def repair(self, tokens: np.ndarray) -> tuple[np.ndarray, int]:
        """Make a *sampled* window decodable, returning it and how many units were dropped to do so.

        A model may produce combinations that mean nothing (for Octuple: a note
        with some fields set to padding). Training data never needs this; the
        default finds nothing to repair.
        """
        return tokens, 0

    def transpose(self, windows: np.ndarray, semitones: np.ndarray) -> np.ndarray:
        """Shift every pitch of window ``i`` by ``semitones[i]`` (same shift for all its tracks).

        A window whose shifted pitches would leave the vocabulary is returned
        unshifted. The default (for representations without pitch) changes nothing.
        """
        return windows

    def prepare_infill(
        self, window: np.ndarray, region: np.ndarray, end_bar: int | None, *, note_share: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """The input ``window`` and ``region`` to generate, adjusted so nothing generated can change the music outside.

        Called before masking; ``end_bar`` is the bar after the gap (``None``:
        the gap runs to the end of the window). Event representations give the
        gap ``note_share`` times the input's number of notes there (grids, whose
        steps are fixed, ignore it). A representation whose tokens outside the region
        depend on what precedes them (a grid's hold token continues whatever
        note sounds) makes them explicit here; one whose generated units carry
        their own time (an Octuple note's bar) takes those fields out of the
        region so they keep the input's values. The default changes nothing.
        """
        return window, region

    def finish_infill(
        self, tokens: np.ndarray, window: np.ndarray, region: np.ndarray, end_bar: int | None
    ) -> np.ndarray:
        """A sampled infilling ``tokens`` made to keep the gap: e.g. generated notes cut where the gap ends.

        ``window`` and ``region`` are what :meth:`prepare_infill` returned;
        ``end_bar`` is the bar after the gap (``None``: the gap runs to the end
        of the window). The default changes nothing.
        """
        return tokens

    def pitch_tokens(self) -> dict[int, np.ndarray]:
        """For each channel that holds pitches: the MIDI pitch of every token of its vocabulary, ``-1`` for others.

        The model probe (``smdiff evaluate --probe``) uses it to ask how well a
        model predicts masked pitches. The default (no pitch channels) disables
        the probe for this tokenizer.
        """
        return {}

    def bar_of_rows(self, bars: int) -> np.ndarray | None:
        """The bar of every row of a window of ``bars`` bars, when rows are fixed places in time.

        Forms (:mod:`smdiff.form`) tie rows bar to bar through it. ``None``
        (the default) says a row's bar is part of what it holds, decided as it
        is sampled (event representations), so rows cannot be tied by bar.
        """
        return None

    def chord_rows(self, chords: Sequence[Chord]) -> tuple[int, np.ndarray]:
        """Where given chords go in a window: the channel, and the tokens of its rows for ``chords`` (one per row).

        Tokenizers with a chord channel implement it; the default refuses in
        one line (``--chords`` needs such a tokenizer).
        """
        raise DataError(
            f"{self.id} has no chord channel to hold --chords; train on lead_sheet or trio_chords "
            "(--set data.tokenizer_id=trio_chords)"
        )

    def copy_bars(
        self, window: np.ndarray, region: np.ndarray, source: tuple[int, int], gap: tuple[int, int],
        tracks: Sequence[str], *, keep: float, rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """The window with the notes of ``tracks`` in bars ``gap`` replaced by those of bars ``source``.

        For tokenizers whose rows have no fixed bar (:meth:`bar_of_rows` is
        ``None``), a gap that repeats (``keep = 1``) or varies given bars is
        made by copying them; the returned region is what of the copy is
        regenerated (a share ``1 − keep`` of it). ``window`` and ``region``
        are :meth:`prepare_infill`'s; bars are the window's. The default
        refuses in one line.
        """
        raise DataError(
            f"{self.id} cannot repeat or vary bars: its rows are not fixed steps of the bars and it has no way to "
            "copy them"
        )

    @abc.abstractmethod
    def region_mask(
        self, tokens: np.ndarray, *, start_bar: int | None, end_bar: int | None, tracks: Sequence[str]
    ) -> np.ndarray:
        """Boolean ``[length, channels]``: true where the bar range ``[start_bar, end_bar)`` and/or tracks lie.

        ``None`` bounds are open; an empty ``tracks`` means every track. For
        event representations the rows of a window are its notes, so the mask
        follows the notes that are already there.
        """


def window_notes(tokenizer: Tokenizer, window: np.ndarray, bars: int) -> tuple[NoteTable, bool]:
    """A token window's notes as ``tokenizer`` hears them (after repair), and whether it decoded without repair."""
    from smdiff.notes import NoteTable

    repaired, dropped = tokenizer.repair(np.asarray(window, dtype=np.int64))
    return NoteTable.from_score(tokenizer.decode(repaired), n_bars=bars), dropped == 0
