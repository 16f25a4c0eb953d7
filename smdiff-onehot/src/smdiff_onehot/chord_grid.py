"""Grid encodings with a chord channel: ``lead_sheet`` (melody + chords) and ``trio_chords`` (melody, bridge,
piano + chords).

The note channels are those of :class:`~smdiff_onehot.grid.GridTokenizer`; one
more channel, ``chords``, holds at every sixteenth step the chord sounding
there as one of 97 chord tokens (``smdiff.chord_token``: none, or 12 roots ×
maj, min, dim, aug, sus4, 7, maj7, min7; richer annotated qualities reduced).
Chords come from a song's ``CHORDS`` track where it sounds, else POP909's
``chord_midi.txt`` beside a file, else they are recognised from its notes
(``smdiff.beat_chords``); each encoding says which (``roles["chords"]``:
``chord track``, ``annotation`` or ``recognised``, summed in the cache sidecar
like track roles). Key normalisation moves them with the notes.
Decoding writes them as a ``CHORDS`` track of block chords (root position,
from C3, ``smdiff.chord_note_track``) so other tools see them, and reading that
file back gives the same chords.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np
import symusic

from smdiff import (
    CHORD_SLOT,
    CHORD_VOCAB,
    Chord,
    DataError,
    Encoding,
    Piece,
    TokenSpec,
    beat_chords,
    chord_note_track,
    chord_token,
    token_chord,
    transpose_chord_tokens,
)
from smdiff_onehot.grid import DECODE_TPQ, STEPS_PER_BAR, GridTokenizer


class ChordGridTokenizer(GridTokenizer):
    """A grid tokenizer over ``slots`` with a last channel of chords (see the module docstring)."""

    @property
    def token_spec(self) -> TokenSpec:
        """The note channels, then ``chords`` (97 values)."""
        notes = super().token_spec
        return TokenSpec(channels=(*notes.channels, CHORD_SLOT), vocab_sizes=(*notes.vocab_sizes, CHORD_VOCAB))

    @property
    def track_names(self) -> tuple[str, ...]:
        """The note slots, then ``chords``."""
        return (*self.slots, CHORD_SLOT)

    @property
    def read_slots(self) -> tuple[str, ...]:
        """The note slots and ``chords``: a chord track is claimed for the chords, never read as the piano."""
        return (*self.slots, CHORD_SLOT)

    @property
    def chord_channel(self) -> int:
        """Index of the chord channel (the last)."""
        return len(self.slots)

    def encode_pieces(self, pieces: Sequence[Piece], *, bars: int, max_windows: int | None = None) -> list[Encoding]:
        """The note channels' windows, each with the chords of its steps as one more channel."""
        encodings = super().encode_pieces(pieces, bars=bars, max_windows=max_windows)
        length = self.window_length(bars)
        out = []
        for piece, encoding in zip(pieces, encodings, strict=True):
            steps, source = self.chord_steps(piece, max(piece.grid.n_bars, bars) + bars)
            windows = np.empty((*encoding.windows.shape[:2], len(self.slots) + 1), dtype=encoding.windows.dtype)
            windows[..., : len(self.slots)] = encoding.windows
            for index, start in enumerate(encoding.start_bars.tolist()):
                windows[index, :, self.chord_channel] = steps[start * STEPS_PER_BAR : start * STEPS_PER_BAR + length]
            out.append(attrs.evolve(encoding, windows=windows, roles={**encoding.roles, CHORD_SLOT: source}))
        return out

    def chord_steps(self, piece: Piece, bars: int) -> tuple[np.ndarray, str]:
        """The chord token of every step of the piece's first ``bars`` bars, and where the chords came from."""
        grid = self.bar_grids([piece])[0]
        chords = beat_chords(piece.score, piece.source, grid=grid).transposed(piece.transposition)
        starts = grid.extended_starts(bars=bars)[: bars + 1]
        ticks = (
            starts[:-1, None] + np.diff(starts)[:, None] * (np.arange(STEPS_PER_BAR) + 0.5) / STEPS_PER_BAR
        ).ravel()
        beat = np.searchsorted(chords.beat_ticks, ticks, side="right") - 1
        tokens = np.array([chord_token(chord) for chord in chords.chords] + [0], dtype=np.int64)
        inside = (beat >= 0) & (beat < len(chords.chords))
        return np.where(inside, tokens[np.clip(beat, 0, len(chords.chords))], 0), chords.source

    def chord_rows(self, chords: Sequence[Chord]) -> tuple[int, np.ndarray]:
        """The chord channel, and its token for each row's chord."""
        return self.chord_channel, np.array([chord_token(chord) for chord in chords], dtype=np.int64)

    def decode(self, tokens: np.ndarray) -> symusic.Score:
        """The note tracks, and the chords as a ``CHORDS`` track of block chords."""
        tokens = self.check_tokens(tokens)
        score = self.decode_notes(tokens[:, : len(self.slots)])
        column = tokens[:, self.chord_channel]
        changes = np.flatnonzero(np.diff(column, prepend=-1) != 0)
        ends = np.append(changes[1:], len(column))
        step_ticks = DECODE_TPQ * 4 // STEPS_PER_BAR
        spans = [(int(start) * step_ticks, int(end) * step_ticks, token_chord(int(column[start])))
                 for start, end in zip(changes, ends, strict=True)]  # fmt: skip
        score.tracks.append(chord_note_track(spans))
        return score

    def check_tokens(self, tokens: np.ndarray) -> np.ndarray:
        """``[steps, channels]`` int64 with every token inside its channel's vocabulary (else a :class:`DataError`)."""
        tokens = np.asarray(tokens, dtype=np.int64)
        vocab = np.array(self.token_spec.vocab_sizes)
        if tokens.ndim != 2 or tokens.shape[1] != len(vocab):
            raise DataError(f"expected tokens shaped [steps, {len(vocab)}] for {self.id}, got {list(tokens.shape)}")
        bad = np.argwhere((tokens < 0) | (tokens >= vocab))
        if len(bad):
            step, channel = (int(v) for v in bad[0])
            raise DataError(f"invalid token {int(tokens[step, channel])} at step {step}, channel "
                            f"{self.track_names[channel]} (valid: 0..{int(vocab[channel]) - 1})")  # fmt: skip
        return tokens

    def transpose(self, windows: np.ndarray, semitones: np.ndarray) -> np.ndarray:
        """The note channels as the grid transposes them; the chords' roots move with them (when the notes move)."""
        notes = super().transpose(windows[..., : len(self.slots)], semitones)
        moved = (notes != windows[..., : len(self.slots)]).reshape(len(windows), -1).any(axis=1) | (semitones == 0)
        chords = windows[..., self.chord_channel]
        shift = np.where(moved, semitones, 0).reshape(-1, *([1] * (chords.ndim - 1)))
        shifted = transpose_chord_tokens(chords, shift)
        return np.concatenate([notes, shifted[..., None].astype(windows.dtype)], axis=-1)

    def region_mask(
        self, tokens: np.ndarray, *, start_bar: int | None, end_bar: int | None, tracks: Sequence[str]
    ) -> np.ndarray:
        """Steps of the bar range in the named tracks' channels, ``chords`` included."""
        tokens = np.asarray(tokens)
        names = [name.lower() for name in self.track_names]
        for name in tracks:
            if name.lower() not in names:
                raise DataError(f"{self.id} has no track '{name}'; its tracks are {', '.join(self.track_names)}")
        channels = [names.index(name.lower()) for name in tracks] or list(range(len(names)))
        mask = np.zeros(tokens.shape, dtype=bool)
        first = 0 if start_bar is None else start_bar * STEPS_PER_BAR
        last = tokens.shape[0] if end_bar is None else end_bar * STEPS_PER_BAR
        mask[first:last, channels] = True
        return mask
