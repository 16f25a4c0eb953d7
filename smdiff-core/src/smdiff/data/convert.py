"""Token arrays back to MIDI files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import attrs
import numpy as np

from smdiff.config.schema import DataConfig
from smdiff.data.cache import sidecar_path
from smdiff.data.keys import transpose_score
from smdiff.errors import DataError, SmdiffError
from smdiff.midi import save_score
from smdiff.tokenizer import Tokenizer


@attrs.frozen
class ConvertReport:
    """Files written, and every window that could not be decoded with the reason (its position included)."""

    written: list[Path]
    failed: list[str]


def load_token_windows(path: Path, n_channels: int | None = None) -> np.ndarray:
    """Read ``.npy`` tokens as ``[n, length, channels]`` (a single window may be 2-D, or 1-D for one channel)."""
    try:
        tokens = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise DataError(f"{path}: no such token file") from None
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: not a .npy token array ({error})") from None
    if tokens.ndim == 1:
        tokens = tokens[None, :, None]
    elif tokens.ndim == 2:
        tokens = tokens[None] if n_channels is None or tokens.shape[1] == n_channels else tokens[..., None]
    if tokens.ndim != 3 or not np.issubdtype(tokens.dtype, np.integer):
        raise DataError(
            f"{path}: expected integer tokens shaped [windows, length, channels], got {tokens.dtype} {tokens.shape}"
        )
    return tokens


@attrs.frozen
class StoredSettings:
    """What smdiff wrote beside token files about them: the data settings and the key shift of each window."""

    data: DataConfig
    #: semitones that move each window back into its song's key (``None``: nothing to move)
    shifts: np.ndarray | None
    #: where the settings were read (a cache's sidecar, or a sample folder's index.json)
    origin: Path


def stored_settings(path: Path, base: DataConfig) -> StoredSettings | None:
    """The settings of a prepared cache (its sidecar) or of a ``smdiff sample`` output (its folder's ``index.json``)."""
    sidecar = sidecar_path(path)
    if sidecar.is_file():
        meta = json.loads(sidecar.read_text())
        settings = meta.get("settings", {})
        data = _evolved(base, {**settings, "tokenizer_id": meta["tokenizer"]["id"], "bars": meta["bars"]})
        return StoredSettings(data, _cache_window_shifts(meta), sidecar)
    index_path = path.parent / "index.json"
    if not index_path.is_file():
        return None
    index = json.loads(index_path.read_text())
    record = next((r for r in index.get("samples", []) if r.get("tokens") == path.name), None)
    if record is None or "data" not in index:
        return None
    shift = record.get("semitones_moved") or 0
    return StoredSettings(_evolved(base, index["data"]), np.array([shift]) if shift else None, index_path)


def _evolved(base: DataConfig, stored: dict) -> DataConfig:
    return attrs.evolve(
        base,
        tokenizer_id=stored["tokenizer_id"],
        bars=stored["bars"],
        max_notes=stored.get("max_notes", base.max_notes),
        time_signature=stored.get("time_signature"),
        track_map=stored.get("track_map", {}),
        normalise_key=stored.get("normalise_key", False),
    )


def _cache_window_shifts(meta: dict) -> np.ndarray | None:
    """Semitones that move each window of a key-normalised cache back into its song's key."""
    if "file_transposition" not in meta:
        return None
    per_file = -np.asarray(meta["file_transposition"], dtype=np.int64)
    return per_file[np.asarray(meta["window_file"], dtype=np.int64)]


def convert_windows(
    tokens: np.ndarray,
    tokenizer: Tokenizer,
    output_dir: Path,
    stem: str,
    *,
    shifts: np.ndarray | None = None,
    on_window: Callable[[], None] = lambda: None,
) -> ConvertReport:
    """Decode every window to ``output_dir/<stem>_<index>.mid``; invalid windows are reported, not fatal.

    ``shifts[i]`` semitones move window ``i`` after decoding (a key-normalised
    cache's windows back into their songs' keys, see :func:`stored_settings`);
    a single shift applies to every window.
    """
    written, failed = [], []
    width = max(4, len(str(len(tokens) - 1)))
    for index in range(len(tokens)):
        try:
            score = tokenizer.decode(np.asarray(tokens[index]))
            if shifts is not None:
                score = transpose_score(score, int(shifts[index if len(shifts) > 1 else 0]))
        except SmdiffError as error:
            failed.append(f"window {index}: {error}")
        else:
            written.append(save_score(score, output_dir / f"{stem}_{index:0{width}d}.mid"))
        on_window()
    return ConvertReport(written, failed)
