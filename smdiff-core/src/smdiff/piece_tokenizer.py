"""A base for tokenizers of the notes of named track slots, encoding many pieces in one pass.

Reading a piece (parsing, finding its bars, picking its tracks) is done one
file at a time, so a bad file fails alone; everything after that is done on a
:class:`~smdiff.data.batch.PieceBatch` of many pieces at once. ``encode`` is
the batch of one, so single files and ``smdiff prepare`` share one code path.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from smdiff.data.bars import BarGrid
from smdiff.data.batch import PieceBatch
from smdiff.data.piece import Piece
from smdiff.midi import MidiLike
from smdiff.tokenizer import EncodeFailure, Encoding, Tokenizer


class PieceTokenizer(Tokenizer):
    """Tokenizer over named track ``slots``; subclasses implement :meth:`encode_batch`.

    ``track_map`` holds the user's selectors for some slots (``data.track_map``);
    the others are filled automatically from each file (:mod:`smdiff.data.roles`).

    With ``normalise_key`` every piece is transposed into C major or A minor
    before encoding (:mod:`smdiff.data.keys`); each :class:`Encoding` says by how much.
    """

    slots: tuple[str, ...]
    track_map: Mapping[str, str]
    time_signature: str | None
    normalise_key: bool = False

    def bar_grids(self, pieces: Sequence[Piece]) -> list[BarGrid]:
        """The bars to encode each piece with (the pieces' own by default)."""
        return [piece.grid for piece in pieces]

    @abc.abstractmethod
    def encode_batch(self, batch: PieceBatch, *, bars: int, max_windows: int | None) -> list[Encoding]:
        """Encode every piece of ``batch`` (see :meth:`Tokenizer.encode`), in batch order."""

    @property
    def read_slots(self) -> tuple[str, ...]:
        """The slots whose tracks a piece is read for: the note slots, and any a subclass reads more (chords)."""
        return self.slots

    def encode_pieces(self, pieces: Sequence[Piece], *, bars: int, max_windows: int | None = None) -> list[Encoding]:
        """Encode pieces already read, in one vectorised pass."""
        batch = PieceBatch.from_pieces(pieces, self.slots, self.bar_grids(pieces))
        encodings = self.encode_batch(batch, bars=bars, max_windows=max_windows)
        return [
            attrs.evolve(encoding, transposition=piece.transposition, roles=piece.roles)
            for piece, encoding in zip(pieces, encodings, strict=True)
        ]

    def encode(
        self, midi: MidiLike, *, bars: int, max_windows: int | None = None, source: str | Path | None = None
    ) -> Encoding:
        """Windows of ``bars`` bars of one piece (a batch of one)."""
        piece = Piece.read(
            midi, slots=self.read_slots, track_map=self.track_map, time_signature=self.time_signature, source=source,
            normalise_key=self.normalise_key,
        )  # fmt: skip
        return self.encode_pieces([piece], bars=bars, max_windows=max_windows)[0]

    def encode_many(
        self,
        midis: Sequence[MidiLike],
        *,
        bars: int,
        max_windows: int | None = None,
        sources: Sequence[str | Path | None] | None = None,
    ) -> list[Encoding | EncodeFailure]:
        """Read each piece on its own (failures stay per piece), then encode all that were read in one pass."""
        read = Piece.read_many(
            midis, slots=self.read_slots, track_map=self.track_map, time_signature=self.time_signature, sources=sources,
            normalise_key=self.normalise_key,
        )  # fmt: skip
        pieces = [item for item in read if isinstance(item, Piece)]
        encoded = iter(self.encode_pieces(pieces, bars=bars, max_windows=max_windows))
        return [next(encoded) if isinstance(item, Piece) else EncodeFailure.of(item) for item in read]
