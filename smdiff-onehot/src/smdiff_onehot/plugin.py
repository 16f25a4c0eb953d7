"""Entry-point module of smdiff-onehot: cheap to import, it only describes what the package registers."""

from __future__ import annotations

from smdiff import (
    POP909_ROOT,
    TRANSFORMER_PRESETS,
    DatasetSpec,
    MaskerSpec,
    ModelSpec,
    TokenizerSpec,
    hookimpl,
    no_settings,
)

GRID_VERSION = "2"


def _chord_tokenizer(tokenizer_id: str, slots: tuple[str, ...]):
    def make(config):
        from smdiff_onehot.chord_grid import ChordGridTokenizer

        return ChordGridTokenizer.from_config(tokenizer_id, slots, config)

    return make


def _tokenizer(tokenizer_id: str, slots: tuple[str, ...], drum_slots: tuple[str, ...] = ()):
    def make(config):
        from smdiff_onehot.grid import GridTokenizer

        return GridTokenizer.from_config(tokenizer_id, slots, config, drum_slots)

    return make


def _grid(tokenizer_id: str, summary: str, factory) -> TokenizerSpec:
    return TokenizerSpec(id=tokenizer_id, summary=summary, factory=factory, version=GRID_VERSION, representation="grid")


@hookimpl
def smdiff_tokenizers() -> list[TokenizerSpec]:
    """Register the grid tokenizers ``melody``, ``trio``, ``melody_bass_drums``, ``lead_sheet`` and ``trio_chords``."""
    trio = ("melody", "bridge", "piano")
    return [
        _grid("melody", "16 steps per bar, 1 channel: hold / note-off / pitch 21-108 (top line of the melody track)",
              _tokenizer("melody", ("melody",))),
        _grid("trio", "16 steps per bar, 3 channels (melody, bridge, piano), each reduced to its top line",
              _tokenizer("trio", trio)),
        _grid("melody_bass_drums",
              "SCHmUBERT's Lakh trio: melody and bass (90 tokens each) and drums (9 classes as 512 hit masks)",
              _tokenizer("melody_bass_drums", ("melody", "bass", "drums"), drum_slots=("drums",))),
        _grid("lead_sheet",
              "the melody grid and a chord channel (a chord per 16th: annotated, else recognised from the notes)",
              _chord_tokenizer("lead_sheet", ("melody",))),
        _grid("trio_chords", "the trio grid (melody, bridge, piano) and a chord channel",
              _chord_tokenizer("trio_chords", trio)),
    ]  # fmt: skip


def _pop909(dataset_id: str, summary: str, tokenizer: str) -> DatasetSpec:
    return DatasetSpec(
        id=dataset_id, summary=summary, factory=no_settings, tokenizer=tokenizer, bars=64, root_dir=POP909_ROOT
    )


@hookimpl
def smdiff_datasets() -> list[DatasetSpec]:
    """Register POP909 in the grid encodings, 64-bar windows (with its chord annotations in the chord encodings)."""
    return [
        _pop909("pop909_melody", "POP909 melodies, 64-bar grid windows", "melody"),
        _pop909("pop909_trio", "POP909 melody/bridge/piano, 64-bar grid windows", "trio"),
        _pop909("pop909_lead_sheet", "POP909 melodies and their annotated chords, 64-bar grid windows", "lead_sheet"),
        _pop909("pop909_trio_chords", "POP909 melody/bridge/piano and their annotated chords, 64-bar grid windows",
                "trio_chords"),
    ]  # fmt: skip


def _conv(token_spec, config, max_length):
    from smdiff_onehot.models import ConVormer

    return ConVormer(token_spec, config, max_length)


def _transformer(token_spec, config, max_length):
    from smdiff_onehot.models import GridTransformer

    return GridTransformer(token_spec, config, max_length)


@hookimpl
def smdiff_models() -> list[ModelSpec]:
    """Register ``schmu_conv`` and ``schmu_tx`` (seed ids ``schmu_conv_vae``, ``schmu_tx_vae``)."""
    return [
        ModelSpec(
            id="schmu_conv",
            summary="SCHmUBERT ConVormer: per-beat conv down, transformer over beats, transposed conv up",
            factory=_conv,
            representations=("grid",),
            presets=TRANSFORMER_PRESETS,
            aliases=("schmu_conv_vae",),
        ),
        ModelSpec(
            id="schmu_tx",
            summary="bidirectional transformer over every grid step",
            factory=_transformer,
            representations=("grid",),
            presets=TRANSFORMER_PRESETS,
            aliases=("schmu_tx_vae",),
        ),
    ]


def _bar_spans(token_spec, config):
    from smdiff_onehot.maskers import BarSpanMasker

    return BarSpanMasker(token_spec)


@hookimpl
def smdiff_maskers() -> list[MaskerSpec]:
    """Register ``bar_spans`` for the grid encodings."""
    return [
        MaskerSpec(
            id="bar_spans",
            summary="grid: half the rows element by element, half in spans of 1-8 bars per channel, at rate t",
            factory=_bar_spans,
        )
    ]
