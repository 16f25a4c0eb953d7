"""Built-in sampling tasks: ``uncond`` and ``infill``."""

from __future__ import annotations

from smdiff import hookimpl
from smdiff.specs import TaskSpec


def _uncond(config):
    from smdiff.tasks import Unconditional

    return Unconditional(config.chords)


def _infill(config):
    from smdiff.tasks import Infill

    return Infill(config)


def _accompany(config):
    from smdiff.tasks import Accompany

    return Accompany(config)


def _harmonize(config):
    from smdiff.tasks import Harmonize

    return Harmonize(config)


def _melody(config):
    from smdiff.tasks import Melody

    return Melody(config)


@hookimpl
def smdiff_tasks() -> list[TaskSpec]:
    """Register ``uncond``, ``infill``, ``accompany``, ``melody`` and ``harmonize``."""
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
        TaskSpec(
            id="accompany",
            summary="a new accompaniment (bridge and piano unless --mask-tracks) under a song's melody and chords",
            factory=_accompany,
        ),
        TaskSpec(
            id="melody",
            summary="a new melody for a song (its accompaniment and chords kept), or a new piece over --chords",
            factory=_melody,
        ),
        TaskSpec(
            id="harmonize",
            summary="new chords for a song (a model with a chord channel), written back as a CHORDS track",
            factory=_harmonize,
            aliases=("harmonise",),
        ),
    ]
