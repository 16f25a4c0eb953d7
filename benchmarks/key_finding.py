"""How often does key normalisation find POP909's annotated key? Estimated keys against `key_audio.txt`.

    python benchmarks/key_finding.py --root_dir ../shared/data/POP909

For every song, the annotated key is the one that lasts longest in its
``key_audio.txt`` (songs that modulate have several). The estimate is
:func:`smdiff.data.keys.score_key` on the song's MIDI (all its tracks). Reported:
the share of songs where the estimate names the same key, and where it gives the
same key signature (what normalisation needs: relative major and minor share
one, so either transposes the song onto the white keys), beside the baseline of
always guessing the most common annotated key.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from smdiff.data.keys import Key, score_key
from smdiff.midi import load_score


def annotated_key(path: Path) -> Key | None:
    """The longest-lasting key of a POP909 ``key_audio.txt`` (lines: start, end, ``Tonic:maj|min``)."""
    durations: Counter[Key] = Counter()
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3:
            durations[Key.parse(parts[2])] += float(parts[1]) - float(parts[0])
    return durations.most_common(1)[0][0] if durations else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root_dir", type=Path, default=Path("../shared/data/POP909"))
    args = parser.parse_args()
    pairs = []
    started = time.perf_counter()
    for folder in sorted(p for p in args.root_dir.iterdir() if (p / "key_audio.txt").is_file()):
        truth = annotated_key(folder / "key_audio.txt")
        if truth is not None:
            pairs.append((truth, score_key(load_score(folder / f"{folder.name}.mid"))))
    seconds = time.perf_counter() - started
    same_key = sum(truth == guess for truth, guess in pairs)
    same_signature = sum(
        guess is not None and truth.normalising_shift == guess.normalising_shift for truth, guess in pairs
    )
    common = Counter(truth for truth, _ in pairs).most_common(1)[0]
    common_signature = Counter(truth.normalising_shift for truth, _ in pairs).most_common(1)[0]
    print(f"{len(pairs)} songs with key annotations, {seconds:.1f} s")
    print(f"same key:           {same_key / len(pairs):.3f}  (always '{common[0].name}': {common[1] / len(pairs):.3f})")
    print(
        f"same key signature: {same_signature / len(pairs):.3f}  "
        f"(always the most common signature: {common_signature[1] / len(pairs):.3f})"
    )


if __name__ == "__main__":
    main()
