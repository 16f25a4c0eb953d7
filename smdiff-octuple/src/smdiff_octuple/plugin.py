"""Entry-point module of smdiff-octuple: cheap to import, it only describes what the package registers."""

from __future__ import annotations

from smdiff import POP909_ROOT, TRANSFORMER_PRESETS, DatasetSpec, MaskerSpec, ModelSpec, TokenizerSpec, hookimpl
from smdiff_octuple.instruments import INSTRUMENT_SLOTS

#: a Lakh MIDI folder (any folder of multi-instrument MIDI works the same way)
LAKH_ROOT = "$SMDIFF_LAKH|../shared/data/lmd_full"
OCTUPLE_VERSION = "2"


def _tokenizer(tokenizer_id: str, slots: tuple[str, ...], with_chords: bool = False):
    def make(config):
        if with_chords:
            from smdiff_octuple.chords import OctupleChordTokenizer as Tokenizer
        else:
            from smdiff_octuple.tokenizer import OctupleTokenizer as Tokenizer

        return Tokenizer.from_config(tokenizer_id, slots, config)

    return make


@hookimpl
def smdiff_tokenizers() -> list[TokenizerSpec]:
    """Register ``melody_octuple``, ``trio_octuple``, ``trio_octuple_chords`` and the multi-instrument ``octuple``."""
    return [
        TokenizerSpec(
            id="melody_octuple",
            summary="MusicBERT Octuple, one 8-field token per melody note",
            factory=_tokenizer("melody_octuple", ("melody",)),
            version=OCTUPLE_VERSION,
            representation="event",
        ),
        TokenizerSpec(
            id="trio_octuple",
            summary="MusicBERT Octuple over melody, bridge and piano; the instrument field keeps tracks apart",
            factory=_tokenizer("trio_octuple", ("melody", "bridge", "piano")),
            version=OCTUPLE_VERSION,
            representation="event",
        ),
        TokenizerSpec(
            id="trio_octuple_chords",
            summary="trio_octuple with a ninth field: the chord at each note's onset (annotated or recognised)",
            factory=_tokenizer("trio_octuple_chords", ("melody", "bridge", "piano"), with_chords=True),
            version=OCTUPLE_VERSION,
            representation="event",
        ),
        TokenizerSpec(
            id="octuple",
            summary="MusicBERT Octuple of every track of any MIDI: instrument = GM program (or drums), velocity, tempo",
            factory=_tokenizer("octuple", INSTRUMENT_SLOTS),
            version=OCTUPLE_VERSION,
            representation="event",
        ),
    ]


def _settings(max_notes: int):
    def settings() -> dict:
        return {"data": {"max_notes": max_notes}, "diffusion": {"mask_unit": "token"}}

    return settings


@hookimpl
def smdiff_datasets() -> list[DatasetSpec]:
    """Register POP909 in the two Octuple encodings, and any Lakh-style folder in the multi-instrument one."""
    return [
        DatasetSpec(
            id="pop909_melody_octuple",
            summary="POP909 melodies as Octuple notes, 64-bar windows of up to 512 notes",
            factory=_settings(512),
            tokenizer="melody_octuple",
            bars=64,
            root_dir=POP909_ROOT,
        ),
        DatasetSpec(
            id="pop909_trio_octuple",
            summary="POP909 melody/bridge/piano as Octuple notes, 32-bar windows of up to 1024 notes",
            factory=_settings(1024),
            tokenizer="trio_octuple",
            bars=32,
            root_dir=POP909_ROOT,
        ),
        DatasetSpec(
            id="pop909_trio_octuple_chords",
            summary="POP909 melody/bridge/piano as Octuple notes with their chords, 32-bar windows of up to 1024 notes",
            factory=_settings(1024),
            tokenizer="trio_octuple_chords",
            bars=32,
            root_dir=POP909_ROOT,
        ),
        DatasetSpec(
            id="lakh_octuple",
            summary="Lakh MIDI (SMDIFF_LAKH): every instrument as Octuple notes, 16-bar windows of up to 1024 notes",
            factory=_settings(1024),
            tokenizer="octuple",
            bars=16,
            root_dir=LAKH_ROOT,
        ),
    ]


def _model(token_spec, config, max_length):
    from smdiff_octuple.model import OctupleDenoiser

    return OctupleDenoiser(token_spec, config, max_length)


@hookimpl
def smdiff_models() -> list[ModelSpec]:
    """Register ``octuple_ddpm``."""
    return [
        ModelSpec(
            id="octuple_ddpm",
            summary="compound Octuple field embedding, bidirectional transformer over notes, per-field heads",
            factory=_model,
            representations=("event",),
            presets=TRANSFORMER_PRESETS,
        )
    ]


def _masker(name: str):
    def make(token_spec, config):
        from smdiff_octuple import maskers

        return getattr(maskers, name)(token_spec)

    return make


@hookimpl
def smdiff_maskers() -> list[MaskerSpec]:
    """Register the bar-structured maskers for Octuple tokens."""
    return [
        MaskerSpec(
            id="bar_all", summary="mask whole bars (every field of their notes) at rate t", factory=_masker("BarMasker")
        ),
        MaskerSpec(
            id="bar_attribute",
            summary="mask pitch/duration/velocity/tempo per (bar, attribute) unit, other fields per note",
            factory=_masker("BarAttributeMasker"),
        ),
        MaskerSpec(
            id="mixed", summary="per row: random notes, whole bars or bar attributes", factory=_masker("MixedMasker")
        ),
    ]
