"""Per-piece tonality and melodic motion of each track of multi-track samples, beside the run's real test songs.

    smdiff sample --load_dir runs/trio --n_samples 32 --out_dir runs/trio/samples-32
    python benchmarks/per_track.py --sample_dir runs/trio/samples-32

For every track name (MELODY, BRIDGE, PIANO, …): the median over pieces of
`scale_consistency` and `pitch_class_entropy` of that track's notes alone, and of
the step share, leap share and mean interval of that track's top line, for the
samples and for the run's test-split windows (decoded with its tokenizer).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from smdiff.checkpoints import run_dir_of
from smdiff.data.cache import TokenCache
from smdiff.data.catalog import config_cache_path as cache_path
from smdiff.inference import load_run
from smdiff.midi import load_score
from smdiff.notes import NoteTable
from smdiff.plugins import get_registries
from smdiff_metrics.motion import avg_pitch_shift, leap_share, step_share, top_line
from smdiff_metrics.tonality import pitch_class_entropy, scale_consistency


def own_line(statistic):
    """A motion statistic read on each table's own top line: one track's notes, not the piece's melody."""

    def per_piece(tables: list) -> np.ndarray:
        return statistic(tables, line_of=top_line)

    per_piece.__name__ = statistic.__name__
    return per_piece


#: per-piece statistics of one track's notes: tonality, then the motion of its top line
STATISTICS = (
    scale_consistency,
    pitch_class_entropy,
    own_line(step_share),
    own_line(leap_share),
    own_line(avg_pitch_shift),
)


def by_track(scores: list, names: tuple[str, ...]) -> dict[str, tuple[float, ...]]:
    """Track name → the median of each of :data:`STATISTICS` over the pieces where it has notes."""
    result = {}
    for name in names:
        tables = []
        for score in scores:
            table = NoteTable.from_score(score)
            track_names = [t.name.strip().upper() for t in score.tracks]
            if name.upper() in track_names:
                tables.append(table.select(table.track == track_names.index(name.upper())))
        tables = [t for t in tables if len(t)]
        result[name] = tuple(float(np.nanmedian(statistic(tables))) for statistic in STATISTICS)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample_dir", type=Path, required=True)
    args = parser.parse_args()
    index = json.loads((args.sample_dir / "index.json").read_text())
    registries = get_registries()
    run = load_run(run_dir_of(Path(index["checkpoint"])), load_step=None, ema=True, registries=registries)
    spec = registries.tokenizers.get(run.config.data.tokenizer_id)
    cache = TokenCache.load(cache_path(run.config), tokenizer_id=spec.id, tokenizer_version=spec.version,
                            rebuild_hint="smdiff prepare")  # fmt: skip
    real = [run.tokenizer.decode(np.asarray(cache.windows[i])) for i in cache.split_indices("test")]
    samples = [load_score(args.sample_dir / record["midi"]) for record in index["samples"]]
    names = tuple(name.upper() for name in run.tokenizer.track_names)
    model, reference = by_track(samples, names), by_track(real, names)
    print(f"{len(samples)} samples of {run.checkpoint} (step {run.step}); {len(real)} real test windows\n")
    print("| track | " + " | ".join(f"{s.__name__}: samples / real" for s in STATISTICS) + " |")
    print("|---|" + "---|" * len(STATISTICS))
    for name in names:
        cells = [f"{mine:.3f} / {theirs:.3f}" for mine, theirs in zip(model[name], reference[name], strict=True)]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
