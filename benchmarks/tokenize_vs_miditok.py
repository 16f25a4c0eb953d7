"""Tokenizer speed on POP909: smdiff's tokenizers against MidiTok's Octuple, in one process.

    python benchmarks/tokenize_vs_miditok.py [--root ../shared/data/POP909] [--limit N] [--json out.json]

MidiTok is configured to encode whole songs (programs, tempos, time signatures,
velocities; bar embedding large enough not to clip). smdiff encodes what
``smdiff prepare`` encodes (up to 5 windows per song), the way it does: files
in batches through ``Tokenizer.encode_many``, parsed one by one and encoded in
one vectorised pass (the one-file-at-a-time ``encode`` rate is reported too).
Both run in one process with the same allocator settings. For decoding, each song
is encoded whole into one window and decoded once, like MidiTok's decode of a
whole song (the decode of all 5 prepare windows per song is reported too).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import tempfile
import time
import warnings
from pathlib import Path

import attrs
import symusic

from smdiff.config import DataConfig
from smdiff.data.allocator import reuse_freed_memory
from smdiff.data.prepare import ENCODE_BATCH, prepare_cache
from smdiff.plugins import get_registries
from smdiff.tokenizer import build_tokenizer

WHOLE_SONG_BARS = 512
WHOLE_SONG_NOTES = 8192
TOKENIZERS = {
    "melody": DataConfig(tokenizer_id="melody", bars=64),
    "trio": DataConfig(tokenizer_id="trio", bars=64),
    "melody_octuple": DataConfig(tokenizer_id="melody_octuple", bars=64, max_notes=512),
    "trio_octuple": DataConfig(tokenizer_id="trio_octuple", bars=32, max_notes=1024),
}


def rate(function, items) -> tuple[float, list]:
    started = time.perf_counter()
    results = [function(item) for item in items]
    return len(items) / (time.perf_counter() - started), results


def miditok_rates(files: list[Path]) -> dict[str, float]:
    from miditok import Octuple, TokenizerConfig

    config = TokenizerConfig(
        use_programs=True,
        use_tempos=True,
        use_time_signatures=True,
        use_velocities=True,
        max_bar_embedding=2048,
    )
    tokenizer = Octuple(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tokenizer.decode(tokenizer.encode(files[0]))  # warm-up, untimed (as for smdiff)
        encode, sequences = rate(tokenizer.encode, files)
        decode, _ = rate(tokenizer.decode, sequences)
    return {"encode_files_per_s": encode, "decode_files_per_s": decode}


def parse_rates(files: list[Path]) -> dict[str, float]:
    import miditoolkit

    subset = files[: max(1, len(files) // 10)]
    return {
        "symusic_files_per_s": rate(lambda f: symusic.Score(str(f)), files)[0],
        "miditoolkit_files_per_s": rate(lambda f: miditoolkit.MidiFile(str(f)), subset)[0],
    }


def encode_in_batches(tokenizer, files: list[Path], bars: int) -> list:
    """Encode as `smdiff prepare` does: batches of files, up to 5 windows per song."""
    batches = [files[i : i + ENCODE_BATCH] for i in range(0, len(files), ENCODE_BATCH)]
    return [encoding for batch in batches for encoding in tokenizer.encode_many(batch, bars=bars, max_windows=5)]


def smdiff_rates(files: list[Path], config: DataConfig) -> dict[str, float]:
    """Encode as `smdiff prepare` does (batches, 5 windows per song); decode each song whole, once, as MidiTok does."""
    tokenizer = build_tokenizer(config)
    encode_in_batches(tokenizer, files[:ENCODE_BATCH], config.bars)  # warm-up: one batch, untimed (as for MidiTok)
    started = time.perf_counter()
    encodings = encode_in_batches(tokenizer, files, config.bars)
    encode = len(files) / (time.perf_counter() - started)
    single, _ = rate(lambda f: tokenizer.encode(f, bars=config.bars, max_windows=5), files)
    whole = build_tokenizer(attrs.evolve(config, bars=WHOLE_SONG_BARS, max_notes=WHOLE_SONG_NOTES))
    songs = [whole.encode(f, bars=WHOLE_SONG_BARS, max_windows=1).windows[0] for f in files]
    decode, _ = rate(whole.decode, songs)
    windows_decode, _ = rate(lambda e: [tokenizer.decode(w) for w in e.windows], encodings)
    windows = sum(len(e.windows) for e in encodings)
    return {
        "encode_files_per_s": encode,
        "single_file_encode_files_per_s": single,
        "decode_files_per_s": decode,
        "window_decode_files_per_s": windows_decode,
        "windows": windows,
    }


def prepare_seconds(root: Path, config: DataConfig, workers: int) -> float:
    data = attrs.evolve(config, root_dir=str(root), num_workers=workers)
    with tempfile.TemporaryDirectory() as folder:
        report = prepare_cache(data, functools.partial(build_tokenizer, data), Path(folder) / "cache.npy")
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
    rows = {"MidiTok Octuple": base, **{name: results[name] for name in TOKENIZERS}}
    for name, row in rows.items():
        encode, decode = row["encode_files_per_s"], row["decode_files_per_s"]
        single = row.get("single_file_encode_files_per_s", encode)
        enc_ratio, dec_ratio = encode / base["encode_files_per_s"], decode / base["decode_files_per_s"]
        print(
            f"{name:<16}{encode:>16.1f}{enc_ratio:>11.1f}{single:>12.1f}{single / base['encode_files_per_s']:>11.1f}"
            f"{decode:>16.1f}{dec_ratio:>11.1f}"
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
    reuse_freed_memory()  # as `smdiff prepare` does; set before either tokenizer runs, so both run with it
    results = {
        "files": len(files),
        "cpus": os.cpu_count(),
        "parse": parse_rates(files),
        "miditok_octuple": miditok_rates(files),
    }
    for name, config in TOKENIZERS.items():
        results[name] = smdiff_rates(files, config)
    results["prepare_trio_octuple_2_workers_s"] = prepare_seconds(args.root, TOKENIZERS["trio_octuple"], 2)

    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
