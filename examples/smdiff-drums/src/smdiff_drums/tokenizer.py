"""MusicVAE's 9-class drum grid as an smdiff tokenizer.

Each 16th-note step is one token: bit ``k`` is set when a drum of class ``k``
starts on that step, so the vocabulary has ``2**9 = 512`` values and the
absorbing mask id is 512. Every GM drum pitch maps to one class; decoding
plays each class's first (canonical) pitch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import symusic

from smdiff import DataError, Encoding, MidiLike, Tokenizer, TokenSpec, load_score

#: Class name and the GM pitches that belong to it; the first pitch is written when decoding.
DRUM_CLASSES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("kick", (36, 35)),
    ("snare", (38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85)),
    ("closed_hihat", (42, 44, 54, 68, 69, 70, 71, 73, 78, 80, 22)),
    ("open_hihat", (46, 67, 72, 74, 79, 81, 26)),
    ("low_tom", (45, 29, 41, 43, 61, 64, 84)),
    ("mid_tom", (48, 47, 60, 63, 77, 86, 87)),
    ("high_tom", (50, 30, 62, 76, 83)),
    ("crash", (49, 52, 55, 57, 58)),
    ("ride", (51, 53, 59, 82)),
)
STEPS_PER_QUARTER = 4
STEPS_PER_BAR = 16
VOCAB = 2 ** len(DRUM_CLASSES)
DECODE_TPQ = 480
DECODE_VELOCITY = 80

_PITCH_TO_BIT = np.full(128, -1, dtype=np.int16)
for _bit, (_, _pitches) in enumerate(DRUM_CLASSES):
    _PITCH_TO_BIT[list(_pitches)] = _bit


class DrumGridTokenizer(Tokenizer):
    """Drum tracks of a piece → one multi-hot class token per 16th step (4/4 bars of 16 steps)."""

    id = "drums"

    @classmethod
    def from_config(cls, config: object) -> DrumGridTokenizer:
        """Build from a ``DataConfig``; this grid needs no settings."""
        return cls()

    @property
    def token_spec(self) -> TokenSpec:
        """One channel of 512 values."""
        return TokenSpec(channels=("drums",), vocab_sizes=(VOCAB,))

    @property
    def track_names(self) -> tuple[str, ...]:
        """A single drum track."""
        return ("drums",)

    def window_length(self, bars: int) -> int:
        """16 steps per bar."""
        return bars * STEPS_PER_BAR

    def piece_grid(self, midi: MidiLike) -> tuple[np.ndarray, Counter[str]]:
        """The whole piece as one ``[steps]`` array of class bit sets, with counts of what was kept and dropped."""
        score = load_score(midi)
        counts: Counter[str] = Counter()
        ticks_per_step = score.ticks_per_quarter / STEPS_PER_QUARTER
        times, pitches = [], []
        for track in score.tracks:
            if not track.is_drum:
                continue
            notes = track.notes.numpy()
            times.append(notes["time"])
            pitches.append(notes["pitch"].astype(np.int16))
        if not times:
            return np.zeros(0, dtype=np.int64), counts
        time = np.concatenate(times)
        bits = _PITCH_TO_BIT[np.concatenate(pitches)]
        counts["notes"] += len(bits)
        counts["notes_unmapped_pitch"] += int((bits < 0).sum())
        steps = np.rint(time[bits >= 0] / ticks_per_step).astype(np.int64)
        bits = bits[bits >= 0]
        grid = np.zeros(int(steps.max(initial=-1)) + 1, dtype=np.int64)
        np.bitwise_or.at(grid, steps, np.left_shift(1, bits.astype(np.int64)))
        return grid, counts

    def encode(
        self, midi: MidiLike, *, bars: int, max_windows: int | None = None, source: str | Path | None = None
    ) -> Encoding:
        """Windows of ``bars`` bars starting on every bar that leave no window empty of hits."""
        grid, counts = self.piece_grid(midi)
        length = self.window_length(bars)
        n_bars = -(-len(grid) // STEPS_PER_BAR)
        padded = np.zeros(max(n_bars, bars) * STEPS_PER_BAR, dtype=np.int64)
        padded[: len(grid)] = grid
        starts = [
            b for b in range(max(n_bars - bars + 1, 1)) if padded[b * STEPS_PER_BAR : b * STEPS_PER_BAR + length].any()
        ]
        if max_windows is not None and len(starts) > max_windows:
            starts = [starts[i] for i in np.linspace(0, len(starts) - 1, max_windows).round().astype(int)]
        windows = (
            np.stack([padded[b * STEPS_PER_BAR : b * STEPS_PER_BAR + length] for b in starts])
            if starts
            else np.zeros((0, length), dtype=np.int64)
        )
        return Encoding(windows=windows[..., None], start_bars=np.asarray(starts, dtype=np.int64), counts=counts)

    def decode(self, tokens: np.ndarray) -> symusic.Score:
        """One drum track; every set bit becomes a 16th-note hit of its class's canonical pitch."""
        tokens = np.asarray(tokens).reshape(-1)
        if ((tokens < 0) | (tokens >= VOCAB)).any():
            bad = int(np.flatnonzero((tokens < 0) | (tokens >= VOCAB))[0])
            raise DataError(f"token {int(tokens[bad])} at step {bad} is outside 0..{VOCAB - 1}")
        step_ticks = DECODE_TPQ // STEPS_PER_QUARTER
        steps, bits = np.nonzero((tokens[:, None] >> np.arange(len(DRUM_CLASSES))) & 1)
        canonical = np.array([pitches[0] for _, pitches in DRUM_CLASSES], dtype=np.int8)
        score = symusic.Score(DECODE_TPQ)
        track = symusic.Track(name="drums", program=0, is_drum=True)
        track.notes = symusic.Note.from_numpy(
            time=(steps * step_ticks).astype(np.int32),
            duration=np.full(len(steps), step_ticks, dtype=np.int32),
            pitch=canonical[bits],
            velocity=np.full(len(steps), DECODE_VELOCITY, dtype=np.int8),
        )
        score.tracks.append(track)
        return score

    def region_mask(
        self, tokens: np.ndarray, *, start_bar: int | None, end_bar: int | None, tracks: Sequence[str]
    ) -> np.ndarray:
        """Steps of the bar range (the only track is ``drums``)."""
        mask = np.zeros(np.asarray(tokens).shape, dtype=bool)
        first = 0 if start_bar is None else start_bar * STEPS_PER_BAR
        last = mask.shape[0] if end_bar is None else end_bar * STEPS_PER_BAR
        mask[first:last] = True
        return mask
