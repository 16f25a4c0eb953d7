"""The instrument slots of the multi-instrument ``octuple`` tokenizer: a slot per General MIDI program, and the drums.

Cheap to import (the plugin's entry point names the slots when it registers).
"""

from __future__ import annotations

import re

#: one slot per General MIDI program (``program_0`` … ``program_127``) and ``drums`` for the drum channel
INSTRUMENT_SLOTS = (*(f"program_{program}" for program in range(128)), "drums")
#: the same pattern the automatic track roles fill ``program_N`` slots by (:mod:`smdiff.data.roles`)
PROGRAM_SLOT = re.compile(r"program_(\d{1,3})")


def slot_instrument(slot: str) -> tuple[int, bool]:
    """The General MIDI program and drum flag of a slot's decoded track.

    ``program_N`` → program N; ``drums`` → the drum channel; any other slot
    (``melody``, ``piano``, …) → program 0.
    """
    if slot == "drums":
        return 0, True
    match = PROGRAM_SLOT.fullmatch(slot)
    return (int(match.group(1)), False) if match else (0, False)
