"""`smdiff sample` with a form: repeats decided once for every copy, variations, gaps that repeat given bars."""

from __future__ import annotations

import json

import numpy as np
import pytest
import symusic

from smdiff.form import Form
from smdiff.form.prior import FORM_PRIOR_FILE, FormPrior
from smdiff.form.ties import form_ties
from smdiff.notes import NoteTable
from smdiff.testing import assert_kept_outside_selection, bar_quarters, scale, train_tiny_run, write_midi

BAR = 16  # grid rows per bar
#: an infilling of bars 2-3 of a song, for the refusals
GAP = ["--task", "infill", "--input-midi", "SONG", "--mask-start-bar", "2", "--mask-end-bar", "4"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A real trio model of 8-bar windows, briefly trained on songs whose melodies differ from bar to bar."""
    root = tmp_path_factory.mktemp("songs")
    for song in range(8):
        melody = [(beat * 480, 480, 60 + (beat * (song + 3)) % 12, 90) for beat in range(32)]
        write_midi(root / f"{song}.mid", {"MELODY": melody, "BRIDGE": scale(8, low=55),
                                         "PIANO": [(b * 1920, 1920, 48 + (b + song) % 5, 80) for b in range(8)]})  # fmt: skip
    return train_tiny_run(root, tmp_path_factory.mktemp("run"), tokenizer="trio", bars=8, steps=20)


def sample(cli, run, out, *args):
    return cli("sample", "--load-dir", str(run), "--out-dir", str(out), "--sample-steps", "8", *args)


def onsets(table: NoteTable, bar: int) -> set[tuple[int, int, int]]:
    """The notes starting in ``bar``: (sixteenth, pitch, track)."""
    notes = table.in_bars(bar, bar + 1)
    return set(zip(np.round(notes.positions() * 16).astype(int), notes.pitch, notes.track, strict=True))


@pytest.mark.parametrize("sampler", ["confidence", "ancestral"])
def test_repeated_sections_are_the_same_notes_and_a_variation_keeps_its_share(cli, run, tmp_path, sampler):
    result = sample(cli, run, tmp_path, "--form", "A2 A2 B2 A'2", "--n-samples", "3", "--sampler", sampler,
                    "--seed", "4", "--vary-keep", "0.5")  # fmt: skip
    assert result.exit_code == 0, result.output
    kept = form_ties(Form.parse("A2 A2 B2 A'2"), np.ones((8 * BAR, 3), bool), np.arange(8 * BAR) // BAR, keep=0.5,
                     rng=np.random.default_rng(4))[6 * BAR :, 0] != np.arange(6 * BAR, 8 * BAR)  # fmt: skip
    assert kept.sum() == 16
    free_differs = 0
    for index in range(3):
        tokens = np.load(tmp_path / f"sample_{index:04d}.npy")
        assert np.array_equal(tokens[2 * BAR : 4 * BAR], tokens[: 2 * BAR])  # the second A, every track
        assert np.array_equal(tokens[6 * BAR :][kept], tokens[: 2 * BAR][kept])  # the variation's kept quarters
        free_differs += not np.array_equal(tokens[4 * BAR : 6 * BAR], tokens[: 2 * BAR])
        table = NoteTable.from_score(symusic.Score(str(tmp_path / f"sample_{index:04d}.mid")))
        assert onsets(table, 2) == onsets(table, 0) and onsets(table, 3) == onsets(table, 1)
    assert free_differs == 3  # B is free: not a copy of A


def test_a_gap_repeats_the_given_bars_of_a_real_song_and_the_rest_of_the_song_is_kept(cli, run, pop909, tmp_path):
    song = sorted(pop909.glob("*/*.mid"))[0]
    result = sample(cli, run, tmp_path, "--task", "infill", "--input-midi", str(song), "--mask-start-bar", "16",
                    "--mask-end-bar", "18", "--mask-tracks", "melody", "--repeat-from", "10-12")  # fmt: skip
    assert result.exit_code == 0, result.output
    before, after = symusic.Score(str(song)), symusic.Score(str(tmp_path / "sample_0000.mid"))
    melody = [track.name for track in before.tracks].index("MELODY")
    assert_kept_outside_selection(before, after, bar_quarters(song), (17, 18), {melody})
    table = NoteTable.from_score(after, source_path=song)
    table = table.select(table.track == melody)
    original = NoteTable.from_score(before, source_path=song)
    original = original.select(original.track == melody)
    for bar in (0, 1):
        assert onsets(table, 16 + bar) == onsets(original, 10 + bar)  # the melody of bars 10-11, note for note
        assert onsets(original, 10 + bar) and onsets(original, 16 + bar) != onsets(original, 10 + bar)


def test_a_gap_varies_the_given_bars_keeping_the_asked_share(cli, run, pop909, tmp_path):
    song = sorted(pop909.glob("*/*.mid"))[0]
    result = sample(cli, run, tmp_path, "--task", "infill", "--input-midi", str(song), "--mask-start-bar", "4",
                    "--mask-end-bar", "6", "--mask-tracks", "melody", "--vary-from", "0-2", "--vary-keep", "0.25",
                    "--n-samples", "2")  # fmt: skip
    assert result.exit_code == 0, result.output
    for index in range(2):
        tokens = np.load(tmp_path / f"sample_{index:04d}.npy")
        same = (tokens[4 * BAR : 6 * BAR, 0] == tokens[: 2 * BAR, 0]).reshape(8, 4).all(axis=1)
        assert same.sum() >= 2  # 2 of the 8 quarter bars are kept (others may agree by chance)


def test_a_form_taken_from_a_song_is_followed(cli, run, tmp_path):
    phrase = [(beat * 480, 480, pitch, 90) for beat, pitch in enumerate([60, 62, 64, 65, 67, 65, 64, 62] * 2)]
    other = [(beat * 480, 480, pitch, 90) for beat, pitch in enumerate([72, 71, 69, 67, 69, 71, 72, 74] * 2)]
    melody = (
        phrase + [(t + 4 * 1920, d, p, v) for t, d, p, v in phrase] + [(t + 8 * 1920, d, p, v) for t, d, p, v in other]
    )
    song = write_midi(tmp_path / "aab.mid", {"MELODY": melody})
    result = sample(cli, run, tmp_path / "out", "--form-from", str(song), "--n-samples", "2")
    assert result.exit_code == 0, result.output
    for index in range(2):
        tokens = np.load(tmp_path / "out" / f"sample_{index:04d}.npy")
        assert np.array_equal(tokens[4 * BAR : 8 * BAR], tokens[: 4 * BAR])  # A4 A4: the form of the song's 8 bars


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--form", "A4 B4 C4"], "covers 12 bars; the model writes 8 at once"),
        (["--form", "A4 B"], "'B' is not a section"),
        (["--form", "A4 A4", "--form-from", "SONG"], "pass one of --form, --form-from"),
        (["--form-from", "MISSING"], "no such file"),
        (
            ["--task", "infill", "--input-midi", "SONG", "--mask-start-bar", "2", "--form", "A2 A2"],
            "--form has no effect",
        ),
        (["--repeat-from", "0-2"], "--repeat_from has no effect with --task uncond"),
        (["--vary-keep", "0.3"], "--vary-keep has no effect without a variation"),
        (["--form", "A2 A'2", "--vary-keep", "2"], "--vary-keep must be a share between 0 and 1"),
        (
            [*GAP, "--repeat-from", "3-5"],
            "overlaps the gap 2-4",
        ),
        (
            [*GAP, "--repeat-from", "5-8"],
            "is 3 bars but the gap 2-4 is 2",
        ),
        (
            [*GAP, "--vary-from", "two-four"],
            "is not a bar range",
        ),
    ],
)
def test_a_bad_form_request_is_one_line_exit_2_and_writes_nothing(cli, run, tmp_path, args, message):
    paths = {"SONG": str(write_midi(tmp_path / "song.mid", {"MELODY": scale(8)})), "MISSING": str(tmp_path / "no.mid")}
    result = sample(cli, run, tmp_path / "out", *[paths.get(arg, arg) for arg in args])
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_evaluate_refuses_a_form_the_user_chose(cli, run, tmp_path):
    result = cli("evaluate", "--load-dir", str(run), "--n-samples", "2", "--set", "sample.form=A2 A2")
    assert result.exit_code == 2 and "never a form you choose" in result.stderr


def test_new_pieces_follow_forms_drawn_from_the_training_songs_unless_told_not_to(cli, run, tmp_path):
    prior = FormPrior.load(run / FORM_PRIOR_FILE)
    assert prior is not None and prior.bars == 8 and any(form.bar_pairs()[0] for form in prior.forms)
    result = sample(cli, run, tmp_path / "prior", "--n-samples", "8", "--seed", "0")
    assert result.exit_code == 0, result.output
    assert "8 of 8 new pieces follow forms drawn from the training songs' (--no-form-prior" in result.output
    records = json.loads((tmp_path / "prior" / "index.json").read_text())["samples"]
    drawn = [Form.parse(record["form"]) for record in records if record["form"]]
    assert {str(form) for form in drawn} <= {str(form) for form in prior.forms}
    repeated = 0
    for record in records:
        if not record["form"]:
            continue
        tokens = np.load(tmp_path / "prior" / record["tokens"])
        for bar, original in Form.parse(record["form"]).bar_pairs()[0]:
            assert np.array_equal(tokens[bar * BAR : (bar + 1) * BAR], tokens[original * BAR : (original + 1) * BAR])
            repeated += 1
    assert repeated > 0
    result = sample(cli, run, tmp_path / "alone", "--n-samples", "2", "--no-form-prior")
    assert result.exit_code == 0, result.output
    assert all(r["form"] is None for r in json.loads((tmp_path / "alone" / "index.json").read_text())["samples"])


def phrase_song(path, order: str):
    """An 8-bar melody of 2-bar phrases in ``order`` (e.g. "A B A B"), with a bridge and piano under it."""
    phrases = {
        "A": [60, 62, 64, 65, 67, 65, 64, 62],
        "B": [72, 71, 69, 67, 69, 71, 72, 74],
        "C": [55, 59, 62, 59, 57, 60, 64, 60],
    }
    melody = [
        (place * 2 * 1920 + beat * 480, 480, pitch, 90)
        for place, letter in enumerate(order.split())
        for beat, pitch in enumerate(phrases[letter])
    ]
    return write_midi(path, {"MELODY": melody, "BRIDGE": scale(8, low=55),
                             "PIANO": [(b * 1920, 1920, 48 + b % 5, 80) for b in range(8)]})  # fmt: skip


def test_a_gap_repeats_the_passage_whose_surroundings_match_its_own(cli, run, tmp_path):
    song = phrase_song(tmp_path / "abab.mid", "A B A B")
    gap = ["--task", "infill", "--input-midi", str(song), "--mask-start-bar", "4", "--mask-end-bar", "6",
           "--mask-tracks", "melody"]  # fmt: skip
    result = sample(cli, run, tmp_path / "form", *gap, "--n-samples", "2")
    assert result.exit_code == 0, result.output
    assert "2 of 2 gaps repeat the passage their song's form matched (e.g. bars 0-2" in result.output
    before = NoteTable.from_score(symusic.Score(str(song)))
    for index in range(2):
        record = json.loads((tmp_path / "form" / "index.json").read_text())["samples"][index]
        assert record["song_form"] == {"repeats_bars": [0, 2], "surroundings_similarity": 1.0}
        after = NoteTable.from_score(symusic.Score(str(tmp_path / "form" / f"sample_{index:04d}.mid")))
        melody = [name.upper() for name in after.track_names].index("MELODY")
        after = after.select(after.track == melody)
        original = before.select(before.track == [n.upper() for n in before.track_names].index("MELODY"))
        for bar in (4, 5):  # the A played at bars 0-1, note for note
            assert {(s, p) for s, p, _ in onsets(after, bar)} == {(s, p) for s, p, _ in onsets(original, bar - 4)}
    result = sample(cli, run, tmp_path / "alone", *gap, "--no-song-form")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "alone" / "index.json").read_text())["samples"][0]["song_form"] is None


def test_a_gap_without_a_matching_passage_is_the_model_s_own(cli, run, tmp_path):
    song = phrase_song(tmp_path / "abca.mid", "A B C A")
    result = sample(cli, run, tmp_path / "out", "--task", "infill", "--input-midi", str(song), "--mask-start-bar",
                    "2", "--mask-end-bar", "4", "--mask-tracks", "melody")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "out" / "index.json").read_text())["samples"][0]["song_form"] is None
    assert "gaps repeat" not in result.output


def test_evaluation_windows_follow_their_own_form_as_songs_do(run, tmp_path):
    from smdiff.config.schema import SampleConfig
    from smdiff.inference import load_run, window_jobs
    from smdiff.plugins import get_registries

    registries = get_registries()
    loaded = load_run(run, load_step=None, ema=True, registries=registries)
    settings = SampleConfig(task="infill", mask_start_bar=4, mask_end_bar=6, mask_tracks=("melody",))
    task = registries.tasks.get("infill").factory(settings)
    score = symusic.Score(str(phrase_song(tmp_path / "abab.mid", "A B A B")))
    window = loaded.tokenizer.encode(score, bars=8).windows[0]
    (job,) = window_jobs(loaded, task, [window], song_form=True)
    assert job.song_form is not None and job.song_form.source == (0, 2)
    leaders = job.ties[4 * BAR : 6 * BAR, 0]
    assert np.array_equal(leaders, np.arange(2 * BAR))  # the gap's melody is decided by bars 0-1
    (alone,) = window_jobs(loaded, task, [window], song_form=False)
    assert alone.song_form is None and alone.ties is None


def test_evaluate_scores_new_pieces_with_their_drawn_forms_and_says_so(cli, run, tmp_path):
    for prior, drawn in (("true", 6), ("false", 0)):
        out = tmp_path / prior
        result = cli("evaluate", "--load-dir", str(run), "--n-samples", "6", "--sample-steps", "4", "--out-dir",
                     str(out), "--set", f"sample.form_prior={prior}")  # fmt: skip
        assert result.exit_code == 0, result.output
        report = json.loads((out / "metrics_uncond.json").read_text())
        assert report["pieces_with_drawn_forms"] == drawn
        assert ("6 of 6 new pieces follow forms drawn from the training songs' (sample.form_prior=false" in
                result.output) == bool(drawn)  # fmt: skip
