"""Fixtures: fresh plugin hosts with throwaway plugins, and real installed-distribution stand-ins."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from smdiff import DatasetSpec, ModelSpec, TokenizerSpec, hookimpl
from smdiff.cli.app import build_app
from smdiff.data.piece import Piece
from smdiff.plugins import build_plugin_host, set_plugin_host
from smdiff.testing import pop909_or_bundled
from smdiff.tokenizer import Encoding, Tokenizer
from smdiff.tokens import TokenSpec


class OnsetTokenizer(Tokenizer):
    """A one-channel test tokenizer: per 16th step, 1 where a note of track MELODY starts."""

    id = "toy_tok"

    @property
    def token_spec(self) -> TokenSpec:
        return TokenSpec(channels=("onset",), vocab_sizes=(2,))

    @property
    def track_names(self) -> tuple[str, ...]:
        return ("melody",)

    def window_length(self, bars: int) -> int:
        return bars * 16

    def encode(self, midi, *, bars, max_windows=None, source=None) -> Encoding:
        piece = Piece.read(midi, track_map={"melody": "name:MELODY"}, source=source)
        steps = np.zeros(max(piece.grid.n_bars, bars) * 16, dtype=np.int64)
        if "melody" in piece.notes:
            steps[np.rint(piece.grid.bar_position(piece.notes["melody"].time) * 16).astype(int)] = 1
        starts = [b for b in range(len(steps) // 16 - bars + 1) if steps[b * 16 : (b + bars) * 16].any()]
        starts = starts[:max_windows] if max_windows else starts
        windows = np.stack([steps[b * 16 : (b + bars) * 16, None] for b in starts]) if starts else np.zeros((0, 0, 1))
        return Encoding(windows=windows, start_bars=np.asarray(starts, dtype=np.int64))

    def decode(self, tokens):
        raise NotImplementedError("the test tokenizer only encodes")

    def region_mask(self, tokens, *, start_bar, end_bar, tracks):
        raise NotImplementedError("the test tokenizer only encodes")


def _onsets(config):
    return OnsetTokenizer()


class ToyPlugin:
    """A throwaway plugin: one model with presets, one tokenizer and one dataset."""

    @hookimpl
    def smdiff_models(self):
        presets = {"tiny": {"width": 32, "depth": 1, "heads": 2}, "small": {"width": 64, "depth": 2, "heads": 4}}
        return [
            ModelSpec(
                id="toy_model", summary="toy", factory=lambda *a: None, representations=("grid",), presets=presets
            ),
            ModelSpec(
                id="toy_event", summary="toy", factory=lambda *a: None, representations=("event",), presets=presets
            ),
        ]

    @hookimpl
    def smdiff_tokenizers(self):
        return [TokenizerSpec(id="toy_tok", summary="toy", factory=_onsets, version="1", representation="grid")]

    @hookimpl
    def smdiff_datasets(self):
        return [
            DatasetSpec(
                id="toy_set",
                summary="toy",
                factory=lambda: {"train": {"batch_size": 3}},
                tokenizer="toy_tok",
                bars=8,
                root_dir="$SMDIFF_TOY_ROOT|/data/toy",
            )
        ]


@pytest.fixture
def host():
    """A plugin host with only the kernel's built-ins and the toy plugin (no installed entry points)."""
    fresh = build_plugin_host(entrypoints=False, env={})
    fresh.register(ToyPlugin(), "toy", "toy-dist", "9.9")
    set_plugin_host(fresh)
    yield fresh
    set_plugin_host(None)


@pytest.fixture
def pop909() -> Path:
    """POP909 (``SMDIFF_POP909`` or ../shared/data/POP909), else the bundled examples/pop909-mini: never skips."""
    return pop909_or_bundled(Path(__file__).resolve().parents[2])


@pytest.fixture
def registries(host):
    """The registries of :func:`host`."""
    return host.registries


@pytest.fixture
def cli(host):
    """Invoke the real ``smdiff`` app built on :func:`host`; returns the CliRunner result."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(build_app(host), list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def toy_config_defaults():
    """Flags that select the toy model and dataset, so config resolution needs no plugin package."""
    return {"model.id": "toy_model", "data.dataset_id": "toy_set"}


@pytest.fixture
def fake_distribution(tmp_path, monkeypatch):
    """Install a real (metadata-only) distribution with an ``smdiff`` entry point onto ``sys.path``.

    ``make(name, module_source)`` writes ``<name>.py`` and ``<name>-1.2.3.dist-info`` so
    ``importlib.metadata`` discovers it exactly like a pip-installed plugin.
    """
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(name: str, source: str, version: str = "1.2.3") -> Path:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        info = tmp_path / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[smdiff]\n{name} = {name}\n")
        sys.modules.pop(name, None)
        return tmp_path

    return make


@pytest.fixture
def toy_tokenizer():
    """The one-channel onset tokenizer (a plain :class:`Tokenizer`, so it encodes many files one by one)."""
    return OnsetTokenizer()
