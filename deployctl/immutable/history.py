"""Each stage's release history: what was rolled out, when, and how it ended; the source of `rollback`.

A small JSON file per stage, `<state_dir>/stages/<stage>/releases.json`, oldest first. Choosing the release
to return to is pure (`rollback_target`), so it is tested without Docker.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from deployctl.errors import DeployctlError
from deployctl.immutable.replica import ConfigMount, ReplicaSpec
from deployctl.statedir import private_folder, write_private

Outcome = Literal["deployed", "unchanged", "rolled_back", "failed"]
Action = Literal["deploy", "rollback"]
SERVING: frozenset[str] = frozenset({"deployed", "unchanged"})
HISTORY_VERSION = 1


@dataclass(frozen=True)
class ReleaseRecord:
    """One rollout of a stage: the release's replica spec, the result, and when."""

    spec: ReplicaSpec
    time: str
    outcome: Outcome
    action: Action = "deploy"
    engine: str = "container"
    replicas: int = 0
    reason: str = ""

    @property
    def serving(self) -> bool:
        """True when the stage served this release after the rollout."""
        return self.outcome in SERVING


def releases_path(state_dir: Path, stage: str) -> Path:
    """The stage's history file."""
    return state_dir / "stages" / stage / "releases.json"


def now_iso() -> str:
    """The current time, UTC, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def record_to_json(record: ReleaseRecord) -> dict[str, Any]:
    """A record as plain JSON data."""
    data = asdict(record)
    data["spec"]["mounts"] = [asdict(m) for m in record.spec.mounts]
    return data


def record_from_json(data: dict[str, Any]) -> ReleaseRecord:
    """A record from its JSON data (as `record_to_json` wrote it)."""
    spec_data = dict(data["spec"])
    mounts = tuple(ConfigMount(**m) for m in spec_data.pop("mounts", []))
    return ReleaseRecord(
        spec=ReplicaSpec(**spec_data, mounts=mounts),
        time=str(data["time"]),
        outcome=data["outcome"],
        action=data.get("action", "deploy"),
        engine=str(data.get("engine", "container")),
        replicas=int(data.get("replicas", 0)),
        reason=str(data.get("reason", "")),
    )


def load_history(state_dir: Path, stage: str) -> list[ReleaseRecord]:
    """The stage's records, oldest first; empty when nothing was ever rolled out."""
    path = releases_path(state_dir, stage)
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text())
        return [record_from_json(item) for item in data["releases"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise DeployctlError(f"{path}: not a release history deployctl wrote ({exc})") from exc


def append_record(state_dir: Path, stage: str, record: ReleaseRecord) -> None:
    """Add a record to the stage's history (written to a temporary file, then renamed into place)."""
    path = releases_path(state_dir, stage)
    records = [*load_history(state_dir, stage), record]
    private_folder(path.parent)
    partial = path.with_name(path.name + ".partial")
    payload = {"version": HISTORY_VERSION, "stage": stage, "releases": [record_to_json(r) for r in records]}
    write_private(partial, json.dumps(payload, indent=2) + "\n")
    partial.replace(path)


def matches(record: ReleaseRecord, wanted: str) -> bool:
    """True when `wanted` names the record's release: its image tag, image id (or a prefix of 12+), or context."""
    spec = record.spec
    bare_id = spec.image_id.removeprefix("sha256:")
    wanted_id = wanted.removeprefix("sha256:")
    return (
        wanted in (spec.image, spec.context_hash)
        or (len(wanted_id) >= 12 and bare_id.startswith(wanted_id))
        or spec.image.rsplit(":", 1)[-1] == wanted
    )


def rollback_target(records: Sequence[ReleaseRecord], current_image_id: str | None, to: str | None) -> ReleaseRecord:
    """The release a rollback returns to: the newest served one named `to`, else the newest served one not current.

    Repeated rollbacks without `to` alternate between the last two releases, like `cd -`.
    """
    served = [r for r in reversed(records) if r.serving]
    if to is not None:
        for record in served:
            if matches(record, to):
                return record
        known = ", ".join(dict.fromkeys(r.spec.image for r in served)) or "none"
        raise DeployctlError(f"rollback --to {to}: no release of that name ever served this stage (known: {known})")
    current = next((r for r in served if r.spec.image_id == current_image_id), None)
    for record in served:
        if current is not None and _identity(record) != _identity(current):
            return record
        if current is None and record.spec.image_id != current_image_id:
            return record
    raise DeployctlError("rollback: this stage has no previous release to return to")


def _identity(record: ReleaseRecord) -> tuple[str, tuple[str, ...]]:
    """A release is its image and its per-stage config: a config-only change is a release of its own."""
    return record.spec.image_id, tuple(sorted(mount.source for mount in record.spec.mounts))


def current_release(records: Sequence[ReleaseRecord]) -> ReleaseRecord | None:
    """The release the stage served after its last successful rollout, per the history."""
    return next((r for r in reversed(records) if r.serving), None)
