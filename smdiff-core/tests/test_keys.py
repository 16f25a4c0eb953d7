"""Key finding and key normalisation, on real POP909 songs (the bundled subset when the full set is absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from smdiff.config.schema import DataConfig
from smdiff.data.keys import Key, normalising_shift, pitch_class_weights, score_key, transpose_score
from smdiff.data.piece import Piece
from smdiff.errors import ConfigError
from smdiff.midi import load_score
from smdiff.testing import pop909_or_bundled

REPOSITORY = Path(__file__).resolve().parents[2]
WHITE_KEYS = [0, 2, 4, 5, 7, 9, 11]


@pytest.fixture(scope="module")
def songs() -> list[Path]:
    root = pop909_or_bundled(REPOSITORY)
    return sorted(root.glob("*/*.mid"))[:20]


@pytest.mark.parametrize(
    ("text", "name", "shift"),
    [("G", "G major", 5), ("E minor", "E minor", 5), ("Ebm", "Eb minor", -6), ("F#:min", "F# minor", 3),
     ("bb Major", "Bb major", 2), ("A min", "A minor", 0), ("C", "C major", 0)],
)  # fmt: skip
def test_key_names_parse_and_give_the_shift_to_the_white_keys(text: str, name: str, shift: int) -> None:
    key = Key.parse(text)
    assert key.name == name
    assert key.normalising_shift == shift
    assert -6 <= key.normalising_shift <= 5


def test_an_unknown_key_name_is_one_clear_error() -> None:
    with pytest.raises(ConfigError, match="unknown key 'H major'"):
        Key.parse("H major")


def test_the_estimate_follows_a_real_song_through_every_transposition(songs: list[Path]) -> None:
    score = load_score(songs[0])
    key = score_key(score)
    assert key is not None
    for semitones in range(-6, 6):
        moved = score_key(transpose_score(score, semitones))
        assert moved == Key((key.tonic + semitones) % 12, key.minor)


def test_normalised_songs_sit_on_the_white_keys(songs: list[Path]) -> None:
    shares = []
    for path in songs:
        score = load_score(path)
        weights = pitch_class_weights(transpose_score(score, normalising_shift(score)))
        shares.append(weights[WHITE_KEYS].sum() / weights.sum())
    # Before normalisation a random POP909 song has about 7/12 of its time on the white keys.
    assert np.median(shares) > 0.9, shares


def test_annotated_pop909_keys_are_found(songs: list[Path]) -> None:
    annotated = [path for path in songs if (path.parent / "key_audio.txt").is_file()]
    if not annotated:
        pytest.skip("the bundled POP909 subset carries no key_audio.txt; the full set (SMDIFF_POP909) does")
    agree = 0
    for path in annotated:
        first = (path.parent / "key_audio.txt").read_text().split()[2]
        agree += score_key(load_score(path)).normalising_shift == Key.parse(first).normalising_shift
    assert agree / len(annotated) >= 0.75


def test_pieces_read_with_normalise_key_are_moved_and_say_by_how_much(songs: list[Path]) -> None:
    kept = Piece.read(songs[0], track_map={"melody": "name:MELODY"})
    moved = Piece.read(songs[0], track_map={"melody": "name:MELODY"}, normalise_key=True)
    shift = normalising_shift(load_score(songs[0]))
    assert moved.transposition == shift and kept.transposition == 0
    assert np.array_equal(moved.notes["melody"].pitch, kept.notes["melody"].pitch.astype(np.int16) + shift)
    assert DataConfig().normalise_key  # the default
