"""Build everything a training run needs from a resolved config, failing early with clear errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import torch
from torch import nn

from smdiff.config.schema import SmdiffConfig
from smdiff.data.cache import TokenCache
from smdiff.devices import resolve_device, use_deterministic_kernels, use_tensor_cores
from smdiff.diffusion.losses import pitch_answer_table
from smdiff.diffusion.maskers import Masker
from smdiff.errors import ConfigError
from smdiff.kernels import KernelBackend
from smdiff.kernels.selection import select_kernel
from smdiff.tokenizer import Tokenizer
from smdiff.tokens import TokenSpec
from smdiff.training.cache import open_cache
from smdiff.training.checks import check_settings
from smdiff.training.ema import EMA
from smdiff.training.optim import build_optimizer
from smdiff.training.schedule import lr_factor

if TYPE_CHECKING:
    from smdiff.registry import Registries

MODEL_SHAPE_KEYS = ("width", "depth", "heads", "ffn_mult", "rotary", "pitch_context", "relative_bias", "bar_echoes")


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
    #: for each kind of component the run uses: its id and the plugin, distribution and version that provided it
    providers: dict[str, dict[str, str]] = attrs.field(factory=dict)

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


def build_model(
    config: SmdiffConfig, registries: Registries, token_spec: TokenSpec, representation: str, length: int
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


def pitch_answers_on(device: torch.device, table: torch.Tensor | None) -> torch.Tensor | None:
    """The pitch-answer table on the training device, so the loss never copies it per step."""
    return None if table is None else table.to(device)


def providers_of(config: SmdiffConfig, registries: Registries, kernel: KernelBackend) -> dict[str, dict[str, str]]:
    """Which plugin (and which distribution, at which version) provided each component of the run."""
    chosen = {
        "tokenizers": config.data.tokenizer_id,
        "models": config.model.id,
        "maskers": config.diffusion.masker,
        "kernels": kernel.name,
        "storage": config.storage.backend,
        "datasets": config.data.dataset_id,
    }
    providers = {}
    for kind, name in chosen.items():
        registry = registries.by_kind()[kind]
        if name in registry:  # a dataset declared in a config file has no plugin behind it
            origin = registry.origin(name)
            providers[kind] = {"id": registry.get(name).id, **attrs.asdict(origin)}
    return providers


def build_components(config: SmdiffConfig, registries: Registries) -> Components:
    """Cache, model, EMA, optimizer, schedule, AMP scaler, masker and kernel for ``config``."""
    device = resolve_device(config.train.device)
    check_settings(config, device)
    if config.train.deterministic:
        use_deterministic_kernels()
    use_tensor_cores(device, config.train.tf32)
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
    kernel = select_kernel(config.kernels.backend, registries, device)
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
        kernel=kernel,
        amp_dtype=amp,
        pitch_answers=pitch_answers_on(device, pitch_answer_table(tokenizer.pitch_tokens(), token_spec)),
        providers=providers_of(config, registries, kernel),
    )
