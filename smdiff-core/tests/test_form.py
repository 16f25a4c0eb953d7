"""Forms: reading them, tying a window's bars, the sampler's shared decisions, and finding the form of real songs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from smdiff.diffusion.sampling import sample
from smdiff.errors import DataError
from smdiff.form import Form
from smdiff.form.detect import bar_similarity, detect_form
from smdiff.form.request import parse_bar_range
from smdiff.form.ties import form_ties, gap_ties
from smdiff.kernels.torch_ref import TorchKernels
from smdiff.testing import arranged_melody, distinct_segments, melody_table
from smdiff.tokens import TokenSpec

ROWS_PER_BAR = 16


def bars_of(bars: int) -> np.ndarray:
    return np.arange(bars * ROWS_PER_BAR) // ROWS_PER_BAR


def test_a_form_reads_sections_repeats_and_variations():
    form = Form.parse("A8 A8 B4 a'8 A'8")
    assert str(form) == "A8 A8 B4 A'8 A'8" and form.bars == 36
    assert [section.start_bar for section in form.sections] == [0, 8, 16, 20, 28]
    repeats, variations = form.bar_pairs()
    assert repeats[:8] == [(8 + bar, bar) for bar in range(8)]  # the second A repeats the first
    assert repeats[8:] == [(28 + bar, 20 + bar) for bar in range(8)]  # the second A' repeats the first A'
    assert variations == [(20 + bar, bar) for bar in range(8)]  # the first A' varies A


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("A8 B", "'B' is not a section"),
        ("A8 A4", "section A is 8 bars where it first stands but 4"),
        ("A0", "has no bars"),
        ("  ", "is empty"),
    ],
)
def test_a_bad_form_is_one_line_naming_the_fix(text, says):
    with pytest.raises(DataError, match=says) as error:
        Form.parse(text)
    assert "\n" not in str(error.value)


def test_a_form_longer_than_the_window_says_by_how_much():
    with pytest.raises(DataError, match=r"covers 72 bars; the model writes 64 at once .* shorten it by 8 bars"):
        Form.parse("A32 B32 C8").check_fits(64)


def test_bar_ranges_count_from_zero_without_the_end_bar():
    assert parse_bar_range("0-8", "--repeat-from") == (0, 8)
    for bad in ("8", "8-4", "a-b", "1-2-3"):
        with pytest.raises(DataError, match="--repeat-from"):
            parse_bar_range(bad, "--repeat-from")


def test_form_ties_point_every_repeat_at_its_original_and_a_variation_at_a_share_of_it():
    form = Form.parse("A2 A2 B2 A'2 A'2")
    leader = form_ties(form, np.ones((160, 3), bool), bars_of(10), keep=0.5, rng=np.random.default_rng(0))
    rows = np.arange(10 * ROWS_PER_BAR)
    assert (leader[rows[:32]] == rows[:32, None]).all() and (leader[64:96] == rows[64:96, None]).all()
    assert (leader[32:64] == rows[:32, None]).all()  # the second A: the first A's rows, in every channel
    first_variation = leader[96:128, 0]
    kept = first_variation != rows[96:128]
    assert kept.sum() == 16  # half of its 8 quarter bars, 4 steps each
    assert (first_variation[kept] == rows[:32][kept]).all()
    assert (leader[128:160] == leader[96:128]).all()  # the second A' follows what decides the first, straight


def test_gap_ties_tie_only_the_generated_region():
    region = np.zeros((8 * ROWS_PER_BAR, 2), dtype=bool)
    region[4 * 16 : 6 * 16, 0] = True
    leader = gap_ties(region, bars_of(8), (4, 6), (1, 3), exact=True, keep=0.5, rng=np.random.default_rng(0))
    assert (leader[64:96, 0] == np.arange(16, 48)).all()
    assert (leader[:, 1] == np.arange(128)).all()  # the channel kept is tied to nothing


class FixedLogits(torch.nn.Module):
    """A network whose logits do not depend on its input: one learned table ``[L, V]``."""

    def __init__(self, table: torch.Tensor) -> None:
        super().__init__()
        self.table = torch.nn.Parameter(table)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.table.expand(tokens.shape[0], -1, -1)


SPEC = TokenSpec(channels=("melody",), vocab_sizes=(6,))


@pytest.mark.parametrize("method", ["ancestral", "confidence"])
def test_tied_elements_are_one_draw_that_fits_every_copy(method):
    # row 0 may be token 2 or 3, row 1 token 3 or 4: drawn once for both, only 3 fits both places;
    # drawing the original and copying it afterwards would give 2 half of the time
    table = torch.full((4, 6), -30.0)
    table[0, [2, 3]] = 0.0
    table[1, [3, 4]] = 0.0
    table[2:, :] = 0.0
    ties = torch.tensor([[[0], [0], [2], [3]]]).expand(64, -1, -1)
    initial = torch.full((64, 4, 1), SPEC.mask_ids[0])
    tokens, _ = sample(
        FixedLogits(table), TorchKernels(), SPEC, initial, method=method, steps=4, ties=ties,
        generator=torch.Generator().manual_seed(0),
    )  # fmt: skip
    assert (tokens[:, 0] == 3).all() and (tokens[:, 1] == 3).all()
    assert len(set(tokens[:, 2, 0].tolist())) > 1  # free rows stay free


def test_a_follower_of_a_given_element_takes_it_before_the_first_step():
    initial = torch.tensor([[[4], [SPEC.mask_ids[0]], [SPEC.mask_ids[0]]]])
    ties = torch.tensor([[[0], [0], [2]]])
    tokens, _ = sample(
        FixedLogits(torch.zeros(3, 6)), TorchKernels(), SPEC, initial, steps=2, ties=ties,
        generator=torch.Generator().manual_seed(1),
    )  # fmt: skip
    assert tokens[0, 1, 0] == 4 and tokens[0, 0, 0] == 4


def block_pairs(names: list[str]) -> set[tuple[int, int]]:
    """Pairs of sections with the same name: one repeats the other."""
    return {(i, j) for i in range(len(names)) for j in range(i) if names[i] == names[j]}


def arranged_songs(pop909, order: str) -> list:
    """Real 8-bar melody segments A, B, C of each of the first 12 songs that have three distinct ones, put in
    ``order``: pieces of known form."""
    pieces = []
    for song in sorted(pop909.glob("*/*.mid"))[:12]:
        table = melody_table(song)
        segments = distinct_segments(table, 8, 3)
        if segments is not None:
            pieces.append(arranged_melody(table, segments, order, 8))
    return pieces


def test_the_form_of_real_melodies_arranged_in_a_known_form_is_found(pop909):
    # real 8-bar melody segments A, B, C of each song put in the form A B A C A B: every repeat is found, and
    # sections detected as repeats of each other are the same segment of the song
    truth = block_pairs([f"{letter}{half}" for letter in "ABACAB" for half in (1, 2)])  # 4-bar sections
    pieces = arranged_songs(pop909, "A B A C A B")
    for song, piece in enumerate(pieces):
        detected = detect_form(piece)
        assert [section.bars for section in detected.sections] == [4] * 12, (song, str(detected))
        found = block_pairs([section.name for section in detected.sections])
        assert truth <= found, (song, str(detected))
        similarity = bar_similarity(piece)
        for i, j in found - truth:  # a real song may repeat a phrase in two of its segments: then it is a repeat
            assert np.mean([similarity[4 * i + k, 4 * j + k] for k in range(4)]) >= 0.8
    assert len(pieces) >= 6


def test_a_real_song_s_detected_repeats_are_alike_and_its_new_sections_are_not(pop909):
    song = sorted(pop909.glob("*/*.mid"))[0]
    table = melody_table(song)
    form = detect_form(table)
    repeats, _ = form.bar_pairs()
    similarity = bar_similarity(table)
    assert len(repeats) >= 8
    alike = np.mean([similarity[a, b] for a, b in repeats])
    everything = similarity[np.tril_indices(len(similarity), -1)].mean()
    assert alike >= 0.8 > 2 * everything


def test_an_excerpt_of_a_real_song_starts_at_its_bar_0(pop909):
    song = sorted(pop909.glob("*/*.mid"))[0]
    table = melody_table(song)
    first = int(table.bar.min())
    excerpt = table.excerpt(first, 8)
    assert excerpt.n_bars == 8 and excerpt.bar.min() == 0 and excerpt.bar.max() <= 7
    assert len(excerpt) == len(table.in_bars(first, first + 8))
    assert np.allclose(excerpt.positions(), table.in_bars(first, first + 8).positions())
    assert excerpt.bar_starts[0] == 0.0 and len(excerpt.bar_starts) == 9


def test_more_new_sections_than_letters_become_variations_never_false_repeats():
    from smdiff.notes import NoteTable

    bars = np.arange(30)  # thirty bars of one note each, every one another pitch
    table = NoteTable(onset=bars * 4.0, duration=np.ones(30), pitch=40 + bars, velocity=np.full(30, 90),
                      track=np.zeros(30, dtype=np.int64), bar=bars, n_bars=30, track_names=("melody",))  # fmt: skip
    form = detect_form(table, section_bars=1)
    repeats, variations = form.bar_pairs()
    assert not repeats and len(variations) == 4 and len({section.name for section in form.sections}) == 30


def test_a_prior_keeps_a_training_form_s_repeats_and_makes_its_variations_new_sections():
    from smdiff.form.prior import exact_repeats

    form = exact_repeats(Form.parse("A4 B4 A4 A'4 B4 A'4 C4"))
    assert str(form) == "A4 B4 A4 D4 B4 D4 C4"  # A' is new, and comes back as itself
    assert form.bar_pairs() == (Form.parse("A4 B4 A4 D4 B4 D4 C4").bar_pairs()[0], [])


def test_a_prior_of_real_songs_draws_their_forms_and_reads_back_the_same(pop909, tmp_path):
    from smdiff.form.prior import FormPrior

    tables = arranged_songs(pop909, "A B A C")
    prior = FormPrior.of_tables([*tables, tables[0].excerpt(0, 4)], 32)
    assert len(prior.forms) == len(tables) + 1 and prior.forms[-1].bar_pairs() == ([], [])  # 4 bars repeat nothing
    for form in prior.forms[:-1]:  # every arranged song's second A is found as a repeat
        assert {(16 + bar, bar) for bar in range(8)} <= set(form.bar_pairs()[0]), str(form)
    assert 0.2 < prior.repeated_share() < 0.5  # 8 of 32 bars in the arranged songs (a real phrase may repeat too)
    prior.save(tmp_path / "prior.json")
    assert FormPrior.load(tmp_path / "prior.json") == prior
    assert FormPrior.load(tmp_path / "missing.json") is None
    FormPrior(8, (Form(()),)).save(tmp_path / "empty.json")  # a window too short for any section
    assert FormPrior.load(tmp_path / "empty.json") == FormPrior(8, (Form(()),))
    rng = np.random.default_rng(0)
    assert {str(prior.draw(rng)) for _ in range(200)} == {str(form) for form in prior.forms}


def test_a_gap_of_a_real_song_matches_the_passage_with_its_surroundings_without_reading_the_gap(pop909):
    from smdiff.form.match import matching_passage

    pieces = arranged_songs(pop909, "A B C A B C")  # the second B (bars 32-40) repeats bars 8-16
    for song, piece in enumerate(pieces):
        match = matching_passage(piece, (32, 40), window_bars=64)
        assert match is not None and match.source == (8, 16) and match.similarity == 1.0, song
        scrambled = piece.select(~((piece.bar >= 32) & (piece.bar < 40)))  # what the gap holds is never read
        assert matching_passage(scrambled, (32, 40), window_bars=64) == match
        assert matching_passage(piece, (32, 40), window_bars=16) is None  # no window holds gap and passage
    assert len(pieces) >= 6
