"""A trained run, loaded to sample from: its model (EMA weights by default), tokenizer, kernel and config."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import torch

from smdiff import checkpoints as ckpt
from smdiff.config.converter import converter
from smdiff.config.resolve import drop_unknown_keys
from smdiff.config.schema import SmdiffConfig
from smdiff.devices import resolve_device, use_tensor_cores
from smdiff.errors import DataError
from smdiff.form.prior import FORM_PRIOR_FILE, FormPrior
from smdiff.kernels import KernelBackend
from smdiff.kernels.selection import select_kernel
from smdiff.progress import warn
from smdiff.tokenizer import Tokenizer

if TYPE_CHECKING:
    from smdiff.registry import Registries


@attrs.frozen
class LoadedRun:
    """A trained model ready to sample, with the config it was trained with."""

    config: SmdiffConfig
    tokenizer: Tokenizer
    model: torch.nn.Module
    kernel: KernelBackend
    device: torch.device
    checkpoint: Path
    step: int
    window_length: int
    #: the forms of the training windows new pieces draw theirs from; ``None`` for runs trained without one
    form_prior: FormPrior | None = None


def find_checkpoint(run_dir: Path, load_step: int | None) -> Path:
    """``None`` → newest valid periodic checkpoint; ``0`` → ``best.pt``; ``N`` → step N."""
    if not run_dir.is_dir():
        raise DataError(f"run directory {run_dir} does not exist; pass the --load_dir of a training run")
    if load_step == 0:
        path = ckpt.checkpoint_dir(run_dir) / "best.pt"
    elif load_step is not None:
        path = ckpt.step_checkpoint(run_dir, load_step)
    else:
        found = ckpt.latest_valid_checkpoint(run_dir)
        if found is None:
            raise DataError(f"{run_dir} holds no checkpoint yet; train it first or check --load_dir")
        return found[0]
    if not path.exists():
        raise DataError(f"{path} does not exist; `ls {ckpt.checkpoint_dir(run_dir)}` shows the steps saved")
    return path


def load_run(
    run_dir: Path,
    *,
    load_step: int | None,
    ema: bool,
    registries: Registries,
    device: str = "auto",
    dataset_id: str | None = None,
) -> LoadedRun:
    """Rebuild the model of a run from its checkpoint (EMA weights by default)."""
    path = find_checkpoint(run_dir, load_step)
    payload = ckpt.load_checkpoint(path)
    stored, dropped = drop_unknown_keys(payload["config"])
    # a run from before key normalisation existed read its pieces in their own keys,
    stored.setdefault("data", {}).setdefault("normalise_key", False)
    for option in ckpt.ABSENT_MEANS_OFF:  # nor rotary positions, pitch context or relative bias,
        stored.setdefault("model", {}).setdefault(option, False)
    stored.setdefault("diffusion", {}).setdefault("pitch_weight", 1.0)  # nor a pitch-weighted loss
    if dropped:
        warn(f"{path} holds settings this smdiff no longer has, ignored: {', '.join(dropped)}")
    config = converter.structure(stored, SmdiffConfig)
    if dataset_id is not None and dataset_id != config.data.dataset_id:
        wanted = registries.datasets.get(dataset_id).tokenizer if dataset_id not in config.datasets else None
        if wanted != config.data.tokenizer_id:
            raise DataError(
                f"{path} was trained with tokenizer '{config.data.tokenizer_id}' but dataset '{dataset_id}' uses "
                f"'{wanted}'; sample with the run's own dataset ({config.data.dataset_id})"
            )
    tokenizer = registries.tokenizers.get(config.data.tokenizer_id).factory(config.data)
    if tokenizer.token_spec.digest() != payload["identity"]["token_spec_digest"]:
        raise DataError(f"{path} was trained on another TokenSpec than tokenizer '{tokenizer.id}' makes now")
    target = resolve_device(device)
    use_tensor_cores(target, config.train.tf32)
    length = tokenizer.window_length(config.data.bars)
    model = registries.models.get(config.model.id).factory(tokenizer.token_spec, config.model, length)
    weights = payload["ema"] if ema and payload.get("ema") is not None else payload["model"]
    model.load_state_dict(weights)
    model = calibrated(model, tokenizer, config.diffusion.pitch_weight)
    model.to(target).eval()
    kernel = select_kernel(config.kernels.backend, registries, target)
    prior = FormPrior.load(run_dir / FORM_PRIOR_FILE)
    return LoadedRun(config, tokenizer, model, kernel, target, path, payload["state"]["step"], length, prior)


def calibrated(model: torch.nn.Module, tokenizer: Tokenizer, pitch_weight: float) -> torch.nn.Module:
    """``model`` whose predictions are those of the data again when it was trained with a pitch-weighted loss."""
    from smdiff.diffusion.calibration import PitchWeightCorrection
    from smdiff.diffusion.losses import pitch_answer_table

    table = pitch_answer_table(tokenizer.pitch_tokens(), tokenizer.token_spec)
    if pitch_weight == 1.0 or table is None:
        return model
    return PitchWeightCorrection(model, table, tokenizer.token_spec, pitch_weight)
