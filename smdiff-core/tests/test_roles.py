"""Automatic track roles on real MIDI files: names, the drum channel, programs, note statistics, skylines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import symusic

from smdiff.data.piece import Piece
from smdiff.data.roles import assign_roles, track_facts
from smdiff.errors import DataError
from smdiff.testing import pop909_or_bundled, scale, write_midi

TRIO = ("melody", "bridge", "piano")
HIGH_LINE = [(beat * 480, 480, 72 + beat % 7, 90) for beat in range(32)]
LOW_LINE = [(beat * 960, 960, 36 + beat % 5, 90) for beat in range(16)]
CHORDS = [(bar * 1920, 1920, pitch, 70) for bar in range(8) for pitch in (60, 64, 67)]
DRUMS = [(beat * 240, 120, 36 + 6 * (beat % 2), 100) for beat in range(64)]


def roles(path: Path, slots, track_map=None) -> dict[str, tuple[tuple[str, ...], str]]:
    """Slot → (names of the chosen tracks, rule)."""
    score = symusic.Score(str(path))
    return {
        slot: (tuple(score.tracks[i].name for i in choice.tracks), choice.rule)
        for slot, choice in assign_roles(score, slots, track_map).items()
    }


@pytest.mark.parametrize(
    ("name", "slot"),
    [("  Melody ", "melody"), ("LEAD VOCAL", "melody"), ("E.Piano", "piano"), ("Acoustic Bass", "bass"),
     ("Drum Kit", "drums"), ("melody", "melody"), ("MELODY", "melody")],
)  # fmt: skip
def test_names_hint_roles_in_any_case_and_spacing(tmp_path, name, slot):
    other = "Strings" if slot != "melody" else "Pad"
    path = write_midi(tmp_path / "song.mid", {name: HIGH_LINE if slot != "bass" else LOW_LINE, other: CHORDS})
    assert roles(path, ("melody", "bass", "piano", "drums"))[slot] == ((name,), "name")


def test_a_bassoon_is_not_a_bass_and_a_single_unnamed_track_is_the_melody(tmp_path):
    bassoon = write_midi(tmp_path / "bassoon.mid", {"Bassoon": HIGH_LINE}, programs={"Bassoon": 70})
    assert roles(bassoon, ("bass",)) == {}  # no name hint, no bass program, not a low line
    folk = write_midi(tmp_path / "folk.mid", {"": scale(8)})
    assert roles(folk, ("melody",)) == {"melody": (("",), "single track")}


def test_a_chord_track_fills_the_chords_slot_and_never_the_melody_or_the_piano(tmp_path):
    path = write_midi(tmp_path / "lead.mid", {"Chords": CHORDS, "": HIGH_LINE})
    assert roles(path, (*TRIO, "chords")) == {"melody": (("",), "single track"), "chords": (("Chords",), "name")}
    alone = write_midi(tmp_path / "chords.mid", {"CHORDS": CHORDS})
    assert roles(alone, ("melody", "chords")) == {"chords": (("CHORDS",), "name")}


def test_the_drum_channel_fills_drums_and_never_the_melody(tmp_path):
    path = write_midi(tmp_path / "band.mid", {"Perc": DRUMS, "Line": HIGH_LINE, "Low": LOW_LINE},
                      drums=("Perc",), programs={"Low": 33})  # fmt: skip
    found = roles(path, ("melody", "bass", "drums"))
    assert found == {"melody": (("Line",), "most melodic line"), "bass": (("Low",), "program"),
                     "drums": (("Perc",), "drum channel")}  # fmt: skip


def test_statistics_pick_the_high_line_as_melody_the_low_line_as_bass_and_the_rest_as_accompaniment(tmp_path):
    path = write_midi(
        tmp_path / "untitled.mid",
        {"Track 1": CHORDS, "Track 2": LOW_LINE, "Track 3": HIGH_LINE},
        programs={"Track 1": 48, "Track 2": 48, "Track 3": 48},
    )  # fmt: skip  (all strings: no program hint)
    assert roles(path, ("melody", "bass", "piano")) == {
        "melody": (("Track 3",), "most melodic line"),
        "bass": (("Track 2",), "lowest line"),
        "piano": (("Track 1",), "accompaniment"),
    }


def test_without_a_monophonic_line_the_melody_is_the_top_line_of_the_most_melodic_track(tmp_path):
    right = [(n * 480, 480, p, 90) for n in range(16) for p in (60 + n % 5, 67 + n % 5)]  # thirds and fifths
    left = [(n * 960, 960, p, 80) for n in range(8) for p in (36, 43)]
    path = write_midi(tmp_path / "piano.mid", {"Piano RH": right, "Piano LH": left})
    assert roles(path, ("melody",)) == {"melody": (("Piano RH",), "skyline")}
    piece = Piece.read(path, slots=("melody",))
    melody = piece.notes["melody"]
    assert len(melody.time) == 16 and (np.diff(melody.time) > 0).all()
    assert (melody.time[:-1].astype(np.int64) + melody.duration[:-1] <= melody.time[1:]).all()  # one note at a time
    assert melody.pitch.tolist() == [67 + n % 5 for n in range(16)] and piece.roles == {"melody": "skyline"}


def test_an_explicit_track_map_wins_for_its_slot_and_the_others_stay_automatic(tmp_path):
    path = write_midi(tmp_path / "song.mid", {"Melody": HIGH_LINE, "Flute": LOW_LINE, "Piano": CHORDS},
                      programs={"Flute": 73})  # fmt: skip
    found = roles(path, TRIO, {"melody": "program:72-79"})
    assert found == {"melody": (("Flute",), "track_map"), "piano": (("Piano",), "name")}


def test_a_file_with_no_usable_track_is_one_clear_error(tmp_path):
    path = write_midi(tmp_path / "drums.mid", {"Kit": DRUMS}, drums=("Kit",))
    with pytest.raises(DataError, match=r"no track fits melody \(tracks: 'Kit'\); choose them with data.track_map"):
        Piece.read(path, slots=("melody",))


def test_pop909_songs_renamed_as_in_its_alternate_versions_keep_their_roles(tmp_path):
    """POP909's other versions write `Melody`, `PIANO ` or two PIANO tracks; an unknown name falls to statistics."""
    song = pop909_or_bundled(Path(__file__).resolve().parents[2]) / "001" / "001.mid"
    score = symusic.Score(str(song))
    original = {slot: Piece.read(song, slots=TRIO).notes[slot] for slot in TRIO}
    for melody_name, bridge_name, piano_name in [("Melody", "Bridge", "Piano "), ("melody ", "BRIDGE", "PIANO")]:
        renamed = score.copy()
        for track, name in zip(renamed.tracks, (melody_name, bridge_name, piano_name), strict=True):
            track.name = name
        path = tmp_path / f"{melody_name.strip()}.mid"
        renamed.dump_midi(str(path))
        piece = Piece.read(path, slots=TRIO)
        assert piece.roles == {"melody": "name", "bridge": "name", "piano": "name"}
        assert all(np.array_equal(piece.notes[s].pitch, original[s].pitch) for s in TRIO)
    unknown = score.copy()
    unknown.tracks[0].name = "CAU"
    unknown.dump_midi(str(tmp_path / "cau.mid"))
    piece = Piece.read(tmp_path / "cau.mid", slots=TRIO)
    # statistics alone cannot tell POP909's vocal line from its bridge (a higher line of its own): the melody slot
    # gets one of the two monophonic lines, never the piano, and the bridge keeps its name
    assert piece.roles == {"melody": "most melodic line", "bridge": "name", "piano": "name"}
    assert np.array_equal(piece.notes["melody"].pitch, original["melody"].pitch)


def test_facts_see_monophony_through_a_held_pedal_note(tmp_path):
    pedal = [(0, 480 * 64, 48, 60), *[(beat * 480, 480, 60 + beat % 7, 90) for beat in range(1, 64)]]
    path = write_midi(tmp_path / "pedal.mid", {"Organ": pedal})
    (facts,) = track_facts(symusic.Score(str(path)))
    assert facts.monophony > 0.95 and facts.notes == 64
