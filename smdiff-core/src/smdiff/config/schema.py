"""The configuration schema: one frozen attrs class per concern.

Every field has a default, so any partial TOML table is a valid layer. Fields
that may be unset default to ``None`` (TOML has no null: an omitted key means
"use the default", which keeps a written config round-trippable).
"""

from __future__ import annotations

from typing import Literal, get_args

import attrs

#: the splits every cache has, in the order ``data.split`` sizes them
SplitName = Literal["train", "validation", "test"]
SPLIT_NAMES: tuple[str, ...] = get_args(SplitName)


@attrs.frozen(kw_only=True)
class DataConfig:
    """Where MIDI comes from and how it becomes windows of tokens."""

    dataset_id: str = "pop909_melody"
    tokenizer_id: str = "melody"
    root_dir: str | None = None
    bars: int = 64
    cache_path: str | None = None
    limit: int | None = None
    num_workers: int | None = None
    max_tensors_per_ns: int = 5
    max_notes: int = 1024
    strict_tempo: bool = False
    time_signature: str | None = None
    track_map: dict[str, str] = attrs.field(factory=dict)
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)
    split_seed: int = 0
    normalise_key: bool = True
    transpose: int = 0


@attrs.frozen(kw_only=True)
class ModelConfig:
    """The denoiser network; ``preset`` fills the size fields below."""

    id: str = "schmu_conv"
    preset: str = "small"
    width: int = 256
    depth: int = 4
    heads: int = 4
    ffn_mult: int = 4
    dropout: float = 0.1
    rotary: bool = True
    #: grid models: see the visible pitches around every step and score pitches by interval too
    pitch_context: bool = True
    #: grid models: see the same step 1, 2, 4 and 8 bars before and after, and score copying it
    bar_echoes: bool = True
    #: attention adds a learned score per head for every distance between positions (repeats lie bars apart)
    relative_bias: bool = False
    compile: bool = False


@attrs.frozen(kw_only=True)
class DiffusionConfig:
    """The absorbing forward process and its loss."""

    loss: Literal["elbo", "reweighted_elbo"] = "reweighted_elbo"
    time_sampling: Literal["uniform", "antithetic"] = "uniform"
    masker: str = "random"
    mask_unit: Literal["auto", "element", "token"] = "auto"
    #: loss weight of masked elements whose answer is a pitch (note-on); 1 is the plain objective
    pitch_weight: float = 1.0


@attrs.frozen(kw_only=True)
class TrainConfig:
    """The optimisation loop, its logging and its checkpoints.

    ``warmup_steps`` unset means a twentieth of ``steps``, at most 500
    (:meth:`warmup`); an explicit value must be shorter than the run.
    """

    seed: int = 0
    batch_size: int = 16
    lr: float = 5e-4
    steps: int = 10_000
    optimizer: Literal["adam", "adamw"] = "adamw"
    weight_decay: float = 0.0
    warmup_steps: int | None = None
    schedule: Literal["constant", "cosine"] = "constant"
    grad_clip: float = 1.0
    accumulate: int = 1
    amp: Literal["none", "bf16", "fp16"] = "none"
    ema: bool = True
    ema_rate: float = 0.995
    validate_every: int = 500
    val_batches: int = 8
    probe_windows: int = 16
    sample_every: int = 2_000
    train_samples: int = 2
    checkpoint_every: int = 1_000
    keep_last: int = 3
    log_every: int = 10
    log_dir: str | None = None
    max_nonfinite: int = 10
    max_seconds: float | None = None
    device: str = "auto"
    #: deterministic GPU kernels (cuBLAS workspace, ``torch.use_deterministic_algorithms``): bit-exact CUDA resumes
    deterministic: bool = False
    #: float32 matmuls on TF32 tensor cores on CUDA (``torch.set_float32_matmul_precision("high")``); CPUs unaffected
    tf32: bool = True
    init_from: str | None = None
    allow_partial: bool = False

    def warmup(self) -> int:
        """The warm-up length in steps: ``warmup_steps``, or a twentieth of the run (at most 500) when unset."""
        return self.warmup_steps if self.warmup_steps is not None else min(500, self.steps // 20)


#: seeds are torch generator seeds: non-negative and below 2**63
MAX_SEED = 2**63


def _check_seed(instance: object, attribute: attrs.Attribute, value: int) -> None:
    if not 0 <= value < MAX_SEED:
        raise ValueError(f"a seed is a whole number from 0 to 2**63 - 1, got {value}")


@attrs.frozen(kw_only=True)
class SampleConfig:
    """What to generate and how the reverse process runs."""

    task: str = "uncond"
    sampler: Literal["ancestral", "confidence"] = "confidence"
    sample_steps: int | None = None
    temperature: float = 1.0
    confidence_noise: float = 10.0
    confidence_score: Literal["probability", "entropy"] = "entropy"
    top_k: int | None = None
    top_p: float | None = None
    n_samples: int = 4
    batch_size: int = 8
    seed: int = attrs.field(default=0, validator=_check_seed)
    ema: bool = True
    load_step: int | None = None
    mask_start_bar: int | None = None
    mask_end_bar: int | None = None
    mask_tracks: tuple[str, ...] = ()
    input_midi: str | None = None
    input_midi_dir: str | None = None
    samples_per_midi: int = 1
    infill_notes: float = 1.0
    key: str | None = None
    form: str | None = None
    form_from: str | None = None
    form_prior: bool = True
    song_form: bool = True
    repeat_from: str | None = None
    vary_from: str | None = None
    vary_keep: float = 0.5
    chords: str | None = None
    out_dir: str | None = None


@attrs.frozen(kw_only=True)
class EvalConfig:
    """Which metrics score which samples.

    ``n_samples`` is sized for a CPU: 32 samples take seconds to a minute with
    the default sampler; per-piece spreads need no more to be read.
    """

    n_samples: int = 32
    metrics: tuple[str, ...] = ()
    save_samples: bool = False
    sample_dir: str | None = None
    reference_split: SplitName = "test"


@attrs.frozen(kw_only=True)
class StorageConfig:
    """Where run artefacts live."""

    backend: str = "local"
    home_dir: str | None = None
    scratch_dir: str | None = None
    keep: int = 2
    requeue: bool = False
    sync_retries: int = 3


@attrs.frozen(kw_only=True)
class KernelsConfig:
    """Which implementation of the fused diffusion operations runs."""

    #: ``auto`` or any registered kernel id (``smdiff list kernels``)
    backend: str = "auto"


@attrs.frozen(kw_only=True)
class UserDataset:
    """A dataset declared in a config file under ``[datasets.<id>]``."""

    tokenizer: str
    root_dir: str
    bars: int = 64
    summary: str = "user-declared dataset"


@attrs.frozen(kw_only=True)
class SmdiffConfig:
    """The whole resolved configuration of a run."""

    data: DataConfig = attrs.field(factory=DataConfig)
    model: ModelConfig = attrs.field(factory=ModelConfig)
    diffusion: DiffusionConfig = attrs.field(factory=DiffusionConfig)
    train: TrainConfig = attrs.field(factory=TrainConfig)
    sample: SampleConfig = attrs.field(factory=SampleConfig)
    eval: EvalConfig = attrs.field(factory=EvalConfig)
    storage: StorageConfig = attrs.field(factory=StorageConfig)
    kernels: KernelsConfig = attrs.field(factory=KernelsConfig)
    datasets: dict[str, UserDataset] = attrs.field(factory=dict)
