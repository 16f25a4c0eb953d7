"""Audio of a piece: FluidSynth renders its MIDI with a General MIDI soundfont, on this machine, no network.

(symusic's own synthesizer cannot hand its audio to numpy 2 in the versions
smdiff supports, so the renderer is the ``fluidsynth`` program, Debian package
``fluidsynth``.)
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import attrs
import symusic

#: where Debian's General MIDI soundfont packages put their files (``default-GM`` is the alternatives link)
SOUNDFONT_CANDIDATES = (
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/sounds/sf3/default-GM.sf3",
    "/usr/share/soundfonts/default.sf2",
)
SAMPLE_RATE = 22050
INSTALL_HINT = (
    "install a General MIDI soundfont and FluidSynth (Debian/Ubuntu: `sudo apt-get install fluidsynth "
    "fluid-soundfont-gm`, or the smaller `timgm6mb-soundfont`), then pass --soundfont PATH if it is not found"
)


@attrs.frozen
class AudioSetup:
    """Whether audio works here: the soundfont and renderer found, or why not (``problem``)."""

    soundfont: Path | None
    fluidsynth: str | None
    problem: str | None

    @classmethod
    def find(cls, soundfont: Path | None) -> AudioSetup:
        """Use ``soundfont`` when given, else the first Debian soundfont present; the renderer from ``PATH``."""
        program = shutil.which("fluidsynth")
        if soundfont is not None and not Path(soundfont).is_file():
            return cls(None, program, f"soundfont {soundfont} does not exist; {INSTALL_HINT}")
        found = (
            Path(soundfont) if soundfont else next((Path(p) for p in SOUNDFONT_CANDIDATES if Path(p).is_file()), None)
        )
        if found is None:
            return cls(None, program, f"no soundfont found; {INSTALL_HINT}")
        if program is None:
            return cls(found, None, f"the fluidsynth program is missing; {INSTALL_HINT}")
        return cls(found, program, None)

    def render(self, score: symusic.Score, wav: Path) -> Path:
        """Write ``score`` as a WAV file at ``wav`` (stereo, 22.05 kHz); the file appears whole or not at all."""
        if self.problem is not None or self.soundfont is None or self.fluidsynth is None:
            raise RuntimeError(self.problem or "audio is not available")
        with tempfile.TemporaryDirectory(dir=wav.parent) as folder:
            midi, partial = Path(folder) / "piece.mid", Path(folder) / "piece.wav"
            score.dump_midi(str(midi))
            command = [self.fluidsynth, "-ni", "-q", "-g", "0.7", "-r", str(SAMPLE_RATE), "-T", "wav",
                       "-F", str(partial), str(self.soundfont), str(midi)]  # fmt: skip
            subprocess.run(command, check=True, capture_output=True, timeout=120)
            partial.replace(wav)  # two requests for one piece each render; the file is always complete
        return wav
