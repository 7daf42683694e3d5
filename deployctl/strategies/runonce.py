"""`run_once`: the hosts of a batch meet at a run_once task; the first of them in batch order runs it, the
others take its result, as ansible-core's linear strategy does.

Hosts run their tasks in parallel, each at its own pace, so a host reaching a run_once task waits until
every other host of the batch has reached it too, or cannot: it has left the play (finished or failed),
has not started yet (more hosts than forks), or waits at another run_once task itself (two hosts that
took different paths never wait for each other). The first host in batch order among those that
reached it runs the task; the others wait for its result and take its registered value, set_fact and
include_vars variables. A task is met once per time a host reaches it (an include in a loop reaches
its tasks again).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deployctl.strategies.results import TaskResult

Meeting = tuple[int, int]
"""A run_once task (by identity) and how many times a host has reached it before."""


@dataclass(frozen=True)
class SharedRun:
    """What the first host's run of a run_once task gives the others: its result and the variables it set."""

    host: str
    result: TaskResult | None
    """None: the first host stopped before it had a result (its connection was lost)."""
    registered: Mapping[str, Any] = field(default_factory=dict)
    included: Mapping[str, Any] = field(default_factory=dict)


class RunOnceBatch:
    """The meeting points of one batch's hosts at run_once tasks (thread-safe)."""

    def __init__(self, hosts: Sequence[str]) -> None:
        self.order = {name: index for index, name in enumerate(hosts)}
        self.changed = threading.Condition()
        self.started: set[str] = set()
        self.left: set[str] = set()
        self.waiting: dict[str, Meeting] = {}
        self.arrived: dict[Meeting, set[str]] = {}
        self.leaders: dict[Meeting, str] = {}
        self.shared: dict[Meeting, SharedRun] = {}
        self.visits: dict[tuple[str, int], int] = {}

    def start(self, host: str) -> None:
        """A host begins the play: the others now wait for it at run_once tasks."""
        with self.changed:
            self.started.add(host)
            self.changed.notify_all()

    def leave(self, host: str) -> None:
        """A host is done with the play (finished, failed or unreachable): nobody waits for it any more."""
        with self.changed:
            self.left.add(host)
            self.waiting.pop(host, None)
            self.changed.notify_all()

    def meeting(self, host: str, task_id: int) -> Meeting:
        """The meeting at a task for this host: the same for every host that reaches it the same time over."""
        with self.changed:
            count = self.visits.get((host, task_id), 0)
            self.visits[(host, task_id)] = count + 1
            return (task_id, count)

    def leads(self, host: str, meeting: Meeting) -> bool:
        """Wait until the meeting's first host is known; True when it is this host (it runs the task)."""
        with self.changed:
            self.arrived.setdefault(meeting, set()).add(host)
            self.waiting[host] = meeting
            self.changed.notify_all()
            while meeting not in self.leaders:
                if not self._expected(meeting):
                    self.leaders[meeting] = min(self.arrived[meeting], key=lambda name: self.order.get(name, 0))
                    self.changed.notify_all()
                    break
                self.changed.wait()
            if self.leaders[meeting] != host:
                return False
            self.waiting.pop(host, None)
            self.changed.notify_all()
            return True

    def share(self, meeting: Meeting, shared: SharedRun) -> None:
        """The first host's run is done: give it to the hosts waiting (and to those that come later)."""
        with self.changed:
            self.shared[meeting] = shared
            self.changed.notify_all()

    def result(self, host: str, meeting: Meeting) -> SharedRun:
        """Wait for the first host's run of the meeting's task."""
        with self.changed:
            while meeting not in self.shared:
                self.changed.wait()
            self.waiting.pop(host, None)
            self.changed.notify_all()
            return self.shared[meeting]

    def _expected(self, meeting: Meeting) -> bool:
        """Whether some host may still reach the meeting: started, not left, not there, not waiting elsewhere."""
        there = self.arrived.get(meeting, set())
        return any(
            host in self.started and host not in self.left and host not in there and host not in self.waiting
            for host in self.order
        )
