"""Model size presets shared by the built-in transformer denoisers (``model.preset``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

#: ``tiny`` for tests, ``small`` trains on a CPU in minutes, ``paper`` is SCHmUBERT's size
TRANSFORMER_PRESETS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "tiny": MappingProxyType({"width": 32, "depth": 1, "heads": 2, "ffn_mult": 2, "dropout": 0.0}),
        "small": MappingProxyType({"width": 128, "depth": 4, "heads": 4, "ffn_mult": 4, "dropout": 0.1}),
        "paper": MappingProxyType({"width": 512, "depth": 24, "heads": 8, "ffn_mult": 4, "dropout": 0.2}),
    }
)
