"""Ctrl+C and SIGTERM during a change: the change is undone, then the command ends and says so.

While a change to the installed plugins runs, :func:`interruptible` turns the first SIGINT or
SIGTERM into :class:`ChangeInterrupted`, raised where the host is (pip and the verification
process are stopped with it). The transaction catches it and restores the before-set
:meth:`SignalGuard.shielded` (signals arriving meanwhile are remembered, not raised, so a
second Ctrl+C cannot cut the restore short), then the command ends with ``128 + signal``
(130 for SIGINT, 143 for SIGTERM) and one line saying what was put back.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from ..guard import UserInterrupt, signal_name

__all__ = ["ChangeInterrupted", "SignalGuard", "interruptible", "signal_name"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ChangeInterrupted(UserInterrupt):
    """A change was stopped by a signal; ``str()`` says what was put back (exit 128 + signal)."""

    def __init__(self, signum: int, message: str = "") -> None:
        default = f"interrupted by {signal_name(signum)}; nothing was changed"
        super().__init__(signum, message or default)


class SignalGuard:
    """Remembers the signals of one change; raises :class:`ChangeInterrupted` once."""

    def __init__(self) -> None:
        #: The first signal received, if any.
        self.received: int | None = None
        self._shielded = 0

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """The signal handler: the first signal raises, unless the guard is shielded."""
        del frame
        first = self.received is None
        if first:
            self.received = signum
        if first and not self._shielded:
            raise ChangeInterrupted(signum)

    @contextmanager
    def shielded(self) -> Iterator[None]:
        """Remember signals instead of raising them (while restoring)."""
        self._shielded += 1
        try:
            yield
        finally:
            self._shielded -= 1


@contextmanager
def interruptible() -> Iterator[SignalGuard]:
    """Handle SIGINT and SIGTERM with a :class:`SignalGuard` (main thread only)."""
    guard = SignalGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard  # signal handlers can only be set there; elsewhere nothing changes
        return
    previous = {signum: signal.signal(signum, guard.handle) for signum in _SIGNALS}
    try:
        yield guard
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
