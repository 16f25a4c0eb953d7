"""Training data: memory-mapped cache windows in a resumable order, with transposition augmentation."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from smdiff.data.cache import TokenCache
from smdiff.tokenizer import Tokenizer


class ResumableBatches:
    """Batches of window indices, shuffled per epoch from ``seed``; can start at any (epoch, batch) position.

    Every process of a data-parallel run iterates the same global batches and
    reads, augments and trains on its own rows of each, so no sampler state is
    split across ranks.
    """

    def __init__(self, indices: np.ndarray, batch_size: int, seed: int, *, epoch: int = 0, position: int = 0) -> None:
        if len(indices) < batch_size:
            raise ValueError(f"{len(indices)} windows cannot fill one batch of {batch_size}")
        self.indices = np.asarray(indices)
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = epoch
        self.position = position

    @property
    def batches_per_epoch(self) -> int:
        """Batches per epoch (the last partial batch is dropped)."""
        return len(self.indices) // self.batch_size

    def __iter__(self) -> Iterator[np.ndarray]:
        while True:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(self.indices)
            while self.position < self.batches_per_epoch:
                start = self.position * self.batch_size
                self.position += 1
                yield np.sort(order[start : start + self.batch_size])
            self.epoch += 1
            self.position = 0


def fetch_batch(windows: np.ndarray, batch: np.ndarray) -> np.ndarray:
    """Read the windows of one batch from the (memory-mapped) cache as int64."""
    return np.asarray(windows[batch], dtype=np.int64)


def transposition_shifts(count: int, max_shift: int, rng: np.random.Generator) -> np.ndarray | None:
    """A random shift in ``[-max_shift, max_shift]`` for each of ``count`` windows (``None`` without augmentation).

    Drawn for the whole global batch on every rank, so the ranks' generators stay in step.
    """
    if max_shift <= 0:
        return None
    return rng.integers(-max_shift, max_shift + 1, size=count)


def augment(batch: np.ndarray, tokenizer: Tokenizer, shifts: np.ndarray | None) -> np.ndarray:
    """Transpose each window by its shift (the same for all its tracks); ``None`` leaves the batch as it is."""
    return batch if shifts is None else tokenizer.transpose(batch, shifts)


def to_device(batch: np.ndarray, device: torch.device) -> torch.Tensor:
    """A batch as an int64 tensor on ``device``."""
    return torch.from_numpy(np.ascontiguousarray(batch)).to(device, non_blocking=True)


def split_or_fail(cache: TokenCache, split: str, needed: int) -> np.ndarray:
    """Window indices of ``split``; too few to fill a batch is a clear error."""
    from smdiff.errors import DataError

    indices = cache.split_indices(split)
    if len(indices) < needed:
        raise DataError(
            f"the {split} split of {cache.path} has {len(indices)} window(s), fewer than one batch of {needed}; "
            "lower train.batch_size or change data.split"
        )
    return indices
