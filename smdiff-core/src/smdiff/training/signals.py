"""Stop requests from the outside world, turned into a flag the loop checks after each optimizer step.

SIGTERM and SIGUSR1 (a scheduler's pre-emption warning) and SIGINT (Ctrl-C)
never interrupt a step half-way: the loop finishes the step, writes a
checkpoint and exits with ``128 + signal number`` (143, 138 and 130).
"""

from __future__ import annotations

import signal
from types import FrameType

HANDLED = (signal.SIGTERM, signal.SIGUSR1, signal.SIGINT)


class StopRequests:
    """Installs handlers for the run's lifetime; ``requested`` names the first signal received."""

    def __init__(self) -> None:
        self.requested: signal.Signals | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self.requested is None:
            self.requested = signal.Signals(number)

    def __enter__(self) -> StopRequests:
        for sig in HANDLED:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]

    @property
    def exit_code(self) -> int:
        """The conventional shell status for the received signal (0 when none)."""
        return 128 + int(self.requested) if self.requested is not None else 0
