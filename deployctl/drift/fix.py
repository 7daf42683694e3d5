"""What `drift --fix` does, planned from a report: which hosts to fix, grouped by release, and the package commands.

Packages installed by hand are removed and packages removed by hand are installed again (at the baseline's
version), then the release's playbook is applied to the drifted VMs; drifted replicas are swapped for fresh
containers of the release's image. The fixes themselves (and their records) are operations/drift.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from deployctl.drift.compare import NOT_INSTALLED
from deployctl.drift.model import DriftReport, HostScan

APT = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q"]


def package_commands(host: HostScan) -> list[list[str]]:
    """The apt commands that return a VM's packages to its baseline (hand-installed ones go, removed ones return)."""
    remove = sorted(i.resource for i in host.items if i.kind == "package" and i.expected == NOT_INSTALLED)
    install = sorted(
        f"{i.resource}={i.expected}"
        for i in host.items
        if i.kind == "package" and i.expected != NOT_INSTALLED and " " not in i.expected and "," not in i.expected
    )
    commands = []
    if remove:
        commands.append([*APT, "remove", "--", *remove])
    if install:
        commands.append([*APT, "install", "--allow-downgrades", "--", *install])
    return commands


def package_command_words(command: Iterable[str]) -> str:
    """A package command as the fix's progress line shows it: without the apt-get prefix."""
    return " ".join(list(command)[len(APT) :])


@dataclass(frozen=True)
class VmFix:
    """Drifted VMs of one stage to return to one release."""

    stage: str
    release_id: str
    hosts: tuple[HostScan, ...]


@dataclass(frozen=True)
class ContainerFix:
    """Drifted replicas of one container target of a stage to replace by the release's image."""

    stage: str
    release_id: str
    target: str
    replicas: tuple[HostScan, ...]


@dataclass(frozen=True)
class FixPlan:
    """Every fix a report calls for, and the stages they lock (in one order, so two fixes cannot wait on each other)."""

    vms: tuple[VmFix, ...] = ()
    containers: tuple[ContainerFix, ...] = ()
    stages: tuple[str, ...] = field(default=())


def plan_fixes(report: DriftReport) -> FixPlan:
    """The fixes of a report's drifted hosts that have a release: VMs by stage and release, replicas by target."""
    vms: dict[tuple[str, str], list[HostScan]] = {}
    containers: dict[tuple[str, str, str], list[HostScan]] = {}
    for host in report.hosts:
        if host.status != "drifted" or host.release is None:
            continue
        if host.target == "vm":
            vms.setdefault((host.stage, host.release), []).append(host)
        else:
            containers.setdefault((host.stage, host.release, host.inventory_host), []).append(host)
    stages = sorted({stage for stage, _ in vms} | {stage for stage, _, _ in containers})
    return FixPlan(
        tuple(VmFix(stage, release, tuple(hosts)) for (stage, release), hosts in vms.items()),
        tuple(ContainerFix(stage, release, target, tuple(s)) for (stage, release, target), s in containers.items()),
        tuple(stages),
    )
