"""What a run produced: per task and host results, per host recap, and the run's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from deployctl.modules.base import Diff

Status = Literal["ok", "changed", "failed", "skipped", "unreachable"]


@dataclass(frozen=True)
class TaskResult:
    """One task (or handler) on one host: its status, why, and what it changed or would change."""

    host: str
    play: str
    task: str
    module: str
    status: Status
    message: str
    origin: str
    diffs: tuple[Diff, ...] = ()
    ignored: bool = False
    handler: bool = False
    seconds: float = 0.0
    items: tuple[TaskResult, ...] = ()
    output: dict[str, Any] = field(default_factory=dict)


@dataclass
class HostRecap:
    """Counts per status for one host, as Ansible's PLAY RECAP shows them."""

    ok: int = 0
    changed: int = 0
    failed: int = 0
    skipped: int = 0
    unreachable: int = 0
    ignored: int = 0

    def count(self, result: TaskResult) -> None:
        if result.ignored:
            self.ignored += 1
            return
        if result.status == "changed":
            self.changed += 1
            self.ok += 1
        elif result.status == "ok":
            self.ok += 1
        elif result.status == "failed":
            self.failed += 1
        elif result.status == "skipped":
            self.skipped += 1
        else:
            self.unreachable += 1


@dataclass
class RunResult:
    """A whole `apply`: every task result in order, the recap per host, and how the run ended."""

    playbook: str
    stage: str
    check: bool
    results: list[TaskResult] = field(default_factory=list)
    recap: dict[str, HostRecap] = field(default_factory=dict)
    stopped: str | None = None
    seconds: float = 0.0
    connections: int = 0
    round_trips: int = 0

    @property
    def exit_code(self) -> int:
        """0 all ok, 2 some host failed or was unreachable, 3 stopped by max_fail_percentage."""
        if self.stopped is not None and "max_fail_percentage" in self.stopped:
            return 3
        if any(r.failed or r.unreachable for r in self.recap.values()):
            return 2
        return 0
