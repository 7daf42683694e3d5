"""Run one function per host in parallel, on a bounded pool, keeping each host's outcome."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Generic, TypeVar

from deployctl.transport.settings import DEFAULT_FORKS

Item = TypeVar("Item")
Value = TypeVar("Value")

SIGNAL_CHECK = 0.2
"""Seconds between the main thread's checks for Ctrl-C while hosts run: the kernel may give SIGINT to a worker."""


@dataclass(frozen=True)
class Outcome(Generic[Item, Value]):
    """What one host's call returned, or the exception it raised."""

    item: Item
    value: Value | None
    error: Exception | None

    @property
    def ok(self) -> bool:
        return self.error is None


def run_each(
    items: Sequence[Item], call: Callable[[Item], Value], forks: int = DEFAULT_FORKS
) -> list[Outcome[Item, Value]]:
    """Call `call(item)` for every item, at most `forks` at once; outcomes come back in input order.

    An exception in one call is recorded as that item's outcome and never stops the others. A
    KeyboardInterrupt returns at once, without waiting for the calls still running.
    """

    def guarded(item: Item) -> Outcome[Item, Value]:
        try:
            return Outcome(item, call(item), None)
        except Exception as exc:
            return Outcome(item, None, exc)

    if not items:
        return []
    pool = ThreadPoolExecutor(max_workers=max(1, min(forks, len(items))))
    try:
        futures = [pool.submit(guarded, item) for item in items]
        pending = set(futures)
        while pending:  # short waits: Python runs a signal's handler only when the main thread wakes
            _, pending = wait(pending, timeout=SIGNAL_CHECK)
        outcomes = [future.result() for future in futures]
    except BaseException:  # Ctrl-C: leave at once; the workers end when their connections are closed
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return outcomes
