"""Coverage and speed of encoding MIDI that is not shaped like POP909: a varied music21 corpus beside POP909.

    python benchmarks/any_midi.py --corpus_dir /tmp/music21-midi --compare 29e8542 --repeat 3

1. Exports a varied selection of music21's bundled corpus to MIDI under ``--corpus_dir`` (once;
   later runs reuse it): Bach chorales, Palestrina masses, Monteverdi madrigals, Trecento songs,
   Essen and O'Neill folk tunes, Ryan's Mammoth fiddle tunes, string quartets, piano pieces.
2. Coverage: for `melody`, `trio`, `trio_octuple`, `octuple` and `melody_bass_drums`, how many
   readable files give windows, and each skipped file's reason, with this checkout's automatic
   track roles and with ``--compare``'s code (a tokenizer it lacks is shown as "—").
3. Speed: files/s and notes/s of `Tokenizer.encode_many` (one process, batches of 64 as `smdiff
   prepare` hands them out) on POP909 and on the corpus, this checkout against ``--compare``,
   interleaved run by run (which side goes first alternates; one untimed warm-up run each);
   medians and spreads of ``--repeat`` runs.

The other revision runs from a temporary git worktree put first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("smdiff-core", "smdiff-onehot", "smdiff-octuple", "smdiff-metrics", "smdiff-slurm")
TOKENIZERS = ("melody", "trio", "trio_octuple", "octuple", "melody_bass_drums")
SELECTION = {
    "bach": 60, "palestrina": 25, "monteverdi": 10, "trecento": 10, "essenFolksong": 25, "oneills1850": 10,
    "ryansMammoth": 15, "mozart": 3, "haydn": 3, "beethoven": 3, "joplin": 1, "schumann_robert": 3, "chopin": 1,
}  # fmt: skip
BATCH = 64


def measure(tokenizer_id: str, folder: str) -> dict:
    """Encode every MIDI file under ``folder`` (run inside the side's own interpreter): coverage and time."""
    from smdiff.config import DataConfig
    from smdiff.midi import find_midi_files
    from smdiff.plugins import get_registries
    from smdiff.tokenizer import EncodeFailure

    registries = get_registries()
    if tokenizer_id not in registries.tokenizers:
        return {}
    config = DataConfig(tokenizer_id=tokenizer_id, bars=4)
    tokenizer = registries.tokenizers.get(tokenizer_id).factory(config)
    files = [str(path) for path in find_midi_files(Path(folder))]
    started = time.perf_counter()
    results = []
    for start in range(0, len(files), BATCH):
        results += tokenizer.encode_many(files[start : start + BATCH], bars=4, max_windows=5)
    seconds = time.perf_counter() - started
    failures = [r.reason for r in results if isinstance(r, EncodeFailure)]
    empty = sum(1 for r in results if not isinstance(r, EncodeFailure) and len(r.windows) == 0)
    notes = sum(r.counts.get("notes", 0) for r in results if not isinstance(r, EncodeFailure))
    return {"files": len(files), "encoded": len(files) - len(failures) - empty, "failures": failures,
            "seconds": seconds, "notes": notes}  # fmt: skip


def run_side(checkout: Path, tokenizer_id: str, folder: Path) -> dict:
    """:func:`measure` in a fresh interpreter with ``checkout``'s code first on the path."""
    path = os.pathsep.join(str(checkout / package / "src") for package in PACKAGES)
    code = f"import json, runpy; m = runpy.run_path({str(Path(__file__))!r}); print(json.dumps(m['measure']({tokenizer_id!r}, {str(folder)!r})))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": path})  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Export, then measure both sides on both corpora, interleaved."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus_dir", type=Path, required=True)
    parser.add_argument("--pop909", type=Path, default=ROOT.parent / "shared" / "data" / "POP909")
    parser.add_argument("--compare", required=True, help="git revision to measure against")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from smdiff.testing import export_music21_corpus

    works = export_music21_corpus(args.corpus_dir, SELECTION)
    print(f"music21 corpus: {len(works)} works under {args.corpus_dir}", flush=True)
    with tempfile.TemporaryDirectory() as temp:
        other = Path(temp) / "other"
        subprocess.run(["git", "worktree", "add", "--detach", str(other), args.compare], cwd=ROOT, check=True,
                       capture_output=True)  # fmt: skip
        try:
            sides = [("this checkout", ROOT), (args.compare, other)]
            for _, checkout in sides:  # untimed: the first run of a process pays for cold file and page caches
                run_side(checkout, TOKENIZERS[0], args.pop909)
            rows: dict[tuple[str, str, str], list[dict]] = {}
            for repeat in range(args.repeat):
                for tokenizer_id in TOKENIZERS:
                    for corpus, folder in (("POP909", args.pop909), ("music21", args.corpus_dir)):
                        for label, checkout in sides if repeat % 2 == 0 else sides[::-1]:  # alternate who goes first
                            rows.setdefault((tokenizer_id, corpus, label), []).append(
                                run_side(checkout, tokenizer_id, folder)
                            )
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, capture_output=True)
    print("\n| tokenizer | corpus | code | files encoded | files/s (min–max) | notes/s |\n|---|---|---|---|---|---|")
    for (tokenizer_id, corpus, label), runs in rows.items():
        if not runs[0]:
            print(f"| {tokenizer_id} | {corpus} | {label} | — | — | — |")
            continue
        rates = [r["files"] / r["seconds"] for r in runs]
        first = runs[0]
        print(f"| {tokenizer_id} | {corpus} | {label} | {first['encoded']} / {first['files']} | "
              f"{statistics.median(rates):,.0f} ({min(rates):,.0f}–{max(rates):,.0f}) | "
              f"{statistics.median(r['notes'] / r['seconds'] for r in runs):,.0f} |")  # fmt: skip
    for (tokenizer_id, corpus, label), runs in rows.items():
        reasons = sorted(set(runs[0].get("failures", [])))
        if reasons:
            print(
                f"{tokenizer_id} / {corpus} / {label}: skipped for {'; '.join(reason[:90] for reason in reasons[:3])}"
            )


if __name__ == "__main__":
    main()
