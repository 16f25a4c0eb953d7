"""OctupleMIDI (MusicBERT) as an smdiff tokenizer: one token of eight fields per note.

Fields, in MusicBERT's order: bar, position, instrument, pitch, duration,
velocity, time signature, tempo. Each field has its own vocabulary whose last
real value is a padding token that never encodes a note; the absorbing mask is
one past it. The *instrument* field holds the track slot (melody, bridge,
piano), not the GM program: POP909's three tracks all use program 0, and a
program-keyed field (as in MidiTok) would merge them. Notes are ordered bar →
position → track → pitch. Windows hold ``bars`` bars with the bar field
relative to the window start and at most ``max_notes`` notes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import symusic

from smdiff.data.bars import tempo_map
from smdiff.data.cache import smallest_dtype
from smdiff.data.piece import Piece
from smdiff.data.tracks import check_track_map
from smdiff.errors import DataError
from smdiff.midi import MidiLike
from smdiff.tokenizer import Encoding, Tokenizer
from smdiff.tokens import TokenSpec
from smdiff_octuple import codes

FIELDS = ("bar", "position", "instrument", "pitch", "duration", "velocity", "time_signature", "tempo")
BAR, POSITION, INSTRUMENT, PITCH, DURATION, VELOCITY, TIME_SIGNATURE, TEMPO = range(8)
DECODE_TPQ = 480
POP909_TRACKS = {"melody": "name:MELODY", "bridge": "name:BRIDGE", "piano": "name:PIANO"}


class OctupleTokenizer(Tokenizer):
    """Octuple tokens for the notes of the selected track slots."""

    version = "1"

    def __init__(
        self,
        tokenizer_id: str,
        track_map: Mapping[str, str],
        *,
        bars: int,
        max_notes: int,
        time_signature: str | None = None,
    ) -> None:
        self.id = tokenizer_id
        self.slots = tuple(track_map)
        self.track_map = dict(track_map)
        self.bars = bars
        self.max_notes = max_notes
        self.time_signature = time_signature
        real = (bars, codes.MAX_POSITIONS_PER_BAR, len(self.slots), 128, codes.N_DURATIONS, codes.N_VELOCITIES,
                codes.N_TIME_SIGNATURES, codes.N_TEMPOS)  # fmt: skip
        self.pad_ids = real
        self._spec = TokenSpec(channels=FIELDS, vocab_sizes=tuple(n + 1 for n in real), pad_ids=real)

    @classmethod
    def from_config(cls, tokenizer_id: str, slots: Sequence[str], config: object) -> OctupleTokenizer:
        """Build from a ``DataConfig`` (``bars``, ``max_notes``, ``track_map``, ``time_signature``)."""
        defaults = {slot: POP909_TRACKS[slot] for slot in slots}
        track_map = {**defaults, **check_track_map(getattr(config, "track_map", {}), tuple(slots))}
        return cls(
            tokenizer_id,
            track_map,
            bars=getattr(config, "bars", 64),
            max_notes=getattr(config, "max_notes", 1024),
            time_signature=getattr(config, "time_signature", None),
        )

    @property
    def token_spec(self) -> TokenSpec:
        """Eight fields; the last real value of each is its padding token."""
        return self._spec

    @property
    def track_names(self) -> tuple[str, ...]:
        """Track slot names, indexed by the instrument field."""
        return self.slots

    def window_length(self, bars: int) -> int:
        """``max_notes`` rows, whatever the bar count."""
        return self.max_notes

    def piece_notes(self, midi: MidiLike, source: str | Path | None = None) -> tuple[np.ndarray, Counter[str]]:
        """All notes of the piece as sorted octuples ``[n, 8]`` with absolute bars, and the counts."""
        piece = Piece.read(midi, track_map=self.track_map, time_signature=self.time_signature, source=source)
        score = piece.score
        grid = piece.grid.split_long_bars(
            round(codes.MAX_POSITIONS_PER_BAR / codes.POSITIONS_PER_QUARTER / piece.grid.beat_unit)
        )
        counts: Counter[str] = Counter()
        parts = [(slot, piece.notes[name]) for slot, name in enumerate(self.slots) if name in piece.notes]
        if not parts:
            return np.zeros((0, 8), dtype=np.int64), counts
        time = np.concatenate([notes.time for _, notes in parts])
        end = np.concatenate([notes.end for _, notes in parts])
        slot = np.concatenate([np.full(len(notes.time), s) for s, notes in parts])
        pitch = np.concatenate([notes.pitch for _, notes in parts])
        velocity = np.concatenate([notes.velocity for _, notes in parts])
        counts["notes"] += len(pitch)

        per_quarter = codes.POSITIONS_PER_QUARTER * grid.beat_unit
        on = np.rint(grid.beat_position(time) * per_quarter).astype(np.int64)
        off = np.rint(grid.beat_position(end) * per_quarter).astype(np.int64)
        bar_starts = grid.downbeats * round(per_quarter)
        bar = np.searchsorted(bar_starts, on, side="right") - 1
        position = on - bar_starts[bar]
        duration, too_long = codes.duration_codes(off - on)
        counts["notes_duration_clipped"] += int(too_long.sum())

        beats, beat_index = np.unique(grid.beats_per_bar(), return_inverse=True)
        unit_denominator = round(4 / grid.beat_unit)
        signature_of = [
            codes.TIME_SIGNATURE_CODES[codes.reduce_time_signature(int(n), unit_denominator)] for n in beats
        ]
        bar_signature = np.asarray(signature_of)[beat_index]
        tempo_ticks, tempo_qpm = tempo_map(score)
        # The tempo at the quantised onset, so notes sharing a position share a tempo (decodable exactly).
        onset_ticks = np.interp(on / per_quarter, np.arange(len(grid.beat_ticks)), grid.beat_ticks)
        tempo, outside = codes.tempo_codes(tempo_qpm[np.searchsorted(tempo_ticks, onset_ticks, side="right") - 1])
        counts["notes_tempo_clipped"] += int(outside.sum())
        counts["tempo_changes"] += len(tempo_ticks) - 1

        octuples = np.stack(
            [bar, position, slot, pitch, duration, velocity // codes.VELOCITY_STEP, bar_signature[bar], tempo], axis=1
        )
        order = np.lexsort((octuples[:, PITCH], octuples[:, INSTRUMENT], octuples[:, POSITION], octuples[:, BAR]))
        return octuples[order], counts

    def encode(
        self, midi: MidiLike, *, bars: int, max_windows: int | None = None, source: str | Path | None = None
    ) -> Encoding:
        """Windows of ``bars`` bars starting on any bar with a note, padded or cut to ``max_notes`` rows."""
        if bars != self.bars:
            raise DataError(f"{self.id} was built for {self.bars}-bar windows (its bar vocabulary), not {bars}")
        notes, counts = self.piece_notes(midi, source)
        n_bars = int(notes[-1, BAR]) + 1 if len(notes) else 0
        first_row = np.searchsorted(notes[:, BAR], np.arange(n_bars + 1))
        candidates = np.arange(max(n_bars - bars + 1, 1 if n_bars else 0))
        starts = candidates[first_row[np.minimum(candidates + bars, n_bars)] > first_row[candidates]]
        if max_windows is not None and len(starts) > max_windows:
            starts = starts[np.linspace(0, len(starts) - 1, max_windows).round().astype(np.int64)]
        windows = np.empty((len(starts), self.max_notes, len(FIELDS)), dtype=smallest_dtype(self._spec))
        windows[:] = self.pad_ids
        for row, start in enumerate(starts):
            chunk = notes[first_row[start] : first_row[min(start + bars, n_bars)]]
            counts["notes_past_max_notes"] += max(len(chunk) - self.max_notes, 0)
            chunk = chunk[: self.max_notes] - np.eye(1, len(FIELDS), BAR, dtype=np.int64) * start
            windows[row, : len(chunk)] = chunk
        return Encoding(windows=windows, start_bars=starts.astype(np.int64), counts=counts)

    def note_rows(self, tokens: np.ndarray) -> np.ndarray:
        """The non-padding rows of a window; a masked, out-of-range or half-padded row is a :class:`DataError`."""
        return self._valid_rows(tokens).astype(np.int64)

    def _valid_rows(self, tokens: np.ndarray) -> np.ndarray:
        """:meth:`note_rows` in the window's own integer type."""
        tokens = np.asarray(tokens)
        if tokens.ndim != 2 or tokens.shape[1] != len(FIELDS):
            raise DataError(f"expected tokens shaped [notes, 8] for {self.id}, got {list(tokens.shape)}")
        fits = tokens.dtype.kind in "iu" and np.iinfo(tokens.dtype).max > max(self.pad_ids)
        tokens = np.ascontiguousarray(tokens if fits else tokens.astype(np.int64))
        pads = np.asarray(self.pad_ids).astype(tokens.dtype)
        # Padding rows found by comparing each row's bytes as 64-bit words with the padding row's; only
        # the note rows are then range-checked, in the window's own (usually 16-bit) integer type.
        words, pad_words = tokens.view(np.uint64), pads.view(np.uint64)
        pad_row = words[:, 0] == pad_words[0]
        for column in range(1, len(pad_words)):
            pad_row &= words[:, column] == pad_words[column]
        rows = tokens[~pad_row]
        # A note field must lie in 0..pad-1: read as unsigned, negatives become huge, so one comparison checks all.
        unsigned = np.dtype(f"u{tokens.itemsize}")
        if (rows.view(unsigned) >= pads.astype(unsigned)).any():
            is_pad = tokens == pads
            bad = (tokens > pads) | (tokens < 0) | (is_pad & ~is_pad.all(axis=1, keepdims=True))
            self._reject(tokens.astype(np.int64), bad)
        return rows

    def _reject(self, tokens: np.ndarray, bad: np.ndarray) -> None:
        """Raise the :class:`DataError` naming the first bad field of a window."""
        pads = np.asarray(self.pad_ids)
        positions = np.argwhere(bad)
        row, field = (int(v) for v in positions[0])
        value = int(tokens[row, field])
        what = "the mask" if value == pads[field] + 1 else ("padding in a note" if value == pads[field] else "invalid")
        raise DataError(
            f"{what} token {value} at note {row}, field {FIELDS[field]} (valid: 0..{pads[field] - 1})"
            f"{f'; {len(positions)} bad fields in all' if len(positions) > 1 else ''}"
        )

    def decode(self, tokens: np.ndarray) -> symusic.Score:
        """Named tracks at 480 ticks per quarter with time signatures, tempi and velocities restored."""
        bar, position, instrument, pitch, duration, velocity, signature_code, tempo = np.ascontiguousarray(
            self._valid_rows(tokens).T, dtype=np.int64
        )
        score = symusic.Score(DECODE_TPQ)
        ticks_per_position = DECODE_TPQ // codes.POSITIONS_PER_QUARTER
        n_bars = int(bar.max()) + 1 if len(bar) else 1
        signature = np.full(n_bars, codes.TIME_SIGNATURE_CODES[(4, 4)])
        signature[bar] = signature_code  # one signature per bar: the last note's wins
        numerators, denominators = codes.SIGNATURE_NUMERATORS[signature], codes.SIGNATURE_DENOMINATORS[signature]
        bar_start = np.zeros(n_bars + 1, dtype=np.int64)
        np.cumsum(numerators * codes.POSITIONS_PER_QUARTER * 4 // denominators, out=bar_start[1:])
        changes = np.flatnonzero(np.concatenate(([True], signature[1:] != signature[:-1])))
        score.time_signatures = symusic.TimeSignature.from_numpy(
            time=(bar_start[changes] * ticks_per_position).astype(np.int32),
            numerator=numerators[changes].astype(np.uint8),
            denominator=denominators[changes].astype(np.uint8),
        )
        onset = (bar_start[bar] + position) * ticks_per_position
        if len(bar):
            tempo_rows = np.flatnonzero(np.concatenate(([True], tempo[1:] != tempo[:-1])))
            times = onset[tempo_rows].astype(np.int32)
            times[0] = 0  # the first tempo holds from tick 0
            qpm = codes.tempo_qpm(tempo[tempo_rows])
            score.tempos = symusic.Tempo.from_numpy(time=times, mspq=(60_000_000 / qpm).astype(np.int32))
        # All notes' fields at once, grouped by track with one stable sort (notes keep their order in a track).
        order = np.argsort(instrument, kind="stable")
        bounds = np.searchsorted(instrument[order], np.arange(len(self.slots) + 1))
        time = onset[order].astype(np.int32)
        duration = np.maximum(codes.DURATION_DECODE[duration[order]] * ticks_per_position, 1).astype(np.int32)
        pitch = pitch[order].astype(np.int8)
        velocity = (velocity[order] * codes.VELOCITY_STEP + codes.VELOCITY_STEP // 2).astype(np.int8)
        for slot, name in enumerate(self.slots):
            notes = slice(bounds[slot], bounds[slot + 1])
            track = symusic.Track(name=name.upper(), program=0, is_drum=False)
            track.notes = symusic.Note.from_numpy(
                time=time[notes], duration=duration[notes], pitch=pitch[notes], velocity=velocity[notes]
            )
            score.tracks.append(track)
        return score

    def repair(self, tokens: np.ndarray) -> tuple[np.ndarray, int]:
        """Turn half-padded sampled notes into padding and sort notes bar → position → track → pitch."""
        tokens = np.asarray(tokens, dtype=np.int64).copy()
        pads = np.asarray(self.pad_ids)
        is_pad = tokens == pads
        broken = is_pad.any(axis=1) & ~is_pad.all(axis=1)
        tokens[broken] = pads
        order = np.lexsort((tokens[:, PITCH], tokens[:, INSTRUMENT], tokens[:, POSITION], tokens[:, BAR]))
        return tokens[order], int(broken.sum())

    def transpose(self, windows: np.ndarray, semitones: np.ndarray) -> np.ndarray:
        """Shift the pitch field of every note row; windows that would leave 0..127 stay as they are."""
        windows = windows.copy()
        pitch = windows[..., PITCH].astype(np.int64)
        is_note = pitch != self.pad_ids[PITCH]
        shifted = np.where(is_note, pitch + semitones.reshape(-1, 1), pitch)
        fits = ~(is_note & ((shifted < 0) | (shifted > 127))).any(axis=1)
        windows[..., PITCH] = np.where(fits[:, None], shifted, pitch)
        return windows

    def region_mask(
        self, tokens: np.ndarray, *, start_bar: int | None, end_bar: int | None, tracks: Sequence[str]
    ) -> np.ndarray:
        """All fields of the notes (rows) that lie in the bar range and belong to the named tracks."""
        tokens = np.asarray(tokens)
        bar = tokens[:, BAR]
        rows = bar != self.pad_ids[BAR]
        if start_bar is not None:
            rows &= bar >= start_bar
        if end_bar is not None:
            rows &= bar < end_bar
        if tracks:
            rows &= np.isin(tokens[:, INSTRUMENT], [self._slot(name) for name in tracks])
        return np.repeat(rows[:, None], len(FIELDS), axis=1)

    def _slot(self, name: str) -> int:
        lowered = [slot.lower() for slot in self.slots]
        if name.lower() not in lowered:
            raise DataError(f"{self.id} has no track '{name}'; its tracks are {', '.join(self.slots)}")
        return lowered.index(name.lower())
