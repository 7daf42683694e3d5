"""The ledger's rows as plain frozen dataclasses: what the store hands out and the pure pipeline reasons about."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

HostKind = Literal["vm", "container"]


@dataclass(frozen=True)
class ReleaseRow:
    """A release: a content-addressed snapshot of the playbook folder and the inventories."""

    id: str
    content_hash: str
    playbook: str
    snapshot_dir: str
    created_at: str
    created_by: str
    note: str = ""


@dataclass(frozen=True)
class ReleaseImage:
    """The image a release's play was baked into."""

    release_id: str
    play: str
    image: str
    image_id: str
    context_hash: str
    built_at: str
    spec: str = "{}"
    """What a deploy needs besides the image (its service, per-stage templates), as JSON."""


@dataclass(frozen=True)
class HostOutcome:
    """How one host or container fared in a deployment."""

    host: str
    kind: HostKind
    status: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeploymentRow:
    """One deployment of a release to a stage."""

    id: int
    stage: str
    release_id: str | None
    action: str
    strategy: str
    started_at: str
    ended_at: str | None
    outcome: str
    reason: str
    requests_sent: int | None
    requests_failed: int | None
    forced: bool
    force_reason: str
    by: str
    pid: int
    machine: str
    source_stage: str = ""
    gates: str = "[]"
    """The promotion gates checked before it, as JSON: a list of {gate, passed, reason}."""


@dataclass(frozen=True)
class VerificationHost:
    """One host's testinfra results: the backend that reached it and how many checks passed and failed."""

    host: str
    backend: str
    passed: int
    failed: int
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VerificationRow:
    """One verification of a stage (outcome running, passed, failed or interrupted)."""

    id: int
    stage: str
    release_id: str | None
    started_at: str
    ended_at: str | None
    outcome: str
    by: str
    pid: int = 0
    machine: str = ""
    seconds: float | None = None
    reason: str = ""
    deployment_id: int | None = None


@dataclass(frozen=True)
class StageDriftScan:
    """The newest drift scan that covered a stage: when, its outcome, and the stage's unignored items in it."""

    scan_id: int
    started_at: str
    outcome: str
    items: int


@dataclass(frozen=True)
class CompareRunRow:
    """One `deployctl compare` run as the ledger keeps it: the stage, the two releases, the scorecard's JSON."""

    id: int
    stage: str
    from_release: str
    to_release: str
    started_at: str
    seconds: float
    by: str
    scorecard: str
