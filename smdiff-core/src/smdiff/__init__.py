"""smdiff: discrete (absorbing-state) diffusion for symbolic music.

``import smdiff`` is the whole plugin API: a plugin (and its tests, with
:mod:`smdiff.testing`) needs no other kernel module. Everything here is listed
in ``docs/plugins.md`` with its stability promise.

The top level stays cheap to import: specs, errors, the token contract and the
hook marker load eagerly; names that pull numpy, symusic or torch load on first
use. Those lazy names are declared once, as the imports under
``if TYPE_CHECKING:`` below, which type checkers read as they are and which
:func:`__getattr__` reads (by parsing this file, as scientific Python's
``lazy_loader`` reads stubs) to know where each name lives.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from smdiff.corpora import POP909_ROOT
from smdiff.errors import ConfigError, DataError, SmdiffError
from smdiff.factories import (
    CommandFactory,
    DatasetFactory,
    KernelFactory,
    MaskerFactory,
    MetricFactory,
    ModelFactory,
    StorageFactory,
    TaskFactory,
    TokenizerFactory,
)
from smdiff.presets import TRANSFORMER_PRESETS
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

if TYPE_CHECKING:  # the lazy half of the API: each name is imported from its module on first use
    from smdiff.config.schema import DataConfig, DiffusionConfig, ModelConfig, SampleConfig, StorageConfig
    from smdiff.data.bars import BarGrid
    from smdiff.data.batch import PieceBatch
    from smdiff.data.beat_chords import BeatChords, beat_chords
    from smdiff.data.cache import padding_windows, smallest_dtype
    from smdiff.data.chord_recognition import beat_profiles, chords_of_profiles, recognise_chords
    from smdiff.data.chord_tokens import CHORD_SLOT, CHORD_VOCAB, chord_token, token_chord, transpose_chord_tokens
    from smdiff.data.chord_track import block_chord, chord_note_track, chord_track_indices, with_chords
    from smdiff.data.chords import Chord
    from smdiff.data.keys import Key, estimate_key
    from smdiff.data.piece import Piece
    from smdiff.data.ragged import offsets_of, ragged_arange, segment_diffs, segment_ids, spread_indices
    from smdiff.data.tracks import check_track_map
    from smdiff.diffusion.maskers import Masker
    from smdiff.evaluation.core import Evaluation, Gap, InfillPair, Metric, MetricResult, PlottingMetric
    from smdiff.form.detect import bar_similarity, detect_form
    from smdiff.form.plan import Form, Section
    from smdiff.kernels import KernelBackend
    from smdiff.midi import (
        MidiLike,
        empty_score,
        find_midi_files,
        load_score,
        note_track,
        save_score,
        set_tempos,
        set_time_signatures,
    )
    from smdiff.nn.blocks import ChannelEmbedding, ChannelHeads, TransformerStack, init_weights
    from smdiff.notes import NoteTable
    from smdiff.piece_tokenizer import PieceTokenizer
    from smdiff.progress import progress_bar, status, warn
    from smdiff.storage import StorageBackend
    from smdiff.tasks import Selection, Task, Window
    from smdiff.tokenizer import EncodeFailure, Encoding, Tokenizer

try:
    __version__ = importlib.metadata.version("smdiff-core")
except importlib.metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+unknown"

#: Decorate plugin functions with ``@smdiff.hookimpl``.
hookimpl = pluggy.HookimplMarker("smdiff")


@functools.cache
def lazy_names() -> dict[str, str]:
    """Each lazily loaded name of the API → the module it lives in (read from this file's ``TYPE_CHECKING`` block)."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    block = next(
        node for node in tree.body if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
    )
    return {
        alias.asname or alias.name: statement.module
        for statement in block.body
        if isinstance(statement, ast.ImportFrom) and statement.module
        for alias in statement.names
    }


def __getattr__(name: str) -> Any:
    module = lazy_names().get(name)
    if module is None:
        raise AttributeError(f"module 'smdiff' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "POP909_ROOT",
    "TRANSFORMER_PRESETS",
    "CommandFactory",
    "CommandSpec",
    "ConfigError",
    "DataError",
    "DatasetFactory",
    "DatasetSpec",
    "KernelFactory",
    "KernelSpec",
    "MaskerFactory",
    "MaskerSpec",
    "MetricFactory",
    "MetricSpec",
    "ModelFactory",
    "ModelSpec",
    "SmdiffError",
    "StorageBackendSpec",
    "StorageFactory",
    "TaskFactory",
    "TaskSpec",
    "TokenSpec",
    "TokenizerFactory",
    "TokenizerSpec",
    "__version__",
    "hookimpl",
    "no_settings",
    *lazy_names(),
]
