"""Grid (one-hot) encodings in the style of MusicVAE and SCHmUBERT.

Sixteen steps per bar (four per quarter in 4/4); one channel per track. Per
channel and step: ``0`` = hold (nothing new happens), ``1`` = note-off (silence
starts), ``2..89`` = a note of MIDI pitch ``21..108`` starts. The absorbing
mask id is 90. A polyphonic track is reduced to its top line: at every step the
highest sounding note wins, and notes that never win are counted as dropped.
A drum channel instead holds which of nine drum classes are struck at each step
(:mod:`smdiff_onehot.drums`, 512 tokens), as in SCHmUBERT's melody/bass/drums trio.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import symusic

from smdiff import (
    DataError,
    Encoding,
    PieceBatch,
    PieceTokenizer,
    TokenSpec,
    check_track_map,
    empty_score,
    note_track,
    offsets_of,
    ragged_arange,
    set_tempos,
    set_time_signatures,
    smallest_dtype,
    spread_indices,
)
from smdiff_onehot.drums import DRUM_VOCAB, drum_classes, drum_hits, drum_tokens

STEPS_PER_BAR = 16
HOLD, NOTE_OFF, FIRST_PITCH_TOKEN = 0, 1, 2
MIN_PITCH, MAX_PITCH = 21, 108
VOCAB = FIRST_PITCH_TOKEN + MAX_PITCH - MIN_PITCH + 1  # 90
DECODE_TPQ = 480
DECODE_VELOCITY = 100
DECODE_QPM = 120.0


#: A step's key packs the sounding note's pitch above its onset step, so the max key is the top line's note.
_PITCH_SHIFT = 40


def _top_line(onsets: np.ndarray, offsets: np.ndarray, pitches: np.ndarray, n_steps: int) -> np.ndarray:
    """For each step, the key ``pitch << 40 | onset`` of the highest sounding note (``-1`` = silence).

    Onsets may be global steps of a batch; a higher pitch wins, then a later onset.
    """
    keys = np.full(n_steps, -1, dtype=np.int64)
    if len(onsets) == 0:
        return keys
    lengths = offsets - onsets
    steps = ragged_arange(lengths, start=onsets)  # every step each note sounds
    np.maximum.at(keys, steps, np.repeat((pitches.astype(np.int64) << _PITCH_SHIFT) | onsets, lengths))
    return keys


def _pitch_tokens(keys: np.ndarray) -> np.ndarray:
    return (keys >> _PITCH_SHIFT) - MIN_PITCH + FIRST_PITCH_TOKEN


def _distinct_onsets(keys: np.ndarray) -> np.ndarray:
    """Onset step of each distinct note among ``keys`` (in step order, so an onset-major key is nearly sorted)."""
    onset = keys & ((1 << _PITCH_SHIFT) - 1)
    ordered = np.sort((onset << 7) | (keys >> _PITCH_SHIFT), kind="stable")
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return ordered[first] >> 7


def _tokens_from_keys(keys: np.ndarray, step_offsets: np.ndarray) -> np.ndarray:
    """Grid tokens of one channel's keys; each piece (from ``step_offsets``) starts after silence."""
    previous = np.empty_like(keys)
    previous[1:] = keys[:-1]
    previous[step_offsets[:-1]] = -1
    tokens = np.where((keys >= 0) & (keys != previous), _pitch_tokens(keys), HOLD)
    return np.where((keys < 0) & (previous >= 0), NOTE_OFF, tokens)


class GridTokenizer(PieceTokenizer):
    """One grid channel per track slot: ``melody``, ``trio`` (melody, bridge, piano) or ``melody_bass_drums``.

    Slots named in ``drum_slots`` are drum channels (hit masks); the others are pitched channels.
    """

    def __init__(
        self,
        tokenizer_id: str,
        slots: Sequence[str],
        track_map: Mapping[str, str] | None = None,
        time_signature: str | None = None,
        *,
        normalise_key: bool = False,
        drum_slots: Sequence[str] = (),
    ) -> None:
        self.id = tokenizer_id
        self.slots = tuple(slots)
        self.track_map = dict(track_map or {})  # the user's selectors; other slots are filled automatically
        self.time_signature = time_signature
        self.normalise_key = normalise_key
        self.drum_channels = tuple(channel for channel, slot in enumerate(self.slots) if slot in drum_slots)
        self.pitched_channels = tuple(
            channel for channel in range(len(self.slots)) if channel not in self.drum_channels
        )

    @classmethod
    def from_config(
        cls, tokenizer_id: str, slots: Sequence[str], config: object, drum_slots: Sequence[str] = ()
    ) -> GridTokenizer:
        """Build from a ``DataConfig``: its ``track_map`` chooses tracks for the slots it names, the others are automatic."""
        return cls(
            tokenizer_id,
            slots,
            check_track_map(getattr(config, "track_map", {}), tuple(slots)),
            getattr(config, "time_signature", None),
            normalise_key=getattr(config, "normalise_key", False),
            drum_slots=drum_slots,
        )

    @property
    def token_spec(self) -> TokenSpec:
        """One channel per track: 90 values for a pitched track, 512 for drums."""
        vocab = tuple(DRUM_VOCAB if c in self.drum_channels else VOCAB for c in range(len(self.slots)))
        return TokenSpec(channels=self.slots, vocab_sizes=vocab)

    @property
    def track_names(self) -> tuple[str, ...]:
        """Track slot names, one per channel."""
        return self.slots

    def window_length(self, bars: int) -> int:
        """Sixteen steps per bar."""
        return bars * STEPS_PER_BAR

    def bar_of_rows(self, bars: int) -> np.ndarray:
        """Row ``r`` is step ``r % 16`` of bar ``r // 16``."""
        return np.arange(self.window_length(bars)) // STEPS_PER_BAR

    def encode_batch(self, batch: PieceBatch, *, bars: int, max_windows: int | None) -> list[Encoding]:
        """Windows of ``bars`` bars starting on any bar, keeping those with at least one note."""
        n_pieces, length = batch.n_pieces, self.window_length(bars)
        real_steps = batch.n_bars * STEPS_PER_BAR
        steps = np.maximum(real_steps, length)  # a piece shorter than a window is padded with silence
        step_offsets = offsets_of(steps)
        note_onset, note_end = (
            np.rint(bars * STEPS_PER_BAR).astype(np.int64) for bars in batch.bar_position(batch.time, batch.end)
        )
        keys, kept_notes, counts = self._keys(batch, note_onset, note_end, real_steps, step_offsets)
        tokens = np.empty((int(step_offsets[-1]), len(self.slots)), dtype=smallest_dtype(self.token_spec))
        winners = np.zeros(n_pieces, dtype=np.int64)
        any_onset = np.zeros(len(tokens), dtype=bool)
        for channel in self.pitched_channels:
            tokens[:, channel] = _tokens_from_keys(keys[channel], step_offsets)
            # Every note that wins some step starts a run there; a note never on top was dropped.
            onset = tokens[:, channel] >= FIRST_PITCH_TOKEN
            any_onset |= onset
            onset_step = _distinct_onsets(keys[channel][onset])
            winners += np.bincount(np.searchsorted(step_offsets, onset_step, side="right") - 1, minlength=n_pieces)
        counts["notes_dropped_polyphony"] = kept_notes - winners
        if self.drum_channels:
            counts.update(self._drum_columns(batch, note_onset, real_steps, step_offsets, tokens))
            any_onset |= (tokens[:, list(self.drum_channels)] > 0).any(axis=1)

        # Candidate starts: every bar from which a whole window fits; kept if a note starts or sounds in it.
        n_starts = (steps - length) // STEPS_PER_BAR + 1
        start = ragged_arange(n_starts)
        start_piece = np.repeat(np.arange(n_pieces), n_starts)
        first = step_offsets[start_piece] + start * STEPS_PER_BAR
        onsets = np.zeros(len(tokens) + 1, dtype=np.int64)
        np.cumsum(any_onset, out=onsets[1:])
        sounding = np.logical_or.reduce([channel_keys[first] >= 0 for channel_keys in keys])
        occupied = (onsets[first + length] - onsets[first] > 0) | sounding
        start, start_piece, first = start[occupied], start_piece[occupied], first[occupied]
        kept = np.bincount(start_piece, minlength=n_pieces)
        local, picked = spread_indices(kept, max_windows)
        chosen = offsets_of(kept)[np.repeat(np.arange(n_pieces), picked)] + local
        start, first = start[chosen], first[chosen]

        windows = np.empty((len(first), length, len(self.slots)), dtype=tokens.dtype)
        for window, step in enumerate(first.tolist()):
            windows[window] = tokens[step : step + length]
        # A note sounding into the window restarts on its first step; silence there is a hold (drums only strike).
        pitched = list(self.pitched_channels)
        entering = np.stack([keys[channel][first] for channel in pitched], axis=1)
        windows[:, 0, pitched] = np.where(entering >= 0, _pitch_tokens(entering), HOLD)
        bounds = offsets_of(picked).tolist()
        names, columns = list(counts), zip(*(values.tolist() for values in counts.values()))
        return [
            Encoding(windows[a:b], start[a:b], Counter(dict(zip(names, column, strict=True))))
            for a, b, column in zip(bounds[:-1], bounds[1:], columns, strict=True)
        ]

    def _keys(
        self, batch: PieceBatch, onset: np.ndarray, offset: np.ndarray, real_steps: np.ndarray, step_offsets: np.ndarray
    ) -> tuple[list[np.ndarray], np.ndarray, dict[str, np.ndarray]]:
        """Top-line keys of every channel (pieces back to back), kept notes per piece, and counts.

        ``onset`` and ``offset`` are every note's first and end step within its piece.
        """
        n_pieces, piece = batch.n_pieces, batch.note_piece
        in_range = (batch.pitch >= MIN_PITCH) & (batch.pitch <= MAX_PITCH)
        offset = np.minimum(np.maximum(offset, onset + 1), real_steps[piece])
        pitched = ~np.isin(batch.note_slot, self.drum_channels)
        keep = in_range & (onset < real_steps[piece]) & pitched
        keys = []
        for channel in range(len(self.slots)):
            notes = keep & (batch.note_slot == channel)  # none for a drum channel: it never sounds on
            base = step_offsets[piece[notes]]
            keys.append(_top_line(onset[notes] + base, offset[notes] + base, batch.pitch[notes], int(step_offsets[-1])))
        counts = {
            "notes": np.diff(batch.note_offsets),
            "notes_out_of_range": np.bincount(piece[~in_range & pitched], minlength=n_pieces),
        }
        return keys, np.bincount(piece[keep], minlength=n_pieces), counts

    def _drum_columns(
        self, batch: PieceBatch, onset: np.ndarray, real_steps: np.ndarray, step_offsets: np.ndarray, tokens: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Write every drum channel's hit masks into ``tokens``; counts the hits of no drum class per piece."""
        piece = batch.note_piece
        unmapped = np.zeros(batch.n_pieces, dtype=np.int64)
        for channel in self.drum_channels:
            notes = (batch.note_slot == channel) & (onset < real_steps[piece])
            classes = drum_classes(batch.pitch[notes])
            known = classes >= 0
            steps = onset[notes][known] + step_offsets[piece[notes][known]]
            tokens[:, channel] = drum_tokens(steps, classes[known], len(tokens))
            unmapped += np.bincount(piece[notes][~known], minlength=batch.n_pieces)
        return {"drum_notes_without_class": unmapped}

    def check_tokens(self, tokens: np.ndarray) -> np.ndarray:
        """``tokens`` as ``[steps, channels]`` int64; a token outside its channel's range is a :class:`DataError`."""
        tokens = np.asarray(tokens, dtype=np.int64)
        if tokens.ndim == 1 and len(self.slots) == 1:
            tokens = tokens[:, None]
        if tokens.ndim != 2 or tokens.shape[1] != len(self.slots):
            raise DataError(
                f"expected tokens shaped [steps, {len(self.slots)}] for {self.id}, got {list(tokens.shape)}"
            )
        vocab = np.array(self.token_spec.vocab_sizes)
        bad = np.argwhere((tokens < 0) | (tokens >= vocab))
        if len(bad):
            step, channel = (int(v) for v in bad[0])
            size = int(vocab[channel])
            raise DataError(
                f"invalid token {int(tokens[step, channel])} at step {step}, channel {self.slots[channel]} "
                f"(valid: 0..{size - 1}; {size} is the mask){f'; {len(bad)} invalid in all' if len(bad) > 1 else ''}"
            )
        return tokens

    def decode(self, tokens: np.ndarray) -> symusic.Score:
        """Named tracks at 480 ticks per quarter, 4/4 at 120 qpm, 16th-note steps, velocity 100 (drums: 16th hits)."""
        return self.decode_notes(self.check_tokens(tokens))

    def decode_notes(self, tokens: np.ndarray) -> symusic.Score:
        """:meth:`decode` of checked tokens, from the channels of the track slots."""
        step_ticks = DECODE_TPQ * 4 // STEPS_PER_BAR
        score = empty_score(DECODE_TPQ)
        set_time_signatures(score, np.zeros(1, np.int32), np.full(1, 4, np.uint8), np.full(1, 4, np.uint8))
        set_tempos(score, np.zeros(1, np.int32), np.full(1, round(60_000_000 / DECODE_QPM), np.int32))
        for channel, slot in enumerate(self.slots):
            column = tokens[:, channel]
            if channel in self.drum_channels:
                steps, pitches = drum_hits(column)
                score.tracks.append(
                    note_track(
                        slot.upper(),
                        (steps * step_ticks).astype(np.int32),
                        np.full(len(steps), step_ticks, np.int32),
                        pitches.astype(np.int8),
                        np.full(len(steps), DECODE_VELOCITY, dtype=np.int8),
                        is_drum=True,
                    )
                )
                continue
            events = np.flatnonzero(column != HOLD)
            ends = np.append(events[1:], len(column))
            is_note = column[events] >= FIRST_PITCH_TOKEN
            start, stop = events[is_note], ends[is_note]
            score.tracks.append(
                note_track(
                    slot.upper(),
                    (start * step_ticks).astype(np.int32),
                    ((stop - start) * step_ticks).astype(np.int32),
                    (column[start] - FIRST_PITCH_TOKEN + MIN_PITCH).astype(np.int8),
                    np.full(len(start), DECODE_VELOCITY, dtype=np.int8),
                )
            )
        return score

    def prepare_infill(
        self, window: np.ndarray, region: np.ndarray, end_bar: int | None = None, *, note_share: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Make the first step after every generated span explicit: the note the input sounds there, or silence.

        A hold token right after the gap would continue whatever the gap ends
        with; pinned to the input's state (re-striking a note that sounds across
        the gap's end, or a note-off where the input rests) the music after the
        gap sounds as in the input whatever is generated.
        """
        window = np.asarray(window, dtype=np.int64).copy()
        for channel in self.pitched_channels:  # a drum hit never sounds on, so nothing leaks past a drum gap
            inside = region[:, channel]
            for step in np.flatnonzero(inside[:-1] & ~inside[1:]) + 1:
                if window[step, channel] != HOLD:
                    continue
                events = np.flatnonzero(window[: step + 1, channel] != HOLD)
                window[step, channel] = window[events[-1], channel] if len(events) else NOTE_OFF
        return window, region

    def pitch_tokens(self) -> dict[int, np.ndarray]:
        """Every pitched channel: tokens ``2..89`` start MIDI pitches ``21..108``; hold and note-off are not pitches."""
        table = np.full(VOCAB, -1, dtype=np.int64)
        table[FIRST_PITCH_TOKEN:] = np.arange(MIN_PITCH, MAX_PITCH + 1)
        return {channel: table for channel in self.pitched_channels}

    def transpose(self, windows: np.ndarray, semitones: np.ndarray) -> np.ndarray:
        """Shift the pitch tokens (2..89) of each window's pitched channels; windows that would leave 21..108 stay."""
        is_pitch = (windows >= FIRST_PITCH_TOKEN) & np.isin(np.arange(windows.shape[-1]), self.pitched_channels)
        shift = semitones.reshape(-1, *([1] * (windows.ndim - 1)))
        shifted = np.where(is_pitch, windows + shift, windows)
        fits = ~(
            (is_pitch & ((shifted < FIRST_PITCH_TOKEN) | (shifted >= VOCAB))).reshape(len(windows), -1).any(axis=1)
        )
        return np.where(fits.reshape(shift.shape), shifted, windows)

    def region_mask(
        self, tokens: np.ndarray, *, start_bar: int | None, end_bar: int | None, tracks: Sequence[str]
    ) -> np.ndarray:
        """Steps of the bar range in the channels of the named tracks (all channels when none is named)."""
        tokens = np.asarray(tokens)
        mask = np.zeros(tokens.shape, dtype=bool)
        channels = [self._channel(name) for name in tracks] or list(range(len(self.slots)))
        first = 0 if start_bar is None else start_bar * STEPS_PER_BAR
        last = tokens.shape[0] if end_bar is None else end_bar * STEPS_PER_BAR
        mask[first:last, channels] = True
        return mask

    def _channel(self, name: str) -> int:
        lowered = [slot.lower() for slot in self.slots]
        if name.lower() not in lowered:
            raise DataError(f"{self.id} has no track '{name}'; its tracks are {', '.join(self.slots)}")
        return lowered.index(name.lower())
