"""Factory protocols: the exact call each spec's ``factory`` must accept, and what it returns.

The kernel calls a factory only when its extension is used, with positional
arguments (so an implementation may name its parameters as it likes). These
protocols are what type checkers hold plugins to, and what ``docs/hooks.md``
states (a test renders them and checks the page).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import torch
    import typer

    from smdiff.config.schema import DataConfig, DiffusionConfig, ModelConfig, SampleConfig, StorageConfig
    from smdiff.diffusion.maskers import Masker
    from smdiff.evaluation.core import Metric
    from smdiff.kernels import KernelBackend
    from smdiff.storage import StorageBackend
    from smdiff.tasks import Task
    from smdiff.tokenizer import Tokenizer
    from smdiff.tokens import TokenSpec


class TokenizerFactory(Protocol):
    """Builds a tokenizer from the run's data settings."""

    def __call__(self, config: DataConfig, /) -> Tokenizer:
        """Build it."""


class ModelFactory(Protocol):
    """Builds a denoiser for ``token_spec`` windows of at most ``max_length`` rows."""

    def __call__(self, token_spec: TokenSpec, config: ModelConfig, max_length: int, /) -> torch.nn.Module:
        """Build it."""


class MaskerFactory(Protocol):
    """Builds a forward-noising strategy."""

    def __call__(self, token_spec: TokenSpec, config: DiffusionConfig, /) -> Masker:
        """Build it."""


class TaskFactory(Protocol):
    """Builds what sampling masks (uncond, infill, ...) from the sampling settings."""

    def __call__(self, config: SampleConfig, /) -> Task:
        """Build it."""


class MetricFactory(Protocol):
    """Builds one metric."""

    def __call__(self) -> Metric:
        """Build it."""


class DatasetFactory(Protocol):
    """The extra config values a named dataset sets (``{}`` for none; see :func:`smdiff.no_settings`)."""

    def __call__(self) -> Mapping[str, Any]:
        """Build it."""


class StorageFactory(Protocol):
    """Builds a storage backend for the run in ``run_dir``."""

    def __call__(self, config: StorageConfig, run_dir: Path, /) -> StorageBackend:
        """Build it."""


class KernelFactory(Protocol):
    """Builds a kernel backend."""

    def __call__(self) -> KernelBackend:
        """Build it."""


class CommandFactory(Protocol):
    """Builds the Typer app mounted as ``smdiff <id>``."""

    def __call__(self) -> typer.Typer:
        """Build it."""


def call_signature(protocol: type) -> str:
    """``factory(config: DataConfig) -> Tokenizer``: how docs show a factory protocol's call."""
    import inspect

    signature = inspect.signature(protocol.__call__)
    parameters = [f"{p.name}: {p.annotation}" for p in signature.parameters.values() if p.name != "self"]
    return f"factory({', '.join(parameters)}) -> {signature.return_annotation}"
