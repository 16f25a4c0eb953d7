"""Hook specifications: the extension points of smdiff.

Every hook takes no arguments and returns a list of specs (see
:mod:`smdiff.specs`). The kernel calls each plugin's implementation once, when
it builds its registries, and remembers which plugin provided which id, so two
plugins claiming one id fail with both names. None of these hooks is
``firstresult``: every plugin's answer is collected.

A plugin module implements any subset::

    from smdiff import hookimpl, TokenizerSpec

    @hookimpl
    def smdiff_tokenizers():
        return [TokenizerSpec(id="drums", summary="...", factory=make, version="1", representation="grid")]
"""

from __future__ import annotations

import pluggy

from smdiff.specs import (
    CommandSpec,
    DatasetSpec,
    KernelSpec,
    MaskerSpec,
    MetricSpec,
    ModelSpec,
    StorageBackendSpec,
    TaskSpec,
    TokenizerSpec,
)

hookspec = pluggy.HookspecMarker("smdiff")


@hookspec
def smdiff_tokenizers() -> list[TokenizerSpec]:
    """Register MIDI ⇄ token-array tokenizers.

    Called once when the tokenizer registry is built.

    :returns: specs whose factory is a :class:`smdiff.TokenizerFactory`, called as
        ``factory(config: DataConfig) -> Tokenizer``: a tokenizer: MIDI ⇄ ``[L, C]`` token arrays.
    """


@hookspec
def smdiff_models() -> list[ModelSpec]:
    """Register denoiser networks.

    Called once when the model registry is built.

    :returns: specs whose factory is a :class:`smdiff.ModelFactory`, called as
        ``factory(token_spec: TokenSpec, config: ModelConfig, max_length: int) -> torch.nn.Module``: a network mapping ``[B, L, C]`` tokens to ``[B, L, sum(vocab)]`` logits.
    """


@hookspec
def smdiff_maskers() -> list[MaskerSpec]:
    """Register forward-noising (masking) strategies used in training.

    Called once when the masker registry is built.

    :returns: specs whose factory is a :class:`smdiff.MaskerFactory`, called as
        ``factory(token_spec: TokenSpec, config: DiffusionConfig) -> Masker``: a masker.
    """


@hookspec
def smdiff_tasks() -> list[TaskSpec]:
    """Register sampling tasks: what is masked before the reverse process starts.

    Called once when the task registry is built.

    :returns: specs whose factory is a :class:`smdiff.TaskFactory`, called as
        ``factory(config: SampleConfig) -> Task``: a task (:class:`smdiff.Task`).
    """


@hookspec
def smdiff_metrics() -> list[MetricSpec]:
    """Register sample-quality metrics computed on decoded notes.

    Called once when the metric registry is built.

    :returns: specs whose factory is a :class:`smdiff.MetricFactory`, called as
        ``factory() -> Metric``: a metric.
    """


@hookspec
def smdiff_storage_backends() -> list[StorageBackendSpec]:
    """Register places where run artefacts (checkpoints, samples, logs) live.

    Called once when the storage registry is built.

    :returns: specs whose factory is a :class:`smdiff.StorageFactory`, called as
        ``factory(config: StorageConfig, run_dir: Path) -> StorageBackend``: a storage backend.
    """


@hookspec
def smdiff_datasets() -> list[DatasetSpec]:
    """Register named datasets (tokenizer, window size, source folder).

    Called once when the dataset registry is built.

    :returns: specs whose factory is a :class:`smdiff.DatasetFactory`, called as
        ``factory() -> Mapping[str, Any]``: the extra config values the dataset sets.
    """


@hookspec
def smdiff_kernels() -> list[KernelSpec]:
    """Register implementations of the fused diffusion operations.

    Called once when the kernel registry is built.

    :returns: specs whose factory is a :class:`smdiff.KernelFactory`, called as
        ``factory() -> KernelBackend``: a kernel backend.
    """


@hookspec
def smdiff_cli() -> list[CommandSpec]:
    """Register extra subcommands of the ``smdiff`` command line.

    Called once when the CLI app is built.

    :returns: specs whose factory is a :class:`smdiff.CommandFactory`, called as
        ``factory() -> typer.Typer``: a Typer app mounted as ``smdiff <id>``.
    """
