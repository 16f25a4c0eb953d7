"""What a checkpoint holds, and putting it back."""

from __future__ import annotations

import importlib.metadata
import math
import uuid
from typing import Any

import attrs
import numpy as np
import torch

from smdiff.checkpoints import config_digest
from smdiff.config.resolve import to_dict
from smdiff.errors import DataError
from smdiff.progress import warn
from smdiff.training.components import Components
from smdiff.training.rng import capture_rng, restore_rng

#: what the kernel itself runs on; plugin distributions come from the run's providers
DEPENDENCIES = ("smdiff-core", "torch", "numpy", "symusic")


@attrs.define
class TrainState:
    """Progress of a run that a checkpoint must carry."""

    step: int = 0
    epoch: int = 0
    position: int = 0
    best_val: float = math.inf
    nonfinite_total: int = 0
    run_id: str = attrs.field(factory=lambda: uuid.uuid4().hex[:12])


def package_versions(providers: dict[str, dict[str, str]]) -> dict[str, str]:
    """Installed versions of the kernel, its main dependencies and every distribution that provided a component."""
    versions = {
        origin["distribution"]: origin["version"] for origin in providers.values() if origin["distribution"] != "?"
    }
    for name in DEPENDENCIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def build_payload(
    c: Components,
    state: TrainState,
    generators: dict[str, torch.Generator],
    augment: np.random.Generator,
    rank_rngs: list[dict[str, Any]] | None = None,
    world_size: int = 1,
) -> dict[str, Any]:
    """Everything needed to continue exactly where the run is now.

    ``rank_rngs`` holds every rank's random states (dropout streams differ by
    rank) for a data-parallel run of ``world_size`` processes; without it (a
    single process, or an emergency write by rank 0 alone) ``rng`` is rank 0's.
    """
    config = to_dict(c.config)
    model = c.model.module if hasattr(c.model, "module") else c.model
    return {
        "model": model.state_dict(),
        "ema": c.ema.state_dict() if c.ema is not None else None,
        "optimizer": c.optimizer.state_dict(),
        "scheduler": c.scheduler.state_dict(),
        "scaler": c.scaler.state_dict(),
        "state": attrs.asdict(state),
        "rng": capture_rng(generators, augment),
        "rng_ranks": rank_rngs,
        "world_size": world_size,
        "config": config,
        "config_hash": config_digest(config),
        "identity": c.identity(),
        "token_spec": c.token_spec.to_dict(),
        "ids": {
            "tokenizer": c.config.data.tokenizer_id,
            "model": c.config.model.id,
            "dataset": c.config.data.dataset_id,
        },
        "providers": c.providers,
        "versions": package_versions(c.providers),
    }


def restore_payload(
    c: Components,
    payload: dict[str, Any],
    generators: dict[str, torch.Generator],
    augment: np.random.Generator,
    *,
    rank: int = 0,
    world: int = 1,
) -> TrainState:
    """Load weights, optimizer, schedule, scaler and this rank's random states from ``payload``.

    A checkpoint of ``N`` data-parallel ranks resumes with ``N`` ranks only: with
    any other number the dropout streams could not continue, so it is refused.
    """
    model = c.model.module if hasattr(c.model, "module") else c.model
    model.load_state_dict(payload["model"])
    if c.ema is not None and payload.get("ema") is not None:
        c.ema.load_state_dict(payload["ema"])
    c.optimizer.load_state_dict(payload["optimizer"])
    c.scheduler.load_state_dict(payload["scheduler"])
    c.scaler.load_state_dict(payload["scaler"])
    saved_world = payload.get("world_size", len(payload.get("rng_ranks") or [None]))
    if saved_world != world:
        raise DataError(
            f"this checkpoint was written by {saved_world} training process(es), and this run has {world}; resume "
            f"with {saved_world} (torchrun --nproc_per_node / srun tasks), or start anew from its weights with --init_from"
        )
    ranks = payload.get("rng_ranks")
    restore_rng(ranks[rank] if ranks else payload["rng"], generators, augment)
    restored = TrainState(**payload["state"])
    if not ranks and rank > 0:  # an emergency checkpoint holds rank 0's streams only
        torch.manual_seed(c.config.train.seed + rank + 1_000_003 * restored.step)
        warn(f"rank {rank}: the checkpoint holds no random state for this rank; its dropout stream is re-seeded")
    return restored
