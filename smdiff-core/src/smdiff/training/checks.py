"""Training settings that cannot work, refused before any file is touched."""

from __future__ import annotations

import torch

from smdiff.config.schema import SmdiffConfig
from smdiff.errors import ConfigError


def check_settings(config: SmdiffConfig, device: torch.device) -> None:
    """Refuse settings that cannot work, before any file is touched."""
    train = config.train
    problems = [
        (train.steps < 1, f"train.steps must be at least 1, got {train.steps}"),
        (train.batch_size < 1, f"train.batch_size must be at least 1, got {train.batch_size}"),
        (train.accumulate < 1, f"train.accumulate must be at least 1, got {train.accumulate}"),
        (train.warmup() >= train.steps and train.warmup() > 0,
         f"train.warmup_steps ({train.warmup_steps}) is not shorter than train.steps ({train.steps}); "
         f"pass a shorter --warmup-steps or leave it unset (a twentieth of the run)"),
        (not 0.0 <= train.ema_rate < 1.0, f"train.ema_rate must be in [0, 1), got {train.ema_rate}"),
        (train.amp == "fp16" and device.type != "cuda", "train.amp=fp16 needs a CUDA GPU; use bf16 or none on CPU"),
        (train.lr <= 0, f"train.lr must be positive, got {train.lr}"),
        (min(train.validate_every, train.checkpoint_every, train.log_every, train.keep_last) < 1,
         "train.validate_every, checkpoint_every, log_every and keep_last must be at least 1"),
        (config.diffusion.pitch_weight <= 0,
         f"diffusion.pitch_weight must be positive (1 = the plain objective), got {config.diffusion.pitch_weight}"),
    ]  # fmt: skip
    for failed, message in problems:
        if failed:
            raise ConfigError(message)
