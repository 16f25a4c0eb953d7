"""Token caches: one memory-mappable ``.npy`` of windows plus a JSON sidecar that describes it.

The sidecar records the tokenizer id and version, the TokenSpec, bars, the
source file of every window, the song-level split of every file, what was
skipped and why, counts, and a content hash. Loading refuses a cache made by
another tokenizer, version or TokenSpec, and says how to rebuild it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from smdiff.config.schema import SPLIT_NAMES
from smdiff.data.atomic import write_atomically
from smdiff.errors import DataError
from smdiff.tokens import TokenSpec

CACHE_FORMAT = 1


def sidecar_path(cache_path: Path) -> Path:
    """The JSON sidecar beside a cache: ``name.npy`` → ``name.json``."""
    return Path(cache_path).with_suffix(".json")


def content_hash(windows: np.ndarray) -> str:
    """sha256 of the window bytes, in C order."""
    return "sha256:" + hashlib.sha256(np.ascontiguousarray(windows).data).hexdigest()


def smallest_dtype(token_spec: TokenSpec) -> np.dtype:
    """The smallest unsigned dtype that holds every token and mask id of ``token_spec``."""
    largest = max(token_spec.mask_ids)
    return np.dtype(np.uint8 if largest < 2**8 else np.uint16 if largest < 2**16 else np.int32)


def padding_windows(count: int, length: int, token_spec: TokenSpec) -> np.ndarray:
    """``count`` windows ``[length, channels]`` of pure padding (``token_spec.pad_ids``), in the cache dtype.

    The padding row is written once and then doubled by block copies, which
    is far faster than broadcasting a short row over a large array.
    """
    if token_spec.pad_ids is None or None in token_spec.pad_ids:
        raise ValueError("padding_windows needs a TokenSpec with a padding id for every channel")
    windows = np.empty((count, length, token_spec.n_channels), dtype=smallest_dtype(token_spec))
    flat = windows.reshape(-1)
    row = len(token_spec.pad_ids)
    if len(flat):
        flat[:row] = token_spec.pad_ids
    filled = row
    while filled < len(flat):
        step = min(filled, len(flat) - filled)
        flat[filled : filled + step] = flat[:step]
        filled += step
    return windows


@attrs.frozen
class TokenCache:
    """A loaded cache: windows (memory-mapped) and the sidecar's metadata."""

    path: Path
    windows: np.ndarray
    meta: dict[str, Any]

    @property
    def token_spec(self) -> TokenSpec:
        """The TokenSpec the windows were made with."""
        return TokenSpec.from_dict(self.meta["token_spec"])

    def split_indices(self, split: str) -> np.ndarray:
        """Indices of the windows whose source song belongs to ``split``."""
        if split not in SPLIT_NAMES:
            raise ValueError(f"split must be one of {SPLIT_NAMES}, got {split!r}")
        file_split = np.asarray(self.meta["file_split"])
        return np.flatnonzero(file_split[np.asarray(self.meta["window_file"], dtype=np.int64)] == split)

    @classmethod
    def load(
        cls, path: str | Path, *, tokenizer_id: str, tokenizer_version: str, rebuild_hint: str, verify: bool = True
    ) -> TokenCache:
        """Open a cache made by ``tokenizer_id`` at ``tokenizer_version``; anything else is a :class:`DataError`."""
        path = Path(path)
        sidecar = sidecar_path(path)
        if not path.is_file() or not sidecar.is_file():
            raise DataError(f"no prepared cache at {path}; make it with: {rebuild_hint}")
        try:
            meta = json.loads(sidecar.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise DataError(f"cache sidecar {sidecar} is unreadable ({error}); rebuild with: {rebuild_hint}") from None
        made = (meta.get("tokenizer", {}).get("id"), meta.get("tokenizer", {}).get("version"))
        if meta.get("format") != CACHE_FORMAT or made != (tokenizer_id, tokenizer_version):
            raise DataError(
                f"cache {path} was made by tokenizer '{made[0]}' version {made[1]} (format {meta.get('format')}); "
                f"this needs '{tokenizer_id}' version {tokenizer_version}. Rebuild it: {rebuild_hint}"
            )
        try:
            windows = np.load(path, mmap_mode="r")
        except (OSError, ValueError) as error:
            raise DataError(f"cache {path} is unreadable ({error}); rebuild with: {rebuild_hint}") from None
        if list(windows.shape) != meta["shape"] or (verify and content_hash(windows) != meta["content_hash"]):
            raise DataError(
                f"cache {path} does not match its sidecar (interrupted write?); rebuild with: {rebuild_hint}"
            )
        return cls(path, windows, meta)


def write_cache(path: str | Path, windows: np.ndarray, meta: dict[str, Any]) -> TokenCache:
    """Write windows and sidecar atomically (each to a temporary file, then renamed into place)."""
    path = Path(path)
    meta = {**meta, "format": CACHE_FORMAT, "shape": list(windows.shape), "dtype": str(windows.dtype)}
    meta["content_hash"] = content_hash(windows)
    write_atomically(path, lambda handle: np.save(handle, windows, allow_pickle=False))
    write_atomically(sidecar_path(path), lambda handle: handle.write(json.dumps(meta, indent=1).encode()))
    return TokenCache(path, windows, meta)
