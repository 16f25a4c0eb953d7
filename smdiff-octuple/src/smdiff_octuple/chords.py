"""Octuple with a ninth field, ``chord``: the chord sounding at each note's onset (``trio_octuple_chords``).

A note's chord is one of the 97 chord tokens (``smdiff.chord_token``), read
from the song's chords on the beat of its onset (``smdiff.beat_chords``: its
``CHORDS`` track, else POP909's annotation, else recognised from its notes;
``roles["chords"]`` says which, as for the chord grids) and moved with key
normalisation. Unlike a grid's chord channel, the whole voicing of every
chord the accompaniment plays is in the notes; the field tells each note
which chord it belongs to.

Decoding writes the chords as a ``CHORDS`` track of block chords: a chord
starts at the first onset that carries it and lasts to the next change (or
the end of the last note). Tasks: ``harmonize`` regenerates only the chord
field of the notes in the bars asked for; ``accompany`` and ``melody``
regenerate notes of their tracks, chord field included, beside the kept
notes' chords. ``--chords`` (a new piece over a progression) is for grid
models: an Octuple row's onset is sampled with the rest of it.
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
    smallest_dtype,
    token_chord,
    transpose_chord_tokens,
)
from smdiff_octuple import codes
from smdiff_octuple.tokenizer import BAR, FIELDS, PITCH, POSITION, OctupleTokenizer

CHORD = len(FIELDS)  # the ninth field


class OctupleChordTokenizer(OctupleTokenizer):
    """:class:`~smdiff_octuple.tokenizer.OctupleTokenizer` whose notes also carry their chord (see the module)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields = (*FIELDS, "chord")
        self.generated_fields = [*self.generated_fields, CHORD]
        self.pad_ids = (*self.note_spec.pad_ids, CHORD_VOCAB)
        self._spec = TokenSpec(
            channels=self.fields, vocab_sizes=(*self.note_spec.vocab_sizes, CHORD_VOCAB + 1), pad_ids=self.pad_ids
        )

    @property
    def track_names(self) -> tuple[str, ...]:
        """The note slots, then ``chords`` (the chord field of every note)."""
        return (*self.slots, CHORD_SLOT)

    @property
    def read_slots(self) -> tuple[str, ...]:
        """The note slots and ``chords``: a chord track is claimed for the chords, never read as the piano."""
        return (*self.slots, CHORD_SLOT)

    def encode_pieces(self, pieces: Sequence[Piece], *, bars: int, max_windows: int | None = None) -> list[Encoding]:
        """The eight note fields' windows, each note with the chord at its onset as a ninth field."""
        encodings = super().encode_pieces(pieces, bars=bars, max_windows=max_windows)
        grids = self.bar_grids(pieces)
        out = []
        for piece, grid, encoding in zip(pieces, grids, encodings, strict=True):
            found = beat_chords(piece.score, piece.source, grid=grid).transposed(piece.transposition)
            tokens = np.array([chord_token(chord) for chord in found.chords] + [0], dtype=np.int64)
            windows = np.empty((*encoding.windows.shape[:2], len(self.fields)), dtype=np.int64)
            windows[..., : len(FIELDS)] = encoding.windows
            windows[..., CHORD] = CHORD_VOCAB
            per_beat = codes.POSITIONS_PER_QUARTER * grid.beat_unit
            for index, start in enumerate(encoding.start_bars.tolist()):
                window = windows[index]
                notes = window[:, BAR] != self.pad_ids[BAR]
                bar = np.minimum(window[notes, BAR] + start, len(grid.downbeats) - 1)
                beat = np.floor(grid.downbeats[bar] + window[notes, POSITION] / per_beat).astype(np.int64)
                window[notes, CHORD] = tokens[np.clip(beat, 0, len(tokens) - 1)]
            roles = {**encoding.roles, CHORD_SLOT: found.source}
            out.append(attrs.evolve(encoding, windows=windows.astype(smallest_dtype(self._spec)), roles=roles))
        return out

    def decode_extra(self, score: symusic.Score, rows: np.ndarray, onset: np.ndarray, end: np.ndarray) -> None:
        """A ``CHORDS`` track: each chord from the first onset carrying it to the next change."""
        if not len(rows):
            score.tracks.append(chord_note_track([]))
            return
        order = np.argsort(onset, kind="stable")
        onset, chords = onset[order], rows[order, CHORD]
        first = np.concatenate(([True], onset[1:] != onset[:-1]))
        onset, chords = onset[first], chords[first]  # a position's chord: that of its first note
        changes = np.flatnonzero(np.concatenate(([True], chords[1:] != chords[:-1])))
        starts = onset[changes]
        stops = np.append(starts[1:], max(int(end.max()), int(starts[-1]) + 1))
        spans = [(int(a), int(b), token_chord(int(token)))
                 for a, b, token in zip(starts, stops, chords[changes], strict=True)]  # fmt: skip
        score.tracks.append(chord_note_track(spans))

    def chord_rows(self, chords: Sequence[Chord]) -> tuple[int, np.ndarray]:
        """Refused in one line: given chords for a new piece need a grid model."""
        raise DataError(
            f"--chords writes a new piece over given chords with a grid model (lead_sheet, trio_chords); {self.id}'s "
            "notes carry their chords: give a song (--input-midi) to accompany, harmonize or write a melody for"
        )

    def transpose(self, windows: np.ndarray, semitones: np.ndarray) -> np.ndarray:
        """The notes as Octuple transposes them; each window's chords move with its notes (when the notes move)."""
        moved = super().transpose(windows, semitones)
        shifted = (moved[..., PITCH] != windows[..., PITCH]).any(axis=1) | (semitones == 0)
        chords = windows[..., CHORD].astype(np.int64)
        shift = np.where(shifted, semitones, 0).reshape(-1, 1)
        moved[..., CHORD] = np.where(chords < CHORD_VOCAB, transpose_chord_tokens(chords, shift), chords)
        return moved

    def region_mask(
        self, tokens: np.ndarray, *, start_bar: int | None, end_bar: int | None, tracks: Sequence[str]
    ) -> np.ndarray:
        """Rows of the named tracks in the bar range (every field); ``chords`` adds the chord field of every
        note in the range."""
        tokens = np.asarray(tokens)
        note_tracks = [name for name in tracks if name.lower() != CHORD_SLOT]
        mask = np.zeros(tokens.shape, dtype=bool)
        if note_tracks or not tracks:
            mask |= super().region_mask(tokens, start_bar=start_bar, end_bar=end_bar, tracks=note_tracks)
        if len(note_tracks) < len(tracks):
            every = super().region_mask(tokens, start_bar=start_bar, end_bar=end_bar, tracks=())
            mask[:, CHORD] |= every[:, CHORD]
        return mask

    def prepare_infill(
        self, window: np.ndarray, region: np.ndarray, end_bar: int | None, *, note_share: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Regenerated notes as Octuple prepares them; notes whose chord alone is asked for keep everything else."""
        region = np.asarray(region, dtype=bool)
        chord_only = region[:, CHORD] & ~region[:, : len(FIELDS)].any(axis=1)
        notes = region.copy()
        notes[chord_only] = False
        window, prepared = super().prepare_infill(window, notes, end_bar, note_share=note_share)
        prepared[chord_only, CHORD] = True
        return window, prepared

    def _slot(self, name: str) -> int:
        if name.lower() == CHORD_SLOT:
            raise DataError(f"{self.id}'s chords are a field of every note, not a track of notes to select alone")
        return super()._slot(name)
