"""Tokenizer speed on POP909: smdiff's tokenizers against MidiTok's Octuple, in one process.

    python benchmarks/tokenize_vs_miditok.py [--root ../shared/data/POP909] [--limit N] [--json out.json]

MidiTok is configured to encode whole songs (programs, tempos, time signatures,
velocities; bar embedding large enough not to clip). smdiff encodes what
``smdiff prepare`` encodes (up to 5 windows per song), the way it does: files
in batches of 64 through ``Tokenizer.encode_many``, each file parsed on its own
and the batch tokenized in one vectorised pass (the one-file-at-a-time
``encode`` rate is reported too). For decoding, each song is encoded whole into
one window and decoded once, like MidiTok's decode of a whole song.

Both sides are timed batch by batch, interleaved: MidiTok encodes a batch,
then each smdiff tokenizer encodes the same batch, and so on, so a slow moment
of the machine falls on both sides alike. Rates are files over summed time.
One warm-up batch per side is not timed. Both run with the allocator setting
``smdiff prepare`` uses.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import attrs
import symusic

from smdiff.config import DataConfig
from smdiff.data.allocator import reuse_freed_memory
from smdiff.data.prepare import ENCODE_BATCH, prepare_cache
from smdiff.plugins import get_registries
from smdiff.tokenizer import Tokenizer, build_tokenizer

WHOLE_SONG_BARS = 512
WHOLE_SONG_NOTES = 8192
TOKENIZERS = {
    "melody": DataConfig(tokenizer_id="melody", bars=64),
    "trio": DataConfig(tokenizer_id="trio", bars=64),
    "melody_octuple": DataConfig(tokenizer_id="melody_octuple", bars=64, max_notes=512),
    "trio_octuple": DataConfig(tokenizer_id="trio_octuple", bars=32, max_notes=1024),
}


class Stopwatch:
    """Seconds summed per named task, over many timed calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def run(self, task: str, work: Callable[..., object], *args: object) -> object:
        started = time.perf_counter()
        result = work(*args)
        self.seconds[task] = self.seconds.get(task, 0.0) + time.perf_counter() - started
        return result


def miditok_octuple():
    from miditok import Octuple, TokenizerConfig

    config = TokenizerConfig(
        use_programs=True, use_tempos=True, use_time_signatures=True, use_velocities=True, max_bar_embedding=2048
    )
    return Octuple(config)


def whole_song_tokenizer(config: DataConfig) -> Tokenizer:
    return build_tokenizer(attrs.evolve(config, bars=WHOLE_SONG_BARS, max_notes=WHOLE_SONG_NOTES))


def measure(files: list[Path]) -> dict[str, dict[str, float]]:
    """Encode and decode rates of MidiTok and every smdiff tokenizer, timed batch by batch, interleaved."""
    miditok = miditok_octuple()
    tokenizers = {name: build_tokenizer(config) for name, config in TOKENIZERS.items()}
    whole = {name: whole_song_tokenizer(config) for name, config in TOKENIZERS.items()}
    batches = [files[i : i + ENCODE_BATCH] for i in range(0, len(files), ENCODE_BATCH)]
    clock = Stopwatch()

    def encode(name: str, batch: list[Path]) -> list:
        return tokenizers[name].encode_many(batch, bars=TOKENIZERS[name].bars, max_windows=5)

    def encode_one_by_one(name: str, batch: list[Path]) -> list:
        return [tokenizers[name].encode(path, bars=TOKENIZERS[name].bars, max_windows=5) for path in batch]

    def songs(name: str, batch: list[Path]) -> list:
        return [e.windows[0] for e in whole[name].encode_many(batch, bars=WHOLE_SONG_BARS, max_windows=1)]

    def decode(name: str, windows: list) -> list:
        return [whole[name].decode(window) for window in windows]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        miditok.decode(miditok.encode(files[0]))  # warm-up, untimed
        for name in TOKENIZERS:
            encode(name, batches[0])
            decode(name, songs(name, batches[0][:4]))
        for batch in batches:
            sequences = clock.run("miditok encode", lambda paths: [miditok.encode(path) for path in paths], batch)
            clock.run("miditok decode", lambda tokens: [miditok.decode(sequence) for sequence in tokens], sequences)
            for name in TOKENIZERS:
                clock.run(f"{name} encode", encode, name, batch)
                clock.run(f"{name} one-by-one", encode_one_by_one, name, batch)
                clock.run(f"{name} decode", decode, name, songs(name, batch))
    per_second = {task: len(files) / seconds for task, seconds in clock.seconds.items()}
    results = {"miditok_octuple": _rates(per_second, "miditok")}
    results["miditok_octuple"]["single_file_encode_files_per_s"] = results["miditok_octuple"]["encode_files_per_s"]
    for name in TOKENIZERS:
        results[name] = _rates(per_second, name)
    return results


def _rates(per_second: dict[str, float], name: str) -> dict[str, float]:
    rates = {
        "encode_files_per_s": per_second[f"{name} encode"],
        "decode_files_per_s": per_second[f"{name} decode"],
    }
    if f"{name} one-by-one" in per_second:
        rates["single_file_encode_files_per_s"] = per_second[f"{name} one-by-one"]
    return rates


def parse_rates(files: list[Path]) -> dict[str, float]:
    import miditoolkit

    def rate(parse: Callable[[Path], object], items: list[Path]) -> float:
        started = time.perf_counter()
        for path in items:
            parse(path)
        return len(items) / (time.perf_counter() - started)

    return {
        "symusic_files_per_s": rate(lambda f: symusic.Score(str(f)), files),
        "miditoolkit_files_per_s": rate(lambda f: miditoolkit.MidiFile(str(f)), files[: max(1, len(files) // 10)]),
    }


def prepare_seconds(root: Path, config: DataConfig, workers: int) -> float:
    data = attrs.evolve(config, root_dir=str(root), num_workers=workers)
    with tempfile.TemporaryDirectory() as folder:
        version = get_registries().tokenizers.get(data.tokenizer_id).version
        report = prepare_cache(
            data, functools.partial(build_tokenizer, data), Path(folder) / "cache.npy", tokenizer_version=version
        )
    return report.seconds


def print_table(results: dict) -> None:
    base = results["miditok_octuple"]
    parse = results["parse"]
    print(f"{results['files']} POP909 files, {results['cpus']} CPUs")
    print(
        f"parse: symusic {parse['symusic_files_per_s']:.0f} files/s, miditoolkit {parse['miditoolkit_files_per_s']:.1f}"
    )
    print(
        f"{'tokenizer':<16}{'encode files/s':>16}{'x MidiTok':>11}{'one-by-one':>12}{'x MidiTok':>11}"
        f"{'decode files/s':>16}{'x MidiTok':>11}"
    )
    for name, row in {"MidiTok Octuple": base, **{name: results[name] for name in TOKENIZERS}}.items():
        encode, single, decode = (
            row["encode_files_per_s"],
            row["single_file_encode_files_per_s"],
            row["decode_files_per_s"],
        )
        print(
            f"{name:<16}{encode:>16.1f}{encode / base['encode_files_per_s']:>11.1f}"
            f"{single:>12.1f}{single / base['encode_files_per_s']:>11.1f}"
            f"{decode:>16.1f}{decode / base['decode_files_per_s']:>11.1f}"
        )
    print(f"smdiff prepare, trio_octuple, 2 workers: {results['prepare_trio_octuple_2_workers_s']:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(os.environ.get("SMDIFF_POP909", "../shared/data/POP909")))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if not args.root.is_dir():
        raise SystemExit(f"POP909 not found at {args.root}; pass --root or set SMDIFF_POP909")
    files = sorted(args.root.rglob("*.mid"))[: args.limit]
    get_registries()
    reuse_freed_memory()  # as `smdiff prepare` does; set before either side runs, so both run with it
    results = {"files": len(files), "cpus": os.cpu_count(), "parse": parse_rates(files), **measure(files)}
    results["prepare_trio_octuple_2_workers_s"] = prepare_seconds(args.root, TOKENIZERS["trio_octuple"], 2)
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
