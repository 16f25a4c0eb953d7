"""Reading many files at once: bar grids, pieces and failures agree with reading them one by one."""

from __future__ import annotations

import resource

import numpy as np
import pytest
import symusic

from smdiff.data.allocator import reuse_freed_memory
from smdiff.data.bars import BarGrid, bar_grids
from smdiff.data.cache import padding_windows
from smdiff.data.piece import Piece
from smdiff.errors import DataError
from smdiff.testing import scale, write_midi
from smdiff.tokens import TokenSpec

MELODY = {"melody": "name:MELODY"}


def annotated_song(folder, lines, *, notes=None):
    path = write_midi(folder / "song.mid", {"MELODY": notes or scale(3)}, signature=(1, 4))
    (folder / "beat_midi.txt").write_text("\n".join(lines) + "\n")
    return path


def test_pop909_grids_built_together_equal_grids_built_alone(pop909):
    # Every 10th song: songs with and without tempo changes, pick-ups and irregular bars.
    paths = sorted(pop909.glob("*/*.mid"))[::10]
    scores = [symusic.Score(str(path)) for path in paths]
    together = bar_grids(scores, paths)
    assert {grid.source for grid in together} == {"annotation"}
    for score, path, grid in zip(scores, paths, together, strict=True):
        alone = BarGrid.for_score(score, source_path=path)
        np.testing.assert_array_equal(grid.beat_ticks, alone.beat_ticks)
        np.testing.assert_array_equal(grid.downbeats, alone.downbeats)


def test_unusable_annotations_fall_back_to_declared_bars_without_spoiling_the_batch(tmp_path):
    beats = [f"{beat * 0.5} 0.0 {1.0 if beat % 4 == 0 else 0.0}" for beat in range(16)]
    good = annotated_song(tmp_path / "good", beats)
    no_number = annotated_song(tmp_path / "text", ["beat one 1.0", *beats[1:]])
    no_downbeat = annotated_song(tmp_path / "none", [line[:-3] + "0.0" for line in beats])
    two_columns = annotated_song(tmp_path / "short", [line.rsplit(" ", 1)[0] for line in beats])
    integer_flags = annotated_song(tmp_path / "ints", [line.replace(".0", "") for line in beats[1:]])
    paths = [good, no_number, no_downbeat, two_columns, integer_flags]
    grids = bar_grids([symusic.Score(str(path)) for path in paths], paths)
    assert [grid.source for grid in grids] == ["annotation", "declared", "declared", "declared", "annotation"]
    assert set(grids[0].beats_per_bar()) == {4}
    assert grids[4].bar_start_ticks[1] - grids[4].bar_start_ticks[0] == 4 * 480


def test_read_many_returns_each_failure_in_place(tmp_path):
    good = write_midi(tmp_path / "good.mid", {"MELODY": scale(2)})
    other = write_midi(tmp_path / "other.mid", {"PIANO": scale(2)})  # an explicit name:MELODY map finds no track
    (tmp_path / "empty.mid").write_bytes(b"")
    (tmp_path / "text.mid").write_bytes(b"not midi")
    paths = [good, tmp_path / "empty.mid", other, tmp_path / "text.mid", good]
    read = Piece.read_many(paths, track_map=MELODY)
    assert isinstance(read[0], Piece) and isinstance(read[4], Piece)
    assert (
        "empty" in str(read[1])
        and "no track fits melody (name:MELODY) (tracks: 'PIANO')" in str(read[2])
        and "not a readable" in str(read[3])
    )
    assert all(isinstance(read[i], DataError) for i in (1, 2, 3))
    np.testing.assert_array_equal(read[0].notes["melody"].time, Piece.read(good, track_map=MELODY).notes["melody"].time)


def test_default_encode_many_encodes_one_by_one_and_reports_failures(tmp_path, toy_tokenizer):
    good = write_midi(tmp_path / "good.mid", {"MELODY": scale(4)})
    (tmp_path / "bad.mid").write_bytes(b"MThd garbage")
    first, failure, again = toy_tokenizer.encode_many([good, tmp_path / "bad.mid", good], bars=2)
    np.testing.assert_array_equal(first.windows, toy_tokenizer.encode(good, bars=2).windows)
    np.testing.assert_array_equal(again.windows, first.windows)
    assert "not a readable MIDI file" in failure.reason


def test_padding_windows_hold_the_padding_row_everywhere():
    spec = TokenSpec(channels=("a", "b", "c"), vocab_sizes=(10, 300, 7), pad_ids=(9, 299, 6))
    windows = padding_windows(5, 7, spec)
    assert windows.shape == (5, 7, 3) and windows.dtype == np.uint16
    assert (windows == np.array([9, 299, 6])).all()
    assert padding_windows(0, 7, spec).shape == (0, 7, 3)


@pytest.mark.skipif(not reuse_freed_memory(), reason="needs glibc malloc")
def test_freed_memory_is_reused_without_page_faults():
    def faults_of_a_fresh_megabyte() -> int:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        np.ones(2**17).sum()  # a 1 MiB temporary, written then freed
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    faults_of_a_fresh_megabyte()
    # Without the setting each such temporary costs ~256 page faults (one per 4 KiB page).
    assert min(faults_of_a_fresh_megabyte() for _ in range(5)) < 32
