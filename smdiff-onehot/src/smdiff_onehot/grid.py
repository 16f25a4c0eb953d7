"""Grid (one-hot) encodings in the style of MusicVAE and SCHmUBERT.

Sixteen steps per bar (four per quarter in 4/4); one channel per track. Per
channel and step: ``0`` = hold (nothing new happens), ``1`` = note-off (silence
starts), ``2..89`` = a note of MIDI pitch ``21..108`` starts. The absorbing
mask id is 90. A polyphonic track is reduced to its top line: at every step the
highest sounding note wins, and notes that never win are counted as dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import symusic

from smdiff.data.piece import Piece
from smdiff.data.tracks import check_track_map
from smdiff.errors import DataError
from smdiff.midi import MidiLike
from smdiff.tokenizer import Encoding, Tokenizer
from smdiff.tokens import TokenSpec

STEPS_PER_BAR = 16
HOLD, NOTE_OFF, FIRST_PITCH_TOKEN = 0, 1, 2
MIN_PITCH, MAX_PITCH = 21, 108
VOCAB = FIRST_PITCH_TOKEN + MAX_PITCH - MIN_PITCH + 1  # 90
DECODE_TPQ = 480
DECODE_VELOCITY = 100
DECODE_QPM = 120.0

POP909_TRACKS = {"melody": "name:MELODY", "bridge": "name:BRIDGE", "piano": "name:PIANO"}


def _top_line(onsets: np.ndarray, offsets: np.ndarray, pitches: np.ndarray, n_steps: int) -> np.ndarray:
    """For each step, a key ``pitch << 32 | onset`` of the highest sounding note (``-1`` = silence)."""
    keys = np.full(n_steps, -1, dtype=np.int64)
    if len(onsets) == 0:
        return keys
    lengths = offsets - onsets
    starts = np.repeat(onsets - np.cumsum(lengths) + lengths, lengths)
    steps = starts + np.arange(int(lengths.sum()))
    np.maximum.at(keys, steps, np.repeat((pitches.astype(np.int64) << 32) | onsets, lengths))
    return keys


def _tokens_from_keys(keys: np.ndarray) -> np.ndarray:
    previous = np.concatenate([[-1], keys[:-1]])
    pitch_tokens = (keys >> 32) - MIN_PITCH + FIRST_PITCH_TOKEN
    tokens = np.where((keys >= 0) & (keys != previous), pitch_tokens, HOLD)
    return np.where((keys < 0) & (previous >= 0), NOTE_OFF, tokens)


class GridTokenizer(Tokenizer):
    """One grid channel per track slot: ``melody`` (1 channel) or ``trio`` (melody, bridge, piano)."""

    version = "1"

    def __init__(self, tokenizer_id: str, track_map: Mapping[str, str], time_signature: str | None = None) -> None:
        self.id = tokenizer_id
        self.slots = tuple(track_map)
        self.track_map = dict(track_map)
        self.time_signature = time_signature

    @classmethod
    def from_config(cls, tokenizer_id: str, slots: Sequence[str], config: object) -> GridTokenizer:
        """Build from a ``DataConfig``: its ``track_map`` overrides POP909's names slot by slot."""
        defaults = {slot: POP909_TRACKS[slot] for slot in slots}
        track_map = {**defaults, **check_track_map(getattr(config, "track_map", {}), tuple(slots))}
        return cls(tokenizer_id, track_map, getattr(config, "time_signature", None))

    @property
    def token_spec(self) -> TokenSpec:
        """One channel of 90 values per track."""
        return TokenSpec(channels=self.slots, vocab_sizes=(VOCAB,) * len(self.slots))

    @property
    def track_names(self) -> tuple[str, ...]:
        """Track slot names, one per channel."""
        return self.slots

    def window_length(self, bars: int) -> int:
        """Sixteen steps per bar."""
        return bars * STEPS_PER_BAR

    def piece_keys(self, midi: MidiLike, source: str | Path | None = None) -> tuple[np.ndarray, Counter[str]]:
        """Top-line keys ``[steps, channels]`` of the whole piece, bar-aligned, and what encoding counted."""
        piece = Piece.read(midi, track_map=self.track_map, time_signature=self.time_signature, source=source)
        grid = piece.grid
        counts: Counter[str] = Counter()
        n_steps = grid.n_bars * STEPS_PER_BAR
        keys = np.full((n_steps, len(self.slots)), -1, dtype=np.int64)
        for channel, slot in enumerate(self.slots):
            if slot not in piece.notes:
                continue
            notes = piece.notes[slot]
            time, end, pitch = notes.time, notes.end, notes.pitch
            counts["notes"] += len(pitch)
            in_range = (pitch >= MIN_PITCH) & (pitch <= MAX_PITCH)
            counts["notes_out_of_range"] += int((~in_range).sum())
            onset = np.rint(grid.bar_position(time[in_range]) * STEPS_PER_BAR).astype(np.int64)
            offset = np.rint(grid.bar_position(end[in_range]) * STEPS_PER_BAR).astype(np.int64)
            offset = np.clip(np.maximum(offset, onset + 1), None, n_steps)
            keep = onset < n_steps
            channel_keys = _top_line(onset[keep], offset[keep], pitch[in_range][keep], n_steps)
            kept = np.unique(channel_keys[channel_keys >= 0]).size
            counts["notes_dropped_polyphony"] += int(keep.sum()) - kept
            keys[:, channel] = channel_keys
        return keys, counts

    def encode(
        self, midi: MidiLike, *, bars: int, max_windows: int | None = None, source: str | Path | None = None
    ) -> Encoding:
        """Windows of ``bars`` bars starting on any bar, keeping those with at least one note."""
        keys, counts = self.piece_keys(midi, source)
        length = self.window_length(bars)
        if len(keys) < length:
            keys = np.concatenate([keys, np.full((length - len(keys), keys.shape[1]), -1, dtype=np.int64)])
        tokens = np.stack([_tokens_from_keys(keys[:, c]) for c in range(keys.shape[1])], axis=1)
        n_starts = (len(keys) - length) // STEPS_PER_BAR + 1
        onsets = np.concatenate([[0], np.cumsum((tokens >= FIRST_PITCH_TOKEN).any(axis=1))])
        first = np.arange(n_starts) * STEPS_PER_BAR
        starts = np.flatnonzero(onsets[first + length] - onsets[first] + (keys[first] >= 0).any(axis=1) > 0)
        if max_windows is not None and len(starts) > max_windows:
            starts = starts[np.linspace(0, len(starts) - 1, max_windows).round().astype(np.int64)]
        windows = (
            np.stack([tokens[b * STEPS_PER_BAR : b * STEPS_PER_BAR + length] for b in starts])
            if len(starts)
            else (np.zeros((0, length, len(self.slots)), dtype=np.int64))
        )
        if len(starts):
            # A note sounding into the window restarts on its first step; silence there is a hold.
            entering = keys[starts * STEPS_PER_BAR]
            windows[:, 0, :] = np.where(entering >= 0, (entering >> 32) - MIN_PITCH + FIRST_PITCH_TOKEN, HOLD)
        return Encoding(windows=windows, start_bars=starts.astype(np.int64), counts=counts)

    def check_tokens(self, tokens: np.ndarray) -> np.ndarray:
        """``tokens`` as ``[steps, channels]`` int64; a token outside ``0..89`` is a :class:`DataError` naming it."""
        tokens = np.asarray(tokens, dtype=np.int64)
        if tokens.ndim == 1 and len(self.slots) == 1:
            tokens = tokens[:, None]
        if tokens.ndim != 2 or tokens.shape[1] != len(self.slots):
            raise DataError(
                f"expected tokens shaped [steps, {len(self.slots)}] for {self.id}, got {list(tokens.shape)}"
            )
        bad = np.argwhere((tokens < 0) | (tokens >= VOCAB))
        if len(bad):
            step, channel = (int(v) for v in bad[0])
            raise DataError(
                f"invalid token {int(tokens[step, channel])} at step {step}, channel {self.slots[channel]} "
                f"(valid: 0..{VOCAB - 1}; {VOCAB} is the mask){f'; {len(bad)} invalid in all' if len(bad) > 1 else ''}"
            )
        return tokens

    def decode(self, tokens: np.ndarray) -> symusic.Score:
        """Named tracks at 480 ticks per quarter, 4/4 at 120 qpm, 16th-note steps, velocity 100."""
        tokens = self.check_tokens(tokens)
        step_ticks = DECODE_TPQ * 4 // STEPS_PER_BAR
        score = symusic.Score(DECODE_TPQ)
        score.time_signatures.append(symusic.TimeSignature(0, 4, 4))
        score.tempos.append(symusic.Tempo(0, DECODE_QPM))
        for channel, slot in enumerate(self.slots):
            column = tokens[:, channel]
            events = np.flatnonzero(column != HOLD)
            ends = np.append(events[1:], len(column))
            is_note = column[events] >= FIRST_PITCH_TOKEN
            start, stop = events[is_note], ends[is_note]
            track = symusic.Track(name=slot.upper(), program=0, is_drum=False)
            track.notes = symusic.Note.from_numpy(
                time=(start * step_ticks).astype(np.int32),
                duration=((stop - start) * step_ticks).astype(np.int32),
                pitch=(column[start] - FIRST_PITCH_TOKEN + MIN_PITCH).astype(np.int8),
                velocity=np.full(len(start), DECODE_VELOCITY, dtype=np.int8),
            )
            score.tracks.append(track)
        return score

    def transpose(self, windows: np.ndarray, semitones: np.ndarray) -> np.ndarray:
        """Shift the pitch tokens (2..89) of each window; windows that would leave 21..108 stay as they are."""
        is_pitch = windows >= FIRST_PITCH_TOKEN
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
