"""Build everything a training run needs from a resolved config, failing early with clear errors."""

from __future__ import annotations

import os
import re
from typing import Any

import attrs
import torch
from torch import nn

from smdiff.config.schema import SmdiffConfig, TrainConfig
from smdiff.data.cache import TokenCache
from smdiff.data.catalog import config_cache_path as cache_path
from smdiff.data.catalog import prepare_hint
from smdiff.diffusion.losses import pitch_answer_table
from smdiff.diffusion.maskers import Masker
from smdiff.errors import ConfigError, DataError
from smdiff.kernels import KernelBackend, select_kernel
from smdiff.tokenizer import Tokenizer
from smdiff.tokens import TokenSpec
from smdiff.training.ema import EMA
from smdiff.training.schedule import lr_factor

MODEL_SHAPE_KEYS = ("width", "depth", "heads", "ffn_mult", "rotary")


def resolve_device(choice: str) -> torch.device:
    """``auto`` → CUDA when present, else CPU; anything else is passed to ``torch.device``."""
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(choice)
    except RuntimeError:
        raise ConfigError(f"train.device={choice!r} is not a torch device; use auto, cpu or cuda") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("train.device=cuda but no CUDA GPU is visible; use train.device=cpu")
    return device


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


@attrs.define
class Components:
    """Everything the loop uses; built once per run."""

    config: SmdiffConfig
    device: torch.device
    tokenizer: Tokenizer
    tokenizer_version: str
    cache: TokenCache
    token_spec: TokenSpec
    model: nn.Module
    ema: EMA | None
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    scaler: torch.amp.GradScaler
    masker: Masker
    kernel: KernelBackend
    amp_dtype: torch.dtype | None
    #: which tokens are pitches, per channel (``diffusion.pitch_weight``); ``None`` for tokenizers without pitch
    pitch_answers: torch.Tensor | None = None

    @property
    def window_length(self) -> int:
        """``L`` of the cache's windows."""
        return int(self.cache.windows.shape[1])

    def identity(self) -> dict[str, Any]:
        """What a checkpoint of this run must match to be resumed or sampled from."""
        return {
            "tokenizer": f"{self.tokenizer.id}@{self.tokenizer_version}",
            "token_spec_digest": self.token_spec.digest(),
            "model_id": self.config.model.id,
            "model_shape": {key: getattr(self.config.model, key) for key in MODEL_SHAPE_KEYS},
        }


def open_cache(config: SmdiffConfig, registries: Any) -> tuple[Tokenizer, str, TokenCache]:
    """The tokenizer and its prepared cache; a missing or foreign cache says how to rebuild it."""
    spec = registries.tokenizers.get(config.data.tokenizer_id)
    tokenizer = spec.factory(config.data)
    cache = TokenCache.load(
        cache_path(config), tokenizer_id=tokenizer.id, tokenizer_version=spec.version, rebuild_hint=prepare_hint(config)
    )
    settings = cache.meta.get("settings", {})
    if (
        cache.token_spec != tokenizer.token_spec
        or cache.meta.get("bars", config.data.bars) != config.data.bars
        or settings.get("normalise_key", False) != config.data.normalise_key
    ):
        raise DataError(cache_mismatch(cache, config, tokenizer))
    return tokenizer, spec.version, cache


def cache_mismatch(cache: TokenCache, config: SmdiffConfig, tokenizer: Tokenizer) -> str:
    """What differs between a cache and the config asking for it, and the command that writes a *new* cache."""
    made, wanted = cache.token_spec, tokenizer.token_spec
    normalised = cache.meta.get("settings", {}).get("normalise_key", False)
    if cache.meta.get("bars", config.data.bars) != config.data.bars:
        difference = f"was made with {cache.meta['bars']} bars, the config asks for {config.data.bars} (data.bars)"
    elif normalised != config.data.normalise_key:
        difference = (
            f"was made with data.normalise_key={str(normalised).lower()}, "
            f"the config asks for {str(config.data.normalise_key).lower()}"
        )
    else:
        changed = [
            f"{channel}: vocabulary {a} vs {b}"
            for channel, a, b in zip(made.channels, made.vocab_sizes, wanted.vocab_sizes, strict=False)
            if a != b
        ]
        if made.channels != wanted.channels:
            changed.insert(0, f"channels {', '.join(made.channels)} vs {', '.join(wanted.channels)}")
        difference = f"holds tokens unlike what {tokenizer.id} makes with this config ({'; '.join(changed)})"
    stem = re.sub(r"-\d+bars$", "", cache.path.stem)
    new_path = cache.path.with_name(f"{stem}-{config.data.bars}bars{cache.path.suffix}")
    if new_path == cache.path:
        new_path = cache.path.with_name(f"{stem}-new{cache.path.suffix}")
    new_config = attrs.evolve(config, data=attrs.evolve(config.data, cache_path=str(new_path)))
    return (
        f"cache {cache.path} {difference}; keep the cache's settings, or write a new cache beside it "
        f"(yours is kept): {prepare_hint(new_config)} and train with --set data.cache_path={new_path}"
    )


def build_model(
    config: SmdiffConfig, registries: Any, token_spec: TokenSpec, representation: str, length: int
) -> nn.Module:
    """The denoiser for ``token_spec``; a model made for another representation is refused."""
    spec = registries.models.get(config.model.id)
    if representation not in spec.representations:
        raise ConfigError(
            f"model '{spec.id}' takes {'/'.join(spec.representations)} tokens but tokenizer "
            f"'{config.data.tokenizer_id}' makes {representation} tokens; pick a model from `smdiff list models`"
        )
    return spec.factory(token_spec, config.model, length)


def resolve_mask_unit(config: SmdiffConfig, representation: str) -> SmdiffConfig:
    """``diffusion.mask_unit=auto`` → ``token`` for event tokenizers (Octuple), ``element`` for grids."""
    if config.diffusion.mask_unit != "auto":
        return config
    unit = "token" if representation == "event" else "element"
    return attrs.evolve(config, diffusion=attrs.evolve(config.diffusion, mask_unit=unit))


FUSED_OPTIMIZER_DEVICES = frozenset({"cpu", "cuda"})


def build_optimizer(model: torch.nn.Module, train: TrainConfig) -> torch.optim.Optimizer:
    """Adam or AdamW over ``model``'s parameters, fused into one kernel where PyTorch has one.

    The fused implementation updates every parameter in a single pass instead
    of one small kernel per tensor: about 5× faster than the default on a
    CPU (0.05 s instead of 0.26 s per step for the 77 M-parameter paper model).
    """
    optimizer_class = torch.optim.AdamW if train.optimizer == "adamw" else torch.optim.Adam
    parameters = list(model.parameters())
    fused = all(p.device.type in FUSED_OPTIMIZER_DEVICES and p.dtype.is_floating_point for p in parameters)
    return optimizer_class(parameters, lr=train.lr, weight_decay=train.weight_decay, fused=fused or None)


def pitch_answers_on(device: torch.device, table: torch.Tensor | None) -> torch.Tensor | None:
    """The pitch-answer table on the training device, so the loss never copies it per step."""
    return None if table is None else table.to(device)


def use_deterministic_kernels() -> None:
    """Deterministic CUDA kernels, so a run resumed on a GPU repeats the uninterrupted one bit for bit.

    cuBLAS reads its workspace setting when its first handle is made, so this runs
    before any model is built. Operations without a deterministic implementation
    warn instead of failing the run.
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False


def build_components(config: SmdiffConfig, registries: Any) -> Components:
    """Cache, model, EMA, optimizer, schedule, AMP scaler, masker and kernel for ``config``."""
    device = resolve_device(config.train.device)
    check_settings(config, device)
    if config.train.deterministic:
        use_deterministic_kernels()
    tokenizer, version, cache = open_cache(config, registries)
    representation = registries.tokenizers.get(config.data.tokenizer_id).representation
    config = resolve_mask_unit(config, representation)
    token_spec = tokenizer.token_spec
    torch.manual_seed(config.train.seed)  # the same seed gives the same initial weights
    model = build_model(config, registries, token_spec, representation, int(cache.windows.shape[1])).to(device)
    ema = EMA(model, config.train.ema_rate) if config.train.ema else None
    if config.model.compile:
        model.compile()  # in place: state-dict keys and the EMA copy stay those of the plain module
    optimizer = build_optimizer(model, config.train)
    factor = lr_factor(config.train.warmup(), config.train.steps, config.train.schedule)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    amp = {"none": None, "bf16": torch.bfloat16, "fp16": torch.float16}[config.train.amp]
    return Components(
        config=config,
        device=device,
        tokenizer=tokenizer,
        tokenizer_version=version,
        cache=cache,
        token_spec=token_spec,
        model=model,
        ema=ema,
        optimizer=optimizer,
        scheduler=scheduler,
        scaler=torch.amp.GradScaler(device.type, enabled=amp is torch.float16),
        masker=registries.maskers.get(config.diffusion.masker).factory(token_spec, config.diffusion),
        kernel=select_kernel(config.kernels.backend, registries, device),
        amp_dtype=amp,
        pitch_answers=pitch_answers_on(device, pitch_answer_table(tokenizer.pitch_tokens(), token_spec)),
    )
