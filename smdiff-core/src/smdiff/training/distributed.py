"""Data-parallel training with ``torch.distributed``, launched by ``torchrun`` or ``srun``.

The launcher sets ``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` (torchrun) or the
``SLURM_*`` equivalents; one process per GPU (or CPU worker with gloo). Only
rank 0 writes logs, samples and checkpoints; stop requests are agreed across
ranks so no rank waits forever on a collective another rank never joins.
"""

from __future__ import annotations

import os
from typing import Any

import attrs
import torch
import torch.distributed as dist


@attrs.frozen
class DistInfo:
    """This process's place in the run."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Whether this process writes the run's files."""
        return self.rank == 0


def _env_int(*names: str, default: int) -> int:
    for name in names:
        if os.environ.get(name):
            return int(os.environ[name])
    return default


def init_distributed(device_type: str) -> DistInfo:
    """Join the process group the launcher described (a single process needs nothing).

    torchrun sets ``WORLD_SIZE``/``RANK``/``LOCAL_RANK``; inside an ``srun`` step
    (``SLURM_STEP_ID`` set) the ``SLURM_NTASKS``/``SLURM_PROCID``/``SLURM_LOCALID``
    of the step are used instead.
    """
    in_srun = "SLURM_STEP_ID" in os.environ and "WORLD_SIZE" not in os.environ
    world = _env_int("SLURM_NTASKS" if in_srun else "WORLD_SIZE", default=1)
    if world <= 1:
        return DistInfo()
    rank = _env_int("SLURM_PROCID" if in_srun else "RANK", default=0)
    local_rank = _env_int("SLURM_LOCALID" if in_srun else "LOCAL_RANK", default=0)
    if not dist.is_initialized():
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29500")
        # NCCL for CUDA tensors, gloo for the CPU scalars the loop reduces (stop flags, logged means)
        backend = "cpu:gloo,cuda:nccl" if device_type == "cuda" else "gloo"
        dist.init_process_group(backend, rank=rank, world_size=world)
    if device_type == "cuda":
        torch.cuda.set_device(local_rank)
    return DistInfo(rank, world, local_rank)


def any_rank(flag: bool, info: DistInfo) -> bool:
    """True on every rank when ``flag`` is true on at least one (so all stop together)."""
    if info.world == 1:
        return flag
    value = torch.tensor([1 if flag else 0])
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def gather_objects(value: Any, info: DistInfo) -> list[Any]:
    """``value`` of every rank, in rank order, on every rank (``[value]`` for a single process)."""
    if info.world == 1:
        return [value]
    gathered: list[Any] = [None] * info.world
    dist.all_gather_object(gathered, value)
    return gathered


def barrier(info: DistInfo) -> None:
    """Wait for every rank (no-op for a single process)."""
    if info.world > 1:
        dist.barrier()


def shutdown(info: DistInfo) -> None:
    """Leave the process group."""
    if info.world > 1 and dist.is_initialized():
        dist.destroy_process_group()


def mean_across(value: float, info: DistInfo) -> float:
    """The mean of ``value`` over all ranks (what a single process with the global batch would log)."""
    if info.world == 1:
        return value
    tensor = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(tensor)
    return float(tensor.item()) / info.world
