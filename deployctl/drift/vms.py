"""A VM's drift from what a check-mode run of its release found: planned changes, packages since the baseline.

The run itself (over the host's transport) is operations/vmscan.py; this module only judges its findings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deployctl.drift.compare import config_values, package_items, plan_items, redacted_facts
from deployctl.drift.ignore import IgnoreRule, split_ignored
from deployctl.drift.model import HostScan, HostStatus, host_status
from deployctl.facts.files import FileInfo
from deployctl.facts.packages import PACKAGE_LIST_KEY, PackageInfo
from deployctl.model.inventory import Inventory, InventoryHost
from deployctl.model.playbook import Playbook
from deployctl.redaction import RedactionRules, Redactor
from deployctl.strategies.results import TaskResult
from deployctl.templating import Templar


@dataclass(frozen=True)
class VmRelease:
    """What a VM's release declares for it: the release's playbook and inventory (from its snapshot), and
    which values the scan's report hides (the project's `redact:` setting)."""

    release_id: str
    playbook: Playbook
    inventory: Inventory
    templar: Templar
    redaction: RedactionRules = field(default_factory=RedactionRules)


@dataclass
class VmFacts:
    """What a check-mode run of the release found on a VM, and the secret values its tasks saw."""

    results: list[TaskResult] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    round_trips: int = 0
    secret_values: set[str] = field(default_factory=set)


def parity_facts(release_id: str, found: VmFacts, rules: RedactionRules | None = None) -> dict[str, str]:
    """The facts the parity matrix compares: the release, managed packages' versions, rendered config values.

    Config values holding a secret the run saw, or under a secret-named key, are masked.
    """
    facts = {"release": release_id}
    for key, value in found.facts.items():
        if key.startswith("package:") and isinstance(value, PackageInfo):
            facts[f"package {value.name}"] = value.installed or "not installed"
    for result in found.results:
        for part in result.items or (result,):
            dest = part.output.get("dest") if part.module == "template" else None
            info = found.facts.get(f"file:{dest}") if isinstance(dest, str) else None
            if isinstance(dest, str) and isinstance(info, FileInfo):
                facts.update(config_values(dest, info.content))
    return redacted_facts(facts, Redactor.of(found.secret_values, rules or RedactionRules()))


def _failure(results: Sequence[TaskResult]) -> int | None:
    """The index of the first result that failed and was not ignored."""
    return next((i for i, r in enumerate(results) if r.status in ("failed", "unreachable") and not r.ignored), None)


def failed_vm_scan(host: InventoryHost, release: VmRelease, status: HostStatus, message: str) -> HostScan:
    """A VM that could not be scanned: unreachable, or an error, and why."""
    return HostScan(host.stage, host.name, "vm", "mutable", host.name, release.release_id, status, message)


def _stopped_vm_scan(
    host: InventoryHost, release: VmRelease, found: VmFacts, stopped_at: int, rules: Sequence[IgnoreRule]
) -> HostScan:
    """A scan that a failing task stopped: still an error, with the drift the tasks before it found."""
    failure, before = found.results[stopped_at], found.results[:stopped_at]
    status: HostStatus = "unreachable" if failure.status == "unreachable" else "error"
    kept, ignored = split_ignored(plan_items(host.stage, host.name, before), rules)
    message = f"{failure.task}: {failure.message}"
    if kept:
        message += f" (the scan stopped there; {len(kept)} items found by the tasks before it)"
    return HostScan(
        host.stage, host.name, "vm", "mutable", host.name, release.release_id, status, message, kept, ignored
    )


def vm_scan(
    host: InventoryHost,
    release: VmRelease,
    found: VmFacts,
    baseline: Mapping[str, str] | None,
    rules: Sequence[IgnoreRule],
) -> HostScan:
    """One VM's drift from what the check-mode run found: its planned changes, packages changed since the baseline."""
    stopped_at = _failure(found.results)
    if stopped_at is not None:
        return _stopped_vm_scan(host, release, found, stopped_at, rules)
    items = plan_items(host.stage, host.name, found.results)
    current = found.facts.get(PACKAGE_LIST_KEY)
    message = ""
    if baseline is None:
        message = "no package baseline recorded: packages installed by hand cannot be told apart"
    elif isinstance(current, dict):
        reported = {i.resource for i in items if i.kind == "package"}
        items += package_items(host.stage, host.name, baseline, current, reported)
    kept, ignored = split_ignored(items, rules)
    return HostScan(
        host.stage,
        host.name,
        "vm",
        "mutable",
        host.name,
        release.release_id,
        host_status(kept),
        message,
        kept,
        ignored,
        parity_facts(release.release_id, found, release.redaction),
    )
