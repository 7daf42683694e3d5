"""What a drift scan finds: items per host or container, the hosts' statuses, and the report's outcome."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Target = Literal["vm", "container"]
Strategy = Literal["mutable", "immutable"]
HostStatus = Literal["clean", "drifted", "never_deployed", "unreachable", "error"]
Outcome = Literal["clean", "drift", "error"]

SCHEMA = "deployctl.drift/v1"
"""The JSON report's schema name; a change that breaks readers gets a new version (see docs/drift.md)."""

EXIT_CLEAN = 0
EXIT_ERROR = 1
EXIT_DRIFT = 2

VM_KINDS = ("package", "file", "service", "user", "group", "sysctl", "command")
CONTAINER_KINDS = ("image", "container-file", "env", "config", "replicas", "container-state")
KINDS = (*VM_KINDS, *CONTAINER_KINDS, "deployment")
"""Every kind of drift item; `deployment` says a host in the inventory never received a release."""


@dataclass(frozen=True)
class DriftItem:
    """One difference between what the release declares (`expected`) and what runs (`actual`).

    `rule` and `rule_source` are set on ignored items: the ignore rule that matched and where it was written.
    `diff` is a unified diff for file content, empty otherwise.
    """

    stage: str
    host: str
    target: Target
    strategy: Strategy
    kind: str
    resource: str
    expected: str
    actual: str
    diff: str = ""
    rule: str = ""
    rule_source: str = ""


@dataclass(frozen=True)
class HostScan:
    """One VM or container as the scan found it: its status, its items, and the items ignored.

    `inventory_host` is the inventory's name for it (a container's target, e.g. `qa-web`); `release` the
    release it was last deployed with; `facts` are the values the parity matrix compares between stages.
    """

    stage: str
    host: str
    target: Target
    strategy: Strategy
    inventory_host: str
    release: str | None
    status: HostStatus
    message: str = ""
    items: tuple[DriftItem, ...] = ()
    ignored: tuple[DriftItem, ...] = ()
    facts: Mapping[str, str] = field(default_factory=dict)

    @property
    def drifted(self) -> bool:
        """True when the host differs from its release (or never received one)."""
        return self.status in ("drifted", "never_deployed")

    @property
    def failed(self) -> bool:
        """True when the host could not be scanned: the scan cannot say it is clean."""
        return self.status in ("unreachable", "error")


def host_status(items: Sequence[DriftItem]) -> HostStatus:
    """`drifted` when any item remains after the ignore rules, else `clean`."""
    return "drifted" if items else "clean"


@dataclass(frozen=True)
class ParityRow:
    """One fact compared between stages: its values per stage (several when a stage's hosts disagree)."""

    fact: str
    kind: str
    values: Mapping[str, tuple[str, ...]]

    @property
    def differs(self) -> bool:
        """True when the stages (or the hosts within one stage) do not all have the same value."""
        distinct = {value for values in self.values.values() for value in values}
        return len(distinct) > 1


@dataclass(frozen=True)
class ParityMatrix:
    """The environment-parity matrix: stages as columns, facts as rows."""

    stages: tuple[str, ...]
    rows: tuple[ParityRow, ...]


@dataclass(frozen=True)
class RuleCount:
    """How many items one ignore rule hid, and where the rule was written."""

    rule: str
    source: str
    count: int


@dataclass(frozen=True)
class DriftReport:
    """A whole scan: when, which stages, every host, the parity matrix, and the outcome."""

    scanned_at: str
    seconds: float
    stages: tuple[str, ...]
    hosts: tuple[HostScan, ...]
    parity: ParityMatrix
    scan_id: int | None = None
    errors: tuple[str, ...] = ()

    @property
    def items(self) -> list[DriftItem]:
        """Every drift item, in host order."""
        return [item for host in self.hosts for item in host.items]

    @property
    def ignored(self) -> list[DriftItem]:
        """Every ignored item, in host order."""
        return [item for host in self.hosts for item in host.ignored]

    @property
    def outcome(self) -> Outcome:
        """`error` when some host could not be scanned, else `drift` when a host drifted, else `clean`."""
        if self.errors or any(host.failed for host in self.hosts):
            return "error"
        return "drift" if any(host.drifted for host in self.hosts) else "clean"

    @property
    def exit_code(self) -> int:
        """0 clean, 2 drift found, 1 error (as `terraform plan -detailed-exitcode`)."""
        return {"clean": EXIT_CLEAN, "drift": EXIT_DRIFT, "error": EXIT_ERROR}[self.outcome]

    def by_kind(self) -> dict[str, int]:
        """Drift items counted by kind, most frequent first."""
        return dict(Counter(item.kind for item in self.items).most_common())

    def rule_counts(self) -> list[RuleCount]:
        """Ignored items counted by rule (every ignored item is counted: nothing hides silently)."""
        counts = Counter((item.rule, item.rule_source) for item in self.ignored)
        return [RuleCount(rule, source, count) for (rule, source), count in sorted(counts.items())]
