"""smdiff: discrete (absorbing-state) diffusion for symbolic music.

This top level stays cheap to import: it exposes the plugin marker, the spec
classes and the token contract, never torch.
"""

from __future__ import annotations

import importlib.metadata

import pluggy

from smdiff.errors import SmdiffError
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
    no_settings,
)
from smdiff.tokens import TokenSpec

try:
    __version__ = importlib.metadata.version("smdiff-core")
except importlib.metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+unknown"

#: Decorate plugin functions with ``@smdiff.hookimpl``.
hookimpl = pluggy.HookimplMarker("smdiff")

__all__ = [
    "CommandSpec",
    "DatasetSpec",
    "KernelSpec",
    "MaskerSpec",
    "MetricSpec",
    "ModelSpec",
    "SmdiffError",
    "StorageBackendSpec",
    "TaskSpec",
    "TokenSpec",
    "TokenizerSpec",
    "__version__",
    "hookimpl",
    "no_settings",
]
