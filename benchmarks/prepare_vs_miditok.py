"""`smdiff prepare` end to end, start-up included, against a MidiTok Octuple encode script on the same files.

    pip install miditok==3.1.0 miditoolkit
    python benchmarks/prepare_vs_miditok.py [--root_dir ../shared/data/POP909] [--files 300] [--repeat 3]

Both run as fresh processes (`python -m smdiff.cli prepare --dataset_id
pop909_trio_octuple …` and `python -c <encode every file with MidiTok's
Octuple>`), interleaved --repeat times on the first --files songs, so each
side pays its own interpreter and import start-up as a user would. Reports the
wall-clock seconds of each run and the ratio of medians (target ≥ 20×).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from smdiff.testing import pop909_root

MIDITOK_SCRIPT = """
import sys
from pathlib import Path
from miditok import Octuple, TokenizerConfig
config = TokenizerConfig(use_programs=True, use_tempos=True, use_time_signatures=True, use_velocities=True,
                         max_bar_embedding=2048)
tokenizer = Octuple(config)
for path in sorted(Path(sys.argv[1]).glob("*/*.mid")):
    tokenizer.encode(path)
"""


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root_dir", type=Path, default=pop909_root())
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        songs = Path(scratch) / "songs"
        for folder in sorted(p for p in args.root_dir.iterdir() if p.is_dir())[: args.files]:
            (songs / folder.name).mkdir(parents=True)
            for file in folder.iterdir():  # the MIDI file and its annotations
                (songs / folder.name / file.name).symlink_to(file.resolve())
        smdiff = [sys.executable, "-m", "smdiff.cli", "prepare", "--dataset_id", "pop909_trio_octuple", "--root_dir",
                  str(songs), "--cache_path", str(Path(scratch) / "cache.npy")]  # fmt: skip
        miditok = [sys.executable, "-c", MIDITOK_SCRIPT, str(songs)]
        times: dict[str, list[float]] = {"smdiff prepare": [], "MidiTok Octuple script": []}
        for _ in range(args.repeat):
            times["MidiTok Octuple script"].append(timed(miditok))
            times["smdiff prepare"].append(timed(smdiff))
    print(f"{args.files} POP909 songs, {args.repeat} interleaved runs each\n")
    print("| | seconds (each run) | median |\n|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {', '.join(f'{v:.2f}' for v in values)} | {statistics.median(values):.2f} |")
    ratio = statistics.median(times["MidiTok Octuple script"]) / statistics.median(times["smdiff prepare"])
    print(f"\nsmdiff prepare is {ratio:.1f}× faster end to end")


if __name__ == "__main__":
    main()
