"""Ctrl-C: every open connection is closed from the main thread, so no worker stays blocked reading a host.

A signal is process-wide, so this state is too: the CLI calls `INTERRUPTION.interrupt()` on the first
SIGINT; transports register how to close themselves while they are open and refuse new work after it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable


class Interruption:
    """Whether the run was interrupted, and the connections to close when it is."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._open: dict[int, Callable[[], None]] = {}

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def watch(self, owner: object, close: Callable[[], None]) -> None:
        """Call `close` if the run is interrupted while `owner` is open (at once if it already was)."""
        with self._lock:
            self._open[id(owner)] = close
        if self.requested:
            self.interrupt()

    def forget(self, owner: object) -> None:
        """`owner` is closed: nothing to do for it on an interruption."""
        with self._lock:
            self._open.pop(id(owner), None)

    def interrupt(self) -> None:
        """Mark the run interrupted and close every open connection (from whichever thread calls it)."""
        self._event.set()
        with self._lock:
            closers = list(self._open.values())
            self._open.clear()
        for close in closers:
            with contextlib.suppress(Exception):  # closing a connection that is failing anyway
                close()

    def check(self) -> None:
        """Raise KeyboardInterrupt in a worker thread once the run is interrupted: it starts nothing new."""
        if self.requested:
            raise KeyboardInterrupt

    def reset(self) -> None:
        """Forget an interruption (for tests, which run many interrupted runs in one process)."""
        self._event.clear()


INTERRUPTION = Interruption()
