"""Entry-point module: cheap to import, it only describes what the plugin offers."""

from __future__ import annotations

from smdiff import TaskSpec, TokenizerSpec, hookimpl


def _make_tokenizer(config):
    from smdiff_drums.tokenizer import DrumGridTokenizer

    return DrumGridTokenizer.from_config(config)


@hookimpl
def smdiff_tokenizers() -> list[TokenizerSpec]:
    """Register the ``drums`` tokenizer."""
    return [
        TokenizerSpec(
            id="drums",
            summary="MusicVAE 9-class drum grid: one 512-value multi-hot token per 16th step",
            factory=_make_tokenizer,
            version="1",
            representation="grid",
            aliases=("drum_grid",),
        )
    ]


def _every_other_bar(config):
    from smdiff_drums.tasks import EveryOtherBar

    return EveryOtherBar(config)


@hookimpl
def smdiff_tasks() -> list[TaskSpec]:
    """Register the ``every_other_bar`` task."""
    return [
        TaskSpec(
            id="every_other_bar",
            summary="regenerate every other bar of --mask_start_bar..--mask_end_bar, keeping the bars between",
            factory=_every_other_bar,
        )
    ]
