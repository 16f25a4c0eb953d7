"""Data-parallel training with ``torch.distributed``, launched by ``torchrun`` or ``srun``.

The launcher sets ``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` (torchrun) or the
``SLURM_*`` equivalents; one process per GPU (or CPU worker with gloo). Only
rank 0 writes logs, samples and checkpoints; stop requests are agreed across
ranks so no rank waits forever on a collective another rank never joins.
Host flags travel through gloo and device tensors through NCCL on GPUs (the
process group has both backends), so neither kind is copied to the other.
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
    return agree_any([flag], info)[0]


def agree_any(flags: list[bool], info: DistInfo) -> list[bool]:
    """Each flag true on every rank when it is true on at least one: one all-reduce of host values, whatever the count.

    The flags live in a CPU tensor (gloo), so agreeing on them never waits for a GPU.
    """
    if info.world == 1:
        return list(flags)
    values = torch.tensor([1 if flag else 0 for flag in flags], dtype=torch.int32)
    dist.all_reduce(values, op=dist.ReduceOp.MAX)
    return [bool(value) for value in values.tolist()]


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


def mean_over_ranks_(values: torch.Tensor, info: DistInfo) -> torch.Tensor:
    """Replace ``values`` (on the training device) by their mean over all ranks, in place, without a host read."""
    if info.world > 1:
        dist.all_reduce(values)
        values.div_(info.world)
    return values
