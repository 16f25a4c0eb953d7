"""One call that runs a training job: run directory, storage, resume or init, distributed wrapping."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from smdiff import checkpoints as ckpt
from smdiff.config.resolve import to_toml
from smdiff.config.schema import SmdiffConfig
from smdiff.devices import resolve_device
from smdiff.errors import DataError
from smdiff.form.prior import FORM_PRIOR_FILE, FormPrior
from smdiff.progress import status
from smdiff.training.components import build_components
from smdiff.training.distributed import DistInfo, any_rank, barrier, init_distributed, shutdown
from smdiff.training.loop import Trainer, TrainReport
from smdiff.training.rundir import CONFIG_SNAPSHOT, claim_run_dir, default_run_dir
from smdiff.training.signals import StopRequests

if TYPE_CHECKING:
    from smdiff.registry import Registries

CHECKPOINT_HEADROOM = 4  # checkpoints' worth of free disk required before starting


def _load_resume(run_dir: Path, resume: str) -> tuple[Path, dict[str, Any]] | None:
    if resume != "latest":
        path = Path(resume)
        return path, ckpt.load_checkpoint(path)
    return ckpt.latest_valid_checkpoint(run_dir)


def _check_compatible(trainer: Trainer, payload: dict[str, Any], path: Path) -> None:
    diff = ckpt.compatibility_diff(payload.get("identity", {}), trainer.c.identity())
    if diff:
        raise DataError(f"checkpoint {path} does not fit this run: " + "; ".join(diff))


def _init_weights_from(trainer: Trainer, path: Path, allow_partial: bool) -> None:
    payload = ckpt.load_checkpoint(path)
    model = trainer.c.model
    own = model.state_dict()
    weights = {k: v for k, v in payload["model"].items() if k in own and own[k].shape == v.shape}
    mismatched = sorted((set(own) | set(payload["model"])) - set(weights))
    if mismatched and not allow_partial:
        raise DataError(
            f"--init_from {path}: {len(mismatched)} tensor(s) do not match this model "
            f"(e.g. {', '.join(mismatched[:3])}); pass --allow_partial to load only the matching ones"
        )
    model.load_state_dict(weights, strict=False)
    if trainer.c.ema is not None:
        trainer.c.ema.model.load_state_dict(model.state_dict())
    status(f"initialised {len(weights)}/{len(own)} tensors from {path}")


def run_training(
    config: SmdiffConfig,
    registries: Registries,
    *,
    resume: str | None = None,
    init_from: str | None = None,
    allow_partial: bool = False,
) -> TrainReport:
    """Train ``config``: ``resume`` is ``"latest"`` (the run directory's newest valid checkpoint) or a path."""
    dist = init_distributed(resolve_device(config.train.device).type)
    try:
        c = build_components(config, registries)
        storage = registries.storage.get(c.config.storage.backend).factory(c.config.storage, default_run_dir(c.config))
        run_dir = Path(storage.run_dir)
        # each node's first process brings the run from home onto that node's scratch, so ranks on every
        # node resume from the same checkpoint; whether anything was restored is decided for all ranks at once
        restored = any_rank(storage.restore() if dist.local_rank == 0 else False, dist)
        if restored and resume is None:
            resume = "latest"  # a run brought back from home continues; it never starts over
        existing = claim_run_dir(run_dir, resuming=resume is not None or restored) if dist.is_main else True
        barrier(dist)
        trainer = Trainer(c, run_dir, dist)
        trainer.after_checkpoint = lambda path: storage.sync("checkpoint")
        if resume is not None and (existing or resume != "latest"):
            found = _load_resume(run_dir, resume)
            if found is not None:
                _check_compatible(trainer, found[1], found[0])
                trainer.restore(found[1], found[0])
                status(f"resuming {run_dir} at step {trainer.state.step} from {found[0]}")
        elif init_from:
            _init_weights_from(trainer, Path(init_from), allow_partial)
        if dist.is_main:
            ckpt.check_free_space(run_dir, CHECKPOINT_HEADROOM * _checkpoint_bytes(c.model))
            (run_dir / CONFIG_SNAPSHOT).write_text(to_toml(c.config))
            _write_form_prior(c, run_dir)
        _wrap_distributed(c, dist)
        report = trainer.run()
        if dist.is_main:
            with StopRequests():  # a second SIGTERM (the time limit) must not cut the last sync or the requeue short
                storage.sync("end")
                storage.finish(report.stopped_by)
        # no rank leaves before rank 0 has synced home and requeued: a stopped rank exits non-zero, and
        # `srun --kill-on-bad-exit` or torchrun then kills the others, rank 0 and its requeue with them
        barrier(dist)
        return report
    finally:
        shutdown(dist)


def _write_form_prior(c: Any, run_dir: Path) -> None:
    """The forms of the training windows, which new pieces draw theirs from (:mod:`smdiff.form.prior`); once a run."""
    path = run_dir / FORM_PRIOR_FILE
    if path.exists():
        return
    bars = c.config.data.bars
    prior = FormPrior.of_windows(c.tokenizer, c.cache.windows, c.cache.split_indices("train"), bars)
    if prior is not None:
        prior.save(path)
        status(f"form prior: {len(prior.forms)} training windows, {prior.repeated_share():.2f} of bars repeat")


def _checkpoint_bytes(model: torch.nn.Module) -> int:
    # weights, EMA and two Adam moments, all float32
    return 4 * 4 * sum(p.numel() for p in model.parameters())


def _wrap_distributed(c: Any, dist: DistInfo) -> None:
    if dist.world > 1:
        device_ids = [dist.local_rank] if c.device.type == "cuda" else None
        c.model = torch.nn.parallel.DistributedDataParallel(c.model, device_ids=device_ids)
