"""Scan a VM over its transport: plan its release in check mode with the mutable strategy's runner, one round trip.

The package list (for the baseline comparison) is read in the same batch as the play's facts. Nothing is
changed on the host: check mode only plans. What the run found is judged by drift/vms.py (pure).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.drift.ignore import IgnoreRule
from deployctl.drift.model import HostScan
from deployctl.drift.vms import VmFacts, VmRelease, failed_vm_scan, vm_scan
from deployctl.errors import ConnectionFailedError, DeployctlError
from deployctl.facts.base import Fact
from deployctl.facts.cache import FactCache
from deployctl.facts.packages import PackageListFact
from deployctl.model.inventory import InventoryHost
from deployctl.model.runvars import play_variables, run_variables
from deployctl.strategies.hostrun import Emit, HostRunner, RunOptions
from deployctl.strategies.mutable import play_hosts
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
    variables = run_variables(release.inventory, release.playbook, host, check=True, diff=False)
    hint = fact_cache.hint(host.name) if fact_cache is not None else None
    check = RunOptions(check=True, redaction=release.redaction)
    runner = _ScanRunner(
        host, transport, release.playbook, variables, check, emit, templar=release.templar, fact_hint=hint, extra=extra
    )
    for play in release.playbook.plays:
        targeted = [h.name for h in play_hosts(release.inventory, play, None)]
        if host.name in targeted:
            runner.run_play(play, play_variables(play, targeted, targeted))
            if runner.failed:
                break
    runner.gather_left()
    if fact_cache is not None:
        fact_cache.remember(host.name, runner.gathered)
    found.facts = runner.facts
    found.round_trips = runner.round_trips
    found.secret_values = runner.secret_values
    return found


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
        return failed_vm_scan(host, release, "unreachable", str(error))
    except DeployctlError as error:
        return failed_vm_scan(host, release, "error", str(error))
    return vm_scan(host, release, found, baseline, rules)
