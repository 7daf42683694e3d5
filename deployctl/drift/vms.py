"""Scan a VM over SSH: plan its release in check mode with the mutable strategy's runner, one round trip.

The package list (for the baseline comparison) is read in the same batch as the play's facts. Nothing is
changed on the host: check mode only plans.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deployctl.drift.compare import config_values, package_items, plan_items, redacted_facts
from deployctl.drift.ignore import IgnoreRule, split_ignored
from deployctl.drift.model import HostScan, HostStatus, host_status
from deployctl.errors import ConnectionFailedError, DeployctlError
from deployctl.facts.base import Fact
from deployctl.facts.cache import FactCache
from deployctl.facts.files import FileInfo
from deployctl.facts.packages import PACKAGE_LIST_KEY, PackageInfo, PackageListFact
from deployctl.model.inventory import Inventory, InventoryHost
from deployctl.model.playbook import Playbook
from deployctl.model.runvars import run_variables
from deployctl.redaction import RedactionRules, Redactor
from deployctl.strategies.hostrun import Emit, HostRunner, RunOptions
from deployctl.strategies.mutable import play_hosts
from deployctl.strategies.results import TaskResult
from deployctl.templating import Templar
from deployctl.transport.base import Transport


class _ScanRunner(HostRunner):
    """The mutable strategy's host runner, reading extra facts in its first round trip."""

    def __init__(self, *args: Any, extra: Sequence[Fact[Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.extra: list[Fact[Any]] = list(extra)

    def _gather(self, facts: list[Fact[Any]], become: bool) -> None:
        if self.extra:
            facts, self.extra = [*facts, *self.extra], []
        super()._gather(facts, become)

    def gather_left(self) -> None:
        """Read the extra facts when no play asked for facts (a host no task reads)."""
        if self.extra:
            self._gather([], False)


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


def check_release(
    host: InventoryHost,
    transport: Transport,
    release: VmRelease,
    extra: Sequence[Fact[Any]],
    fact_cache: FactCache | None = None,
) -> VmFacts:
    """Plan the release's plays for `host` in check mode (facts in one round trip, extras with them)."""
    found = VmFacts()
    emit: Emit = found.results.append
    variables = run_variables(release.inventory, release.playbook, host, check=True)
    hint = fact_cache.hint(host.name) if fact_cache is not None else None
    check = RunOptions(check=True, redaction=release.redaction)
    runner = _ScanRunner(
        host, transport, release.playbook, variables, check, emit, templar=release.templar, fact_hint=hint, extra=extra
    )
    for play in release.playbook.plays:
        if any(h.name == host.name for h in play_hosts(release.inventory, play, None)):
            runner.run_play(play)
            if runner.failed:
                break
    runner.gather_left()
    if fact_cache is not None:
        fact_cache.remember(host.name, runner.gathered)
    found.facts = runner.facts
    found.round_trips = runner.round_trips
    found.secret_values = runner.secret_values
    return found


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


def _failure(results: Sequence[TaskResult]) -> TaskResult | None:
    return next((r for r in results if r.status in ("failed", "unreachable") and not r.ignored), None)


def _failed(host: InventoryHost, release: VmRelease, status: HostStatus, message: str) -> HostScan:
    return HostScan(host.stage, host.name, "vm", "mutable", host.name, release.release_id, status, message)


def scan_vm(
    host: InventoryHost,
    transport: Transport,
    release: VmRelease,
    baseline: Mapping[str, str] | None,
    rules: Sequence[IgnoreRule],
    fact_cache: FactCache | None = None,
) -> HostScan:
    """One VM's drift from its release: planned changes, and packages changed since the baseline."""

    try:
        found = check_release(host, transport, release, [PackageListFact()], fact_cache)
    except ConnectionFailedError as error:
        return _failed(host, release, "unreachable", str(error))
    except DeployctlError as error:
        return _failed(host, release, "error", str(error))
    failure = _failure(found.results)
    if failure is not None:
        status: HostStatus = "unreachable" if failure.status == "unreachable" else "error"
        return _failed(host, release, status, f"{failure.task}: {failure.message}")
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
