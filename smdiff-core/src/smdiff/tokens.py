"""The one tensor contract shared by tokenizers, models, maskers and samplers.

Every tokenizer produces int arrays shaped ``[length, channels]``. Channel ``c``
has ``vocab_sizes[c]`` real tokens ``0 .. vocab_sizes[c] - 1``; its absorbing
mask id is ``vocab_sizes[c]``. Models return logits ``[B, L, sum(vocab_sizes)]``
with channel ``c`` at ``offsets[c]``; the mask token never has a logit.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import attrs


def _check_sizes(instance: TokenSpec, attribute: attrs.Attribute, value: tuple[int, ...]) -> None:
    if len(value) != len(instance.channels):
        raise ValueError(f"TokenSpec has {len(instance.channels)} channels but {len(value)} vocab sizes")
    if any(size < 1 for size in value):
        raise ValueError(f"TokenSpec vocab sizes must be positive, got {value}")


@attrs.frozen
class TokenSpec:
    """Channel names and per-channel vocabulary sizes of a token array.

    ``pad_ids`` names, per channel, a real token that marks padding (``None``
    when the channel has no padding token). Padding is data, not the mask.
    """

    channels: tuple[str, ...] = attrs.field(converter=tuple)
    vocab_sizes: tuple[int, ...] = attrs.field(converter=tuple, validator=_check_sizes)
    pad_ids: tuple[int | None, ...] | None = attrs.field(default=None, converter=attrs.converters.optional(tuple))

    @property
    def n_channels(self) -> int:
        """Number of channels ``C``."""
        return len(self.channels)

    @property
    def mask_ids(self) -> tuple[int, ...]:
        """The absorbing mask id of each channel: one past its last real token."""
        return self.vocab_sizes

    @property
    def offsets(self) -> tuple[int, ...]:
        """Start of each channel's segment in the concatenated logits."""
        starts, total = [], 0
        for size in self.vocab_sizes:
            starts.append(total)
            total += size
        return tuple(starts)

    @property
    def total_vocab(self) -> int:
        """Width of the logits: ``sum(vocab_sizes)``."""
        return sum(self.vocab_sizes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict that :meth:`from_dict` turns back into an equal spec."""
        return {
            "channels": list(self.channels),
            "vocab_sizes": list(self.vocab_sizes),
            "pad_ids": None if self.pad_ids is None else list(self.pad_ids),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenSpec:
        """Rebuild a spec written by :meth:`to_dict`."""
        return cls(channels=data["channels"], vocab_sizes=data["vocab_sizes"], pad_ids=data.get("pad_ids"))

    def digest(self) -> str:
        """A short stable hash, used to refuse caches and checkpoints made for another spec."""
        payload = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(payload).hexdigest()[:16]
