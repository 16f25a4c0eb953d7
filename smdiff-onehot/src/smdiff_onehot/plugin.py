"""Entry-point module of smdiff-onehot: cheap to import, it only describes what the package registers."""

from __future__ import annotations

from smdiff import DatasetSpec, TokenizerSpec, hookimpl, no_settings

POP909_ROOT = "$SMDIFF_POP909|../shared/data/POP909"
GRID_VERSION = "1"


def _tokenizer(tokenizer_id: str, slots: tuple[str, ...]):
    def make(config):
        from smdiff_onehot.grid import GridTokenizer

        return GridTokenizer.from_config(tokenizer_id, slots, config)

    return make


@hookimpl
def smdiff_tokenizers() -> list[TokenizerSpec]:
    """Register the grid tokenizers ``melody`` and ``trio``."""
    return [
        TokenizerSpec(
            id="melody",
            summary="16 steps per bar, 1 channel: hold / note-off / pitch 21-108 (top line of the melody track)",
            factory=_tokenizer("melody", ("melody",)),
            version=GRID_VERSION,
            representation="grid",
        ),
        TokenizerSpec(
            id="trio",
            summary="16 steps per bar, 3 channels (melody, bridge, piano), each reduced to its top line",
            factory=_tokenizer("trio", ("melody", "bridge", "piano")),
            version=GRID_VERSION,
            representation="grid",
        ),
    ]


@hookimpl
def smdiff_datasets() -> list[DatasetSpec]:
    """Register POP909 in the two grid encodings, 64-bar windows."""
    return [
        DatasetSpec(
            id="pop909_melody",
            summary="POP909 melodies, 64-bar grid windows",
            factory=no_settings,
            tokenizer="melody",
            bars=64,
            root_dir=POP909_ROOT,
        ),
        DatasetSpec(
            id="pop909_trio",
            summary="POP909 melody/bridge/piano, 64-bar grid windows",
            factory=no_settings,
            tokenizer="trio",
            bars=64,
            root_dir=POP909_ROOT,
        ),
    ]
