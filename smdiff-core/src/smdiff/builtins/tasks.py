"""Built-in sampling tasks: ``uncond`` and ``infill``."""

from __future__ import annotations

from smdiff import hookimpl
from smdiff.specs import TaskSpec


def _uncond(config):
    from smdiff.tasks import Unconditional

    return Unconditional()


def _infill(config):
    from smdiff.tasks import Infill

    return Infill(config)


@hookimpl
def smdiff_tasks() -> list[TaskSpec]:
    """Register ``uncond`` and ``infill``."""
    return [
        TaskSpec(
            id="uncond", summary="generate whole windows from nothing", factory=_uncond, aliases=("unconditional",)
        ),
        TaskSpec(
            id="infill",
            summary="regenerate a bar range and/or whole tracks of an input piece (accompaniment, continuation)",
            factory=_infill,
            aliases=("inpaint",),
        ),
    ]
