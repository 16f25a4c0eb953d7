"""OctupleMIDI (MusicBERT) as an smdiff tokenizer: one token of eight fields per note.

Fields, in MusicBERT's order: bar, position, instrument, pitch, duration,
velocity, time signature, tempo. Each field has its own vocabulary whose last
real value is a padding token that never encodes a note; the absorbing mask is
one past it. The *instrument* field holds the track slot: for the trios the
role (melody, bridge, piano) — POP909's three tracks all use program 0, and a
program-keyed field would merge them — and for ``octuple``, MusicBERT's form,
the General MIDI program of any number of tracks (129 slots: programs 0–127 and
the drums; :data:`smdiff_octuple.instruments.INSTRUMENT_SLOTS`). Notes are ordered bar →
position → track → pitch. Windows hold ``bars`` bars with the bar field
relative to the window start and at most ``max_notes`` notes.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import symusic

from smdiff import (
    BarGrid,
    DataError,
    Encoding,
    Piece,
    PieceBatch,
    PieceTokenizer,
    TokenSpec,
    check_track_map,
    empty_score,
    note_track,
    offsets_of,
    padding_windows,
    ragged_arange,
    segment_diffs,
    segment_ids,
    set_tempos,
    set_time_signatures,
    spread_indices,
)
from smdiff_octuple import codes
from smdiff_octuple.instruments import slot_instrument

FIELDS = ("bar", "position", "instrument", "pitch", "duration", "velocity", "time_signature", "tempo")
BAR, POSITION, INSTRUMENT, PITCH, DURATION, VELOCITY, TIME_SIGNATURE, TEMPO = range(8)
#: the fields an infilling generates; bar, track, time signature and tempo stay the input's
GENERATED_FIELDS = [POSITION, PITCH, DURATION, VELOCITY]
DECODE_TPQ = 480


def _positions(beats: np.ndarray, per_beat: float | np.ndarray) -> np.ndarray:
    """Fractional beats → whole positions (``per_beat`` to a beat), rounded half to even."""
    beats *= per_beat
    return np.rint(beats, out=beats).astype(np.int64)


@functools.cache
def _largest(dtype: np.dtype) -> int:
    """The largest value of an integer dtype."""
    return int(np.iinfo(dtype).max)


def _max_beats(grid: BarGrid) -> int:
    """Beats of the grid's beat unit that fill a bar of ``MAX_POSITIONS_PER_BAR`` positions."""
    return round(codes.MAX_POSITIONS_PER_BAR / codes.POSITIONS_PER_QUARTER / grid.beat_unit)


def _note_order(piece: np.ndarray, onset: np.ndarray, slot: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """Stable order piece → onset → track → pitch (onset order is bar → position order)."""
    keys = (piece, onset, slot, pitch)
    if len(piece) == 0:
        return np.zeros(0, dtype=np.int64)
    sizes = [int(key.max()) + 1 for key in keys]
    if min(int(key.min()) for key in keys) < 0 or math.prod(sizes) >= 2**63:
        return np.lexsort(keys[::-1])
    packed = piece * sizes[1]
    for key, size in zip(keys[1:], [*sizes[2:], 1], strict=True):
        packed += key
        packed *= size
    return np.argsort(packed, kind="stable")


def _bar_signatures(batch: PieceBatch) -> np.ndarray:
    """Time signature code of every bar of the batch: its beats over the grid's beat unit, reduced to fit."""
    beats = batch.beats_per_bar()
    bar_piece = np.repeat(np.arange(batch.n_pieces), batch.n_bars)
    denominator = np.rint(4 / batch.beat_unit).astype(np.int64)[bar_piece]
    pairs = (beats << 16) | denominator
    small = len(pairs) and beats.max() < 2**8 and denominator.max() < 2**8
    # Few distinct (beats, denominator) pairs: found by a small histogram when they are small numbers.
    distinct = np.flatnonzero(np.bincount((beats << 8) | denominator)) if small else np.unique(pairs)
    if small:
        distinct = ((distinct >> 8) << 16) | (distinct & 0xFF)
    codes_of = np.array(
        [codes.TIME_SIGNATURE_CODES[codes.reduce_time_signature(int(p) >> 16, int(p) & 0xFFFF)] for p in distinct],
        dtype=np.int64,
    )
    return codes_of[np.searchsorted(distinct, pairs)]


class OctupleTokenizer(PieceTokenizer):
    """Octuple tokens for the notes of the selected track slots."""

    def __init__(
        self,
        tokenizer_id: str,
        slots: Sequence[str],
        track_map: Mapping[str, str] | None = None,
        *,
        bars: int,
        max_notes: int,
        time_signature: str | None = None,
        normalise_key: bool = False,
    ) -> None:
        self.id = tokenizer_id
        self.slots = tuple(slots)
        self.track_map = dict(track_map or {})  # the user's selectors; other slots are filled automatically
        self.bars = bars
        self.max_notes = max_notes
        self.time_signature = time_signature
        self.normalise_key = normalise_key
        real = (bars, codes.MAX_POSITIONS_PER_BAR, len(self.slots), 128, codes.N_DURATIONS, codes.N_VELOCITIES,
                codes.N_TIME_SIGNATURES, codes.N_TEMPOS)  # fmt: skip
        #: the eight note fields' spec: what :meth:`encode_batch` writes (a subclass may add fields after them)
        self.note_spec = TokenSpec(channels=FIELDS, vocab_sizes=tuple(n + 1 for n in real), pad_ids=real)
        self.fields: tuple[str, ...] = FIELDS
        #: the fields an infilling generates for each regenerated note
        self.generated_fields: list[int] = list(GENERATED_FIELDS)
        self.pad_ids: tuple[int, ...] = real
        self._spec = self.note_spec

    @classmethod
    def from_config(cls, tokenizer_id: str, slots: Sequence[str], config: object) -> OctupleTokenizer:
        """Build from a ``DataConfig`` (``bars``, ``max_notes``, ``track_map``, ``time_signature``, ``normalise_key``)."""
        return cls(
            tokenizer_id,
            slots,
            check_track_map(getattr(config, "track_map", {}), tuple(slots)),
            bars=getattr(config, "bars", 64),
            max_notes=getattr(config, "max_notes", 1024),
            time_signature=getattr(config, "time_signature", None),
            normalise_key=getattr(config, "normalise_key", False),
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

    def bar_grids(self, pieces: Sequence[Piece]) -> list[BarGrid]:
        """The pieces' bars, with bars too long for the position field split (MusicBERT's rule)."""
        grids = [piece.grid for piece in pieces]
        if not grids:
            return grids
        # Beats that fit in a bar of MAX_POSITIONS_PER_BAR positions, per piece; one check for the batch.
        limits = np.array([_max_beats(grid) for grid in grids])
        bars = np.array([len(grid.downbeats) - 1 for grid in grids])
        beats = segment_diffs(np.concatenate([grid.downbeats for grid in grids]), offsets_of(bars + 1))
        too_long = beats > np.repeat(limits, bars)
        for index in np.unique(np.repeat(np.arange(len(grids)), bars)[too_long]).tolist():
            grids[index] = grids[index].split_long_bars(int(limits[index]))
        return grids

    def encode_batch(self, batch: PieceBatch, *, bars: int, max_windows: int | None) -> list[Encoding]:
        """Windows of ``bars`` bars starting on any bar with a note, padded or cut to ``max_notes`` rows."""
        if bars != self.bars:
            raise DataError(f"{self.id} was built for {self.bars}-bar windows (its bar vocabulary), not {bars}")
        notes, counts = self._octuples(batch)
        return self._windows(notes, batch, counts, bars, max_windows)

    def _octuples(self, batch: PieceBatch) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Every note of the batch as an octuple ``[n, 8]`` with bars counted from each piece's start.

        Rows are sorted piece → bar → position → track → pitch (so pieces keep
        their rows of the batch); the counts are per piece.
        """
        piece = batch.note_piece
        per_quarter = codes.POSITIONS_PER_QUARTER * batch.beat_unit
        uniform = len(per_quarter) and (per_quarter == per_quarter[0]).all()
        note_per_quarter = per_quarter[0] if uniform else per_quarter[piece]
        on, off = (_positions(beats, note_per_quarter) for beats in batch.beat_position(batch.time, batch.end))
        order = _note_order(piece, on, batch.note_slot, batch.pitch)
        on, off = on[order], off[order]

        # A note's bar is the bar of the beat its (whole) position falls in.
        per_beat = np.rint(per_quarter).astype(np.int64)
        beat = on // (per_beat[0] if uniform else per_beat[piece])
        note_counts = np.diff(batch.note_offsets)
        bar = batch.bar_of_beat()[np.repeat(batch.beat_offsets[:-1], note_counts) + beat]
        bar_row = np.repeat(batch.downbeat_offsets[:-1], note_counts) + bar
        bar_starts = batch.downbeats * per_beat[segment_ids(batch.downbeat_offsets)]
        duration, too_long = codes.duration_codes(off - on)
        # The tempo at the quantised onset, so notes sharing a position share a tempo (decodable exactly).
        tempo_row = batch.tempo_rows(on, per_quarter)
        tempo_codes, tempo_outside = codes.tempo_codes(batch.tempo_qpm)

        wide = len(bar) and (int(bar.max()) >= 2**15 or int(bar.min()) < -(2**15))
        octuples = np.empty((len(on), len(FIELDS)), dtype=np.int32 if wide else np.int16)
        octuples[:, BAR] = bar
        octuples[:, POSITION] = on - bar_starts[bar_row]
        octuples[:, INSTRUMENT] = batch.note_slot[order]
        octuples[:, PITCH] = batch.pitch[order]
        octuples[:, DURATION] = duration
        octuples[:, VELOCITY] = batch.velocity[order] // codes.VELOCITY_STEP
        octuples[:, TIME_SIGNATURE] = _bar_signatures(batch)[bar_row - piece]
        octuples[:, TEMPO] = tempo_codes[tempo_row]
        n_pieces = batch.n_pieces
        counts = {
            "notes": np.diff(batch.note_offsets),
            "notes_duration_clipped": np.bincount(piece[too_long], minlength=n_pieces),
            "notes_tempo_clipped": np.bincount(piece[tempo_outside[tempo_row]], minlength=n_pieces),
            "tempo_changes": np.diff(batch.tempo_offsets) - 1,
        }
        return octuples, counts

    def _windows(
        self,
        notes: np.ndarray,
        batch: PieceBatch,
        counts: dict[str, np.ndarray],
        bars: int,
        max_windows: int | None,
    ) -> list[Encoding]:
        """Cut each piece's sorted notes into windows starting on bars with a note, relative bar numbers."""
        n_pieces, note_offsets = batch.n_pieces, batch.note_offsets
        has_notes = np.diff(note_offsets) > 0
        n_bars = np.where(has_notes, notes[np.maximum(note_offsets[1:] - 1, 0), BAR] + 1, 0)
        # first_row[bar_offsets[p] + b]: the first row of piece p's bar b (b = 0..n_bars[p]).
        bar_offsets = offsets_of(n_bars + 1)
        per_bar = np.bincount(bar_offsets[batch.note_piece] + notes[:, BAR], minlength=int(bar_offsets[-1]))
        first_row = np.concatenate([[0], np.cumsum(per_bar)])

        n_candidates = np.maximum(n_bars - bars + 1, has_notes.astype(np.int64))
        candidate = ragged_arange(n_candidates)
        candidate_piece = np.repeat(np.arange(n_pieces), n_candidates)
        closing = np.minimum(candidate + bars, n_bars[candidate_piece])
        base = bar_offsets[candidate_piece]
        occupied = first_row[base + closing] > first_row[base + candidate]
        candidate, candidate_piece = candidate[occupied], candidate_piece[occupied]
        kept = np.bincount(candidate_piece, minlength=n_pieces)
        local, picked = spread_indices(kept, max_windows)
        chosen = offsets_of(kept)[np.repeat(np.arange(n_pieces), picked)] + local
        start, window_piece = candidate[chosen], candidate_piece[chosen]

        base = bar_offsets[window_piece]
        first = first_row[base + start]
        length = first_row[base + np.minimum(start + bars, n_bars[window_piece])] - first
        past = np.maximum(length - self.max_notes, 0)
        rows = np.minimum(length, self.max_notes)
        windows = padding_windows(len(start), self.max_notes, self.note_spec)
        # A window's notes are one contiguous run of rows: block copies beat a scatter of every field.
        # The bar field is rewritten relative to the window (the absolute bar may not fit the window's type).
        cells, absolute_bar = notes.astype(windows.dtype), notes[:, BAR]
        for window, (row, count, bar) in enumerate(zip(first.tolist(), rows.tolist(), start.tolist(), strict=True)):
            windows[window, :count] = cells[row : row + count]
            windows[window, :count, BAR] = absolute_bar[row : row + count] - bar
        counts = {
            **counts,
            "notes_in_windows": np.bincount(window_piece, weights=length, minlength=n_pieces),
            "notes_past_max_notes": np.bincount(window_piece, weights=past, minlength=n_pieces),
        }
        bounds = offsets_of(picked).tolist()
        names, columns = list(counts), zip(*(np.asarray(values, dtype=np.int64).tolist() for values in counts.values()))
        return [
            Encoding(windows[a:b], start[a:b], Counter(dict(zip(names, column, strict=True))))
            for a, b, column in zip(bounds[:-1], bounds[1:], columns, strict=True)
        ]

    def note_rows(self, tokens: np.ndarray) -> np.ndarray:
        """The non-padding rows of a window; a masked, out-of-range or half-padded row is a :class:`DataError`."""
        return self._valid_rows(tokens).astype(np.int64)

    def _valid_rows(self, tokens: np.ndarray) -> np.ndarray:
        """:meth:`note_rows` in the window's own integer type."""
        tokens = np.asarray(tokens)
        if tokens.ndim != 2 or tokens.shape[1] != len(self.fields):
            raise DataError(
                f"expected tokens shaped [notes, {len(self.fields)}] for {self.id}, got {list(tokens.shape)}"
            )
        fits = tokens.dtype.kind in "iu" and _largest(tokens.dtype) > max(self.pad_ids)
        tokens = np.ascontiguousarray(tokens if fits else tokens.astype(np.int64))
        pads = np.asarray(self.pad_ids).astype(tokens.dtype)
        # Padding rows found by comparing each row's bytes as 64-bit words with the padding row's; only
        # the note rows are then range-checked, in the window's own (usually 8- or 16-bit) integer type.
        if (tokens.itemsize * len(self.fields)) % 8:  # rows that are not whole 64-bit words (nine fields)
            pad_row = (tokens == pads).all(axis=1)
        else:
            words, pad_words = tokens.view(np.uint64), pads.view(np.uint64)
            pad_row = words[:, 0] == pad_words[0]
            for column in range(1, len(pad_words)):
                pad_row &= words[:, column] == pad_words[column]
        # Rows are gathered as whole byte records, not field by field.
        record = np.dtype((np.void, tokens.itemsize * len(self.fields)))
        rows = tokens.view(record).reshape(-1)[~pad_row].view(tokens.dtype).reshape(-1, len(self.fields))
        # A note field must lie in 0..pad-1: read as unsigned, negatives become huge, so each field's maximum
        # is one comparison.
        unsigned = np.dtype(f"u{tokens.itemsize}")
        if len(rows) and (rows.view(unsigned).max(axis=0) >= pads.astype(unsigned)).any():
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
            f"{what} token {value} at note {row}, field {self.fields[field]} (valid: 0..{pads[field] - 1})"
            f"{f'; {len(positions)} bad fields in all' if len(positions) > 1 else ''}"
        )

    def decode(self, tokens: np.ndarray) -> symusic.Score:
        """Named tracks at 480 ticks per quarter with time signatures, tempi and velocities restored."""
        rows = self._valid_rows(tokens)
        bar, position, instrument, pitch, duration, velocity, signature_code, tempo = np.ascontiguousarray(
            rows[:, : len(FIELDS)].T, dtype=np.int64
        )
        score = empty_score(DECODE_TPQ)
        ticks_per_position = DECODE_TPQ // codes.POSITIONS_PER_QUARTER
        n_bars = int(bar.max()) + 1 if len(bar) else 1
        signature = np.full(n_bars, codes.TIME_SIGNATURE_CODES[(4, 4)])
        signature[bar] = signature_code  # one signature per bar: the last note's wins
        numerators, denominators = codes.SIGNATURE_NUMERATORS[signature], codes.SIGNATURE_DENOMINATORS[signature]
        bar_start = np.zeros(n_bars + 1, dtype=np.int64)
        np.cumsum(numerators * codes.POSITIONS_PER_QUARTER * 4 // denominators, out=bar_start[1:])
        changes = np.flatnonzero(np.concatenate(([True], signature[1:] != signature[:-1])))
        set_time_signatures(
            score,
            (bar_start[changes] * ticks_per_position).astype(np.int32),
            numerators[changes].astype(np.uint8),
            denominators[changes].astype(np.uint8),
        )
        onset = (bar_start[bar] + position) * ticks_per_position
        if len(bar):
            tempo_rows = np.flatnonzero(np.concatenate(([True], tempo[1:] != tempo[:-1])))
            times = onset[tempo_rows].astype(np.int32)
            times[0] = 0  # the first tempo holds from tick 0
            qpm = codes.tempo_qpm(tempo[tempo_rows])
            set_tempos(score, times, (60_000_000 / qpm).astype(np.int32))
        # All notes' fields at once, grouped by track with one stable sort (notes keep their order in a track).
        order = np.argsort(instrument.astype(np.int16), kind="stable")  # a radix sort for small integers
        bounds = np.searchsorted(instrument[order], np.arange(len(self.slots) + 1))
        time = onset[order].astype(np.int32)
        duration = np.maximum(codes.DURATION_DECODE[duration[order]] * ticks_per_position, 1).astype(np.int32)
        pitch = pitch[order].astype(np.int8)
        velocity = (velocity[order] * codes.VELOCITY_STEP + codes.VELOCITY_STEP // 2).astype(np.int8)
        for slot, name in enumerate(self.slots):
            notes = slice(bounds[slot], bounds[slot + 1])
            program, is_drum = slot_instrument(name)
            score.tracks.append(
                note_track(
                    name.upper(),
                    time[notes],
                    duration[notes],
                    pitch[notes],
                    velocity[notes],
                    program=program,
                    is_drum=is_drum,
                )
            )
        ends = onset + codes.DURATION_DECODE[np.minimum(rows[:, DURATION], codes.N_DURATIONS - 1)] * ticks_per_position
        self.decode_extra(score, rows.astype(np.int64), onset.astype(np.int64), ends.astype(np.int64))
        return score

    def decode_extra(self, score: symusic.Score, rows: np.ndarray, onset: np.ndarray, end: np.ndarray) -> None:
        """Add what fields past the eighth hold to a decoded ``score`` (``rows`` are the notes, ``onset`` and ``end``
        their ticks); nothing for plain Octuple."""

    def repair(self, tokens: np.ndarray) -> tuple[np.ndarray, int]:
        """Turn half-padded sampled notes into padding and sort notes bar → position → track → pitch."""
        tokens = np.asarray(tokens, dtype=np.int64).copy()
        pads = np.asarray(self.pad_ids)
        is_pad = tokens == pads
        broken = is_pad.any(axis=1) & ~is_pad.all(axis=1)
        tokens[broken] = pads
        order = np.lexsort((tokens[:, PITCH], tokens[:, INSTRUMENT], tokens[:, POSITION], tokens[:, BAR]))
        return tokens[order], int(broken.sum())

    def prepare_infill(
        self, window: np.ndarray, region: np.ndarray, end_bar: int | None, *, note_share: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Generate only position, pitch, duration and velocity of the gap's notes; keep bar, track, metre and tempo.

        Each of the gap's rows stays a note of the same track in the same bar
        as the input's, so the gap has the input's number of notes per track and
        bar, the bar structure (time signatures, tempo) is the input's, and no
        generated note can land in a bar outside the gap. A note that sounds
        across the gap's end belongs to what follows the gap and is kept whole.
        ``note_share`` other than 1 drops gap notes evenly, or adds notes in
        free (padding) rows copying the bar and track of gap notes spread over
        the gap, as far as the window has room.
        """
        window = np.asarray(window, dtype=np.int64).copy()
        rows = np.asarray(region).any(axis=1)
        if end_bar is not None and rows.any():
            bar_start = np.concatenate(([0], np.cumsum(self._bar_lengths(window))))
            onset = bar_start[np.minimum(window[:, BAR], self.bars)] + window[:, POSITION]
            ends = onset + codes.DURATION_DECODE[np.minimum(window[:, DURATION], codes.N_DURATIONS - 1)]
            rows &= ends <= bar_start[min(end_bar, self.bars)]
        gap = np.flatnonzero(rows)
        target = round(len(gap) * note_share)
        if len(gap) and target < len(gap):
            dropped = gap[np.unique(np.linspace(0, len(gap) - 1, len(gap) - target).round().astype(np.int64))]
            window[dropped], rows[dropped] = self.pad_ids, False
        elif len(gap) and target > len(gap):
            free = np.flatnonzero(window[:, BAR] == self.pad_ids[BAR])[: target - len(gap)]
            window[free] = window[gap[np.linspace(0, len(gap) - 1, len(free)).round().astype(np.int64)]]
            rows[free] = True
        kept = np.zeros_like(region, dtype=bool)
        kept[np.ix_(rows, self.generated_fields)] = True
        return window, kept

    def copy_bars(
        self, window: np.ndarray, region: np.ndarray, source: tuple[int, int], gap: tuple[int, int],
        tracks: Sequence[str], *, keep: float, rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """The notes of ``tracks`` in bars ``gap`` replaced by those of bars ``source``, moved by whole bars.

        Copied notes keep their track, position, pitch, duration and velocity,
        take the gap bar's time signature and tempo, stay inside their bar, and
        end by the gap's end. A share ``1 − keep`` of them (chosen with ``rng``)
        has position, pitch, duration and velocity regenerated: the returned region.
        """
        window = np.asarray(window, dtype=np.int64).copy()
        pads = np.asarray(self.pad_ids)
        slots = [self._slot(name) for name in tracks] or list(range(len(self.slots)))
        notes = window[:, BAR] != pads[BAR]
        of_tracks = notes & np.isin(window[:, INSTRUMENT], slots)
        in_gap = of_tracks & (window[:, BAR] >= gap[0]) & (window[:, BAR] < gap[1])
        copies = window[of_tracks & (window[:, BAR] >= source[0]) & (window[:, BAR] < source[1])].copy()
        copies[:, BAR] += gap[0] - source[0]
        bar_length = self._bar_lengths(window)
        for bar in np.unique(copies[:, BAR]):  # the gap's bar structure stays the input's
            here = notes & (window[:, BAR] == bar)
            if here.any():
                copies[copies[:, BAR] == bar, TIME_SIGNATURE] = window[here, TIME_SIGNATURE][0]
                copies[copies[:, BAR] == bar, TEMPO] = window[here, TEMPO][0]
        copies[:, POSITION] = np.minimum(copies[:, POSITION], bar_length[copies[:, BAR]] - 1)
        kept = window[notes & ~in_gap]
        if len(kept) + len(copies) > len(window):
            raise DataError(
                f"bars {gap[0]}-{gap[1]} of the window would hold {len(copies)} copied notes and the window has room "
                f"for {len(window) - len(kept)}: choose fewer bars, or a model with a larger data.max_notes"
            )
        rows = np.concatenate([kept, copies])
        copied = np.concatenate([np.zeros(len(kept), dtype=bool), np.ones(len(copies), dtype=bool)])
        order = np.lexsort((rows[:, PITCH], rows[:, INSTRUMENT], rows[:, POSITION], rows[:, BAR]))
        rows, copied = rows[order], copied[order]
        copied_rows = np.flatnonzero(copied)
        self.clamp_durations(rows, copied_rows, gap[1], bar_length)
        varied = copied_rows[rng.random(len(copied_rows)) >= keep] if keep < 1 else copied_rows[:0]
        out = np.broadcast_to(pads, window.shape).copy()
        out[: len(rows)] = rows
        new_region = np.zeros_like(region, dtype=bool)
        new_region[np.ix_(varied, self.generated_fields)] = True
        return out, new_region

    def clamp_durations(self, tokens: np.ndarray, rows: np.ndarray, end_bar: int, bar_length: np.ndarray) -> None:
        """Cut the durations of ``rows`` (in place) to the longest code that ends by bar ``end_bar``."""
        bar_start = np.concatenate(([0], np.cumsum(bar_length)))
        room = np.maximum(
            bar_start[min(end_bar, len(bar_length))] - (bar_start[tokens[rows, BAR]] + tokens[rows, POSITION]), 1
        )
        longest = np.searchsorted(codes.DURATION_DECODE, room, side="right") - 1
        tokens[rows, DURATION] = np.minimum(tokens[rows, DURATION], np.maximum(longest, 0))

    def finish_infill(
        self, tokens: np.ndarray, window: np.ndarray, region: np.ndarray, end_bar: int | None
    ) -> np.ndarray:
        """Keep every generated note inside its bar and ending by ``end_bar``; padding drawn in a field is refilled.

        A position past its bar's length moves to the bar's last position; a
        duration reaching past the gap's end takes the longest code that ends
        by it; a field sampled as padding gets the input's value back.
        """
        tokens = np.asarray(tokens, dtype=np.int64).copy()
        window = np.asarray(window, dtype=np.int64)
        rows = np.flatnonzero(region.any(axis=1))
        if not len(rows):
            return tokens
        pads = np.asarray(self.pad_ids)
        padded = (tokens[rows] >= pads) & region[rows]
        tokens[rows] = np.where(padded, window[rows], tokens[rows])
        bar_length = self._bar_lengths(window)
        tokens[rows, POSITION] = np.minimum(tokens[rows, POSITION], bar_length[tokens[rows, BAR]] - 1)
        if end_bar is not None:
            self.clamp_durations(tokens, rows, end_bar, bar_length)
        return tokens

    def _bar_lengths(self, window: np.ndarray) -> np.ndarray:
        """Positions in each bar of the window, from its notes' time signatures (4/4 where a bar has none, as decoding does)."""
        signature = np.full(self.bars, codes.TIME_SIGNATURE_CODES[(4, 4)])
        notes = window[:, BAR] != self.pad_ids[BAR]
        signature[window[notes, BAR]] = window[notes, TIME_SIGNATURE]
        return (
            codes.SIGNATURE_NUMERATORS[signature]
            * codes.POSITIONS_PER_QUARTER
            * 4
            // codes.SIGNATURE_DENOMINATORS[signature]
        )

    def pitch_tokens(self) -> dict[int, np.ndarray]:
        """The pitch field: token ``p`` is MIDI pitch ``p``; its padding id is no pitch."""
        size = self.token_spec.vocab_sizes[PITCH]
        return {PITCH: np.where(np.arange(size) == self.pad_ids[PITCH], -1, np.arange(size))}

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
        return np.repeat(rows[:, None], len(self.fields), axis=1)

    def _slot(self, name: str) -> int:
        lowered = [slot.lower() for slot in self.slots]
        if name.lower() not in lowered:
            raise DataError(f"{self.id} has no track '{name}'; its tracks are {', '.join(self.slots)}")
        return lowered.index(name.lower())
