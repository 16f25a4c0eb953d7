"""The studio in a real browser: headless Chromium driven by Playwright, a real server, a real trained run.

The whole loop a musician does — open a song, select bars 9–12 of the melody
with the mouse, generate two variants, play one, accept it, undo and redo,
download — and the downloaded MIDI keeps every note outside the selection.
Screenshots go to ``artifacts/studio/`` (or ``$SMDIFF_ARTIFACTS``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import symusic

from smdiff.testing import (
    StudioServer,
    assert_kept_outside_selection,
    pop909_or_bundled,
    train_tiny_run,
    write_midi,
)

REPOSITORY = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("SMDIFF_ARTIFACTS", REPOSITORY / "artifacts")) / "studio"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def chromium() -> str:
    found = os.environ.get("SMDIFF_CHROMIUM") or next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if not found:
        pytest.skip("Chromium is not installed and could not be installed here (Debian: apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    run = train_tiny_run(REPOSITORY / "examples" / "pop909-mini", tmp_path_factory.mktemp("run"))
    server = StudioServer(run)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def page():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install 'smdiff-core[browser]'")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
        )
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        yield context.new_page()
        browser.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def drag_over_bars(page, first: int, last: int, lane: int = 0) -> None:
    """Press on bar ``first`` of lane ``lane`` of the piano roll and release on bar ``last``, as a person does."""
    box = page.locator("#roll").bounding_box()
    geometry = page.evaluate("() => { const g = document.getElementById('roll').geometry;"
                             " return {gutter: g.gutter, header: g.header, bar: g.barWidth, lane: g.laneHeight}; }")  # fmt: skip
    y = box["y"] + geometry["header"] + (lane + 0.5) * geometry["lane"]
    x = lambda bar: box["x"] + geometry["gutter"] + (bar - 0.5) * geometry["bar"]  # noqa: E731
    page.locator("#roll").scroll_into_view_if_needed()
    page.mouse.move(x(first), y)
    page.mouse.down()
    page.mouse.move(x((first + last) / 2), y, steps=4)
    page.mouse.move(x(last), y, steps=4)
    page.mouse.up()


def download_current(page, path: Path) -> tuple[Path, list[float]]:
    """Click *Download MIDI* and save the current piece to ``path``; its bar starts in quarters, from the API."""
    with page.expect_download() as download:
        page.click("#download")
    download.value.save_as(path)
    bars = page.evaluate("() => fetch('/api/piece/' + document.getElementById('download').href.split('/').pop()"
                         ".replace('.mid', '')).then(r => r.json()).then(p => p.bars)")  # fmt: skip
    return path, bars


def test_open_regenerate_listen_keep_and_download(studio, page, tmp_path):
    song = pop909_or_bundled(REPOSITORY) / "001" / "001.mid"
    page.goto(studio.url)
    page.wait_for_selector("body[data-ready=true]")
    assert "schmu_conv on melody, step 30" in page.inner_text("#run-info")
    page.set_input_files("#upload", str(song))
    page.wait_for_function("() => document.getElementById('piece-name').textContent.startsWith('001.mid')")
    shot(page, "1-opened")

    page.locator("#roll").wait_for()
    drag_over_bars(page, 9, 12)
    assert page.input_value("#first-bar") == "9" and page.input_value("#last-bar") == "12"
    assert page.is_checked("#track-choices input[data-track=melody]")
    page.fill("#variants", "2")
    page.fill("#steps", "16")
    page.click("#generate")
    page.wait_for_selector(".variant[data-variant='1']", timeout=60_000)
    assert page.locator(".variant").count() == 2
    assert "bars 9–12 of melody regenerated" in page.inner_text(".variant[data-variant='0'] h3")
    shot(page, "2-variants")

    play = ".variant[data-variant='0'] button:text('Play')"
    if page.evaluate("() => fetch('/api/info').then(r => r.json()).then(i => i.audio)"):
        page.fill("#play-from", "9")
        page.click(play)
        page.wait_for_function(
            "() => document.getElementById('message').textContent.includes('from bar 9')", timeout=30_000
        )
        bar_9 = page.evaluate("() => fetch('/api/piece/' + document.querySelector('.variant canvas').dataset.piece)"
                              ".then(r => r.json()).then(p => p.bars[8])")  # fmt: skip
        page.wait_for_function("() => Number(document.body.dataset.cursor) > 0", timeout=10_000)
        first = float(page.get_attribute("body", "data-cursor"))
        page.wait_for_timeout(700)
        assert float(page.get_attribute("body", "data-cursor")) > first >= bar_9  # the cursor moves with the audio
        shot(page, "3-playing")
        page.click("#stop")
    else:  # without a soundfont the page says so and play is off; everything else works
        assert page.is_disabled(play) and "Audio is off" in page.inner_text("#audio-note")

    page.click("button[data-accept='0']")
    page.wait_for_function("() => document.getElementById('piece-name').textContent.includes('variant 1')")
    assert page.locator(".variant").count() == 0
    page.click("#undo")
    assert page.inner_text("#piece-name").startswith("001.mid —")
    page.click("#redo")
    assert "variant 1" in page.inner_text("#piece-name")
    shot(page, "4-accepted")

    saved, bars = download_current(page, tmp_path / "kept.mid")
    assert assert_kept_outside_selection(symusic.Score(str(song)), symusic.Score(str(saved)), bars, (9, 12), {0}) > 0


def test_the_page_says_how_to_get_audio_when_there_is_no_soundfont(studio, page):
    quiet = StudioServer(studio.run_dir, "--soundfont", "/nonexistent.sf2")
    try:
        page.goto(quiet.url)
        page.wait_for_selector("body[data-ready=true]")
        note = page.inner_text("#audio-note")
        assert "Audio is off" in note and "apt-get install fluidsynth" in note and "Everything else works" in note
        shot(page, "5-no-audio")
    finally:
        quiet.stop()


def test_a_long_generation_shows_progress_and_can_be_cancelled(studio, page):
    page.goto(studio.url)
    page.wait_for_selector("body[data-ready=true]")
    page.set_input_files("#upload", str(pop909_or_bundled(REPOSITORY) / "001" / "001.mid"))
    page.wait_for_function("() => document.getElementById('piece-name').textContent.startsWith('001.mid')")
    page.fill("#first-bar", "1")  # the bar fields select as the mouse does
    page.fill("#last-bar", "16")
    page.fill("#steps", "1024")
    page.fill("#variants", "16")
    page.click("#generate")
    page.wait_for_function("() => /step [1-9]\\d* of 1024/.test(document.getElementById('message').textContent)")
    assert page.is_visible("#cancel") and page.is_visible("#progress")
    shot(page, "6-generating")
    page.click("#cancel")
    page.wait_for_function("() => document.getElementById('message').textContent === 'generation cancelled'")
    assert page.is_hidden("#cancel") and page.is_enabled("#generate") and page.locator(".variant").count() == 0


def test_a_selection_becomes_a_repeat_and_a_new_piece_follows_a_form_shown_as_brackets(studio, page, tmp_path):
    # a melody on the sixteenth grid, another line in every bar, so a repeat is the same notes as the original
    lines = [[60, 62, 64, 65], [67, 65, 64, 62], [64, 67, 72, 67], [69, 67, 65, 64], [62, 64, 62, 59]]
    melody = [(bar * 1920 + beat * 480 + (120 if beat == 2 else 0), 360, lines[bar % 5][beat] + bar % 3, 90)
              for bar in range(24) for beat in range(4)]  # fmt: skip
    song = write_midi(tmp_path / "lines.mid", {"MELODY": melody})
    page.goto(studio.url)
    page.wait_for_selector("body[data-ready=true]")
    page.set_input_files("#upload", str(song))
    page.wait_for_function("() => document.getElementById('piece-name').textContent.startsWith('lines.mid')")
    drag_over_bars(page, 13, 16)
    page.select_option("#copy-mode", "repeat")
    assert page.is_visible("#copy-first")
    page.fill("#copy-first", "9")
    page.fill("#copy-last", "12")
    page.fill("#variants", "1")
    page.fill("#steps", "8")
    page.click("#generate")
    page.wait_for_selector(".variant[data-variant='0']", timeout=60_000)
    assert "form A (bars 9–12), A (bars 13–16)" in page.inner_text(".variant[data-variant='0'] h3")
    assert page.get_attribute(".variant canvas", "data-form") == "A:9-12 A:13-16"
    shot(page, "7-repeat")
    page.click("button[data-accept='0']")
    saved, bars = download_current(page, tmp_path / "repeated.mid")
    score = symusic.Score(str(saved))
    tpq = score.ticks_per_quarter

    def onsets(bar: int) -> set[tuple[int, int]]:
        notes = score.tracks[0].notes
        return {
            (round((n.time / tpq - bars[bar]) * 4), n.pitch) for n in notes if bars[bar] <= n.time / tpq < bars[bar + 1]
        }

    assert [onsets(12 + bar) for bar in range(4)] == [onsets(8 + bar) for bar in range(4)]
    assert all(onsets(8 + bar) for bar in range(4)) and onsets(8) != onsets(7)

    page.select_option("#copy-mode", "")
    page.fill("#form", "A4 A4 B4 A'4")
    page.fill("#variants", "2")
    page.click("#new-piece")
    page.wait_for_selector(".variant[data-variant='1']", timeout=60_000)
    assert page.get_attribute(".variant[data-variant='0'] canvas", "data-form") == "A:1-4 A:5-8 B:9-12 A':13-16"
    shot(page, "8-form")


@pytest.fixture(scope="module")
def chord_studio(tmp_path_factory):
    run = train_tiny_run(REPOSITORY / "examples" / "pop909-mini", tmp_path_factory.mktemp("chord-run"),
                         tokenizer="trio_chords", bars=8, steps=10)  # fmt: skip
    server = StudioServer(run, "--midi_dir", str(pop909_or_bundled(REPOSITORY)))
    yield server
    server.stop()


def test_the_chord_lane_is_edited_and_accompany_plays_the_new_chords_under_the_melody(chord_studio, page, tmp_path):
    page.goto(chord_studio.url)
    page.wait_for_selector("body[data-ready=true]")
    assert page.is_visible("#chord-tools") and page.is_disabled("#accompany")
    page.select_option("#folder-files", "001/001.mid")
    page.click("#open-file")
    page.wait_for_function("() => document.getElementById('piece-name').textContent.startsWith('001.mid')")
    song_chords = page.get_attribute("#roll", "data-chords")
    assert len(song_chords.split()) > 20  # the song's annotated chords, where each starts
    drag_over_bars(page, 9, 12, lane=2)
    page.fill("#chords", "Dm G7 C Am")
    page.click("#set-chords")
    page.wait_for_function("() => document.getElementById('message').textContent.includes('Accompany writes')")
    lane = page.get_attribute("#roll", "data-chords").split()
    assert [c for c in lane if 9 <= int(c.split(":")[0]) <= 12] == ["9:Dm", "10:G7", "11:C", "12:Am"]
    shot(page, "9-chords-set")
    page.fill("#variants", "2")
    page.fill("#steps", "8")
    page.click("#accompany")
    page.wait_for_selector(".variant[data-variant='1']", timeout=60_000)
    assert "bars 9–12 of bridge, piano regenerated" in page.inner_text(".variant[data-variant='0'] h3")
    variant_lane = page.get_attribute(".variant[data-variant='0'] canvas", "data-chords").split()
    assert [c for c in variant_lane if 9 <= int(c.split(":")[0]) <= 12] == ["9:Dm", "10:G7", "11:C", "12:Am"]
    shot(page, "10-accompanied")
    page.click("button[data-accept='0']")
    saved, bars = download_current(page, tmp_path / "accompanied.mid")
    song = pop909_or_bundled(REPOSITORY) / "001" / "001.mid"
    after = symusic.Score(str(saved))
    assert after.tracks[-1].name == "CHORDS"  # the chords, for other tools; the song's own tracks follow the contract
    after.tracks.pop()
    assert assert_kept_outside_selection(symusic.Score(str(song)), after, bars, (9, 12), {1, 2}) > 0
    page.click("#undo")
    page.click("#undo")
    assert page.get_attribute("#roll", "data-chords") == song_chords  # undo brings the song's chords back
