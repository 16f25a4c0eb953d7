"""Built-in masker: ``random`` (SCHmUBERT's absorbing mask)."""

from __future__ import annotations

from smdiff import hookimpl
from smdiff.specs import MaskerSpec


def _random(token_spec, config):
    from smdiff.diffusion.maskers import RandomMasker

    return RandomMasker(token_spec, config.mask_unit)


@hookimpl
def smdiff_maskers() -> list[MaskerSpec]:
    """Register the ``random`` masker."""
    return [
        MaskerSpec(id="random", summary="mask each element (or whole token) independently at rate t", factory=_random)
    ]
