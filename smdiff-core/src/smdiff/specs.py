"""Specs: what a plugin returns from a hook to register one extension.

Every spec carries an ``id``, a one-line ``summary``, optional ``aliases`` and a
``factory`` that builds the extension on demand, so registering is cheap and
heavy imports (torch, symusic) happen only when an extension is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, Literal, TypeVar

import attrs

from smdiff import factories

F = TypeVar("F")


def _id_validator(instance: Any, attribute: attrs.Attribute, value: str) -> None:
    if not value or not value.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"{type(instance).__name__}.{attribute.name} must be a word like 'my_thing', got {value!r}")


@attrs.frozen(kw_only=True)
class Spec(Generic[F]):
    """Fields every spec shares; ``factory`` follows the protocol named by the subclass (:mod:`smdiff.factories`)."""

    id: str = attrs.field(validator=_id_validator)
    summary: str
    factory: F = attrs.field(eq=False, repr=False)
    aliases: tuple[str, ...] = attrs.field(default=(), converter=tuple)


@attrs.frozen(kw_only=True)
class TokenizerSpec(Spec[factories.TokenizerFactory]):
    """A MIDI ⇄ token-array codec, built by a :class:`~smdiff.factories.TokenizerFactory`.

    ``version`` is stored in caches; bump it whenever encoding changes so stale
    caches are refused. ``representation`` tells models what they will be fed.
    """

    version: str
    representation: Literal["grid", "event"]


@attrs.frozen(kw_only=True)
class ModelSpec(Spec[factories.ModelFactory]):
    """A denoiser network, built by a :class:`~smdiff.factories.ModelFactory`.

    The module maps ``[B, L, C]`` int64 tokens to logits ``[B, L, sum(vocab)]``.
    ``representations`` lists the tokenizer representations it accepts and
    ``presets`` maps a preset name to ``model.*`` config values.
    """

    representations: tuple[str, ...] = attrs.field(converter=tuple)
    presets: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, eq=False)


@attrs.frozen(kw_only=True)
class MaskerSpec(Spec[factories.MaskerFactory]):
    """A forward-noising strategy, built by a :class:`~smdiff.factories.MaskerFactory`."""


@attrs.frozen(kw_only=True)
class TaskSpec(Spec[factories.TaskFactory]):
    """What is masked at sampling time, built by a :class:`~smdiff.factories.TaskFactory`."""


@attrs.frozen(kw_only=True)
class MetricSpec(Spec[factories.MetricFactory]):
    """A sample-quality metric, built by a :class:`~smdiff.factories.MetricFactory`.

    ``task`` says whether it scores unconditional samples or infillings;
    ``direction`` whether higher, lower, or closer to the reference is better.
    """

    task: Literal["uncond", "infill"]
    direction: Literal["higher", "lower", "reference"]


@attrs.frozen(kw_only=True)
class StorageBackendSpec(Spec[factories.StorageFactory]):
    """Where run artefacts live, built by a :class:`~smdiff.factories.StorageFactory`."""


@attrs.frozen(kw_only=True)
class DatasetSpec(Spec[factories.DatasetFactory]):
    """A named dataset: a tokenizer, a window size and where the MIDI comes from.

    Its :class:`~smdiff.factories.DatasetFactory` returns extra config values that
    this dataset sets (a layer between the model preset and the user's file);
    use :func:`no_settings` when it sets nothing beyond the fields below.
    ``root_dir`` may name an environment variable as ``$NAME|fallback``.
    """

    tokenizer: str
    bars: int
    root_dir: str


@attrs.frozen(kw_only=True)
class KernelSpec(Spec[factories.KernelFactory]):
    """Fused training/sampling operations, built by a :class:`~smdiff.factories.KernelFactory`.

    ``is_available()`` says whether the backend can run here; for
    ``kernels.backend=auto`` the available backend with the highest
    ``priority`` among those whose ``devices`` hold the run's device type wins.
    Any registered id can be named in ``kernels.backend``.
    """

    priority: int = 0
    is_available: Callable[[], bool] = attrs.field(default=lambda: True, eq=False, repr=False)
    #: device types (``torch.device.type``) the automatic choice may pick this backend for
    devices: tuple[str, ...] = ("cpu", "cuda")


@attrs.frozen(kw_only=True)
class CommandSpec(Spec[factories.CommandFactory]):
    """Extra ``smdiff`` subcommands: a :class:`~smdiff.factories.CommandFactory`'s app is mounted as ``smdiff <id>``."""


def no_settings() -> dict[str, Any]:
    """Dataset factory for datasets that need no config values beyond their spec fields."""
    return {}
