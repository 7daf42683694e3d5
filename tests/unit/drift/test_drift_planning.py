"""Drift's pure planning: which hosts a scan looks at, and which fixes a report calls for (no host, no ledger)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.drift.fix import APT, package_command_words, package_commands, plan_fixes
from deployctl.drift.model import DriftItem, DriftReport, HostScan, HostStatus, Target
from deployctl.drift.parity import parity_matrix
from deployctl.drift.scan import scan_jobs
from deployctl.drift.vms import VmFacts, VmRelease, vm_scan
from deployctl.errors import DeployctlError
from deployctl.model.inventory import load_inventory
from deployctl.model.loading.plays import load_playbook
from deployctl.model.project import load_project
from deployctl.model.records import DeploymentRow, HostOutcome
from deployctl.strategies.results import Status, TaskResult


def package(host: str, name: str, expected: str, actual: str) -> DriftItem:
    return DriftItem("qa", host, "vm", "mutable", "package", name, expected, actual)


def scan(host: str, status: HostStatus, release: str | None = "r1", target: Target = "vm", stage: str = "qa",
         inventory_host: str = "", items: tuple[DriftItem, ...] = ()) -> HostScan:  # fmt: skip
    strategy = "immutable" if target == "container" else "mutable"
    return HostScan(stage, host, target, strategy, inventory_host or host, release, status, "", items)


def report(*hosts: HostScan) -> DriftReport:
    stages = tuple(dict.fromkeys(h.stage for h in hosts))
    return DriftReport("t", 0.0, stages, hosts, parity_matrix(stages, hosts))


def test_hand_installed_packages_go_and_removed_ones_come_back_at_the_baseline_version() -> None:
    host = scan("qa-vm1", "drifted", items=(
        package("qa-vm1", "nmap", "not installed", "7.9"),
        package("qa-vm1", "curl", "8.5.0-2", "not installed"),
        package("qa-vm1", "odd", "1.0 or 2.0", "not installed"),  # not one version: left alone
    ))  # fmt: skip
    commands = package_commands(host)
    assert commands == [[*APT, "remove", "--", "nmap"], [*APT, "install", "--allow-downgrades", "--", "curl=8.5.0-2"]]
    assert package_command_words(commands[0]) == "remove -- nmap"


def test_no_package_item_no_package_command() -> None:
    assert package_commands(scan("qa-vm1", "drifted")) == []


def test_fixes_group_vms_by_stage_and_release_and_replicas_by_target_and_skip_the_rest() -> None:
    found = report(
        scan("qa-vm1", "drifted"),
        scan("qa-vm2", "drifted"),
        scan("qa-vm3", "drifted", release="r2"),
        scan("qa-vm4", "clean"),
        scan("qa-vm5", "never_deployed", release=None),
        scan("qa-vm6", "unreachable"),
        scan("app.1", "drifted", target="container", inventory_host="qa-web"),
        scan("app.2", "drifted", target="container", inventory_host="qa-web"),
        scan("dev-vm1", "drifted", stage="dev"),
    )
    plan = plan_fixes(found)
    assert [(f.stage, f.release_id, [h.host for h in f.hosts]) for f in plan.vms] == [
        ("qa", "r1", ["qa-vm1", "qa-vm2"]),
        ("qa", "r2", ["qa-vm3"]),
        ("dev", "r1", ["dev-vm1"]),
    ]
    assert [(f.stage, f.target, [s.host for s in f.replicas]) for f in plan.containers] == [
        ("qa", "qa-web", ["app.1", "app.2"])
    ]
    assert plan.stages == ("dev", "qa")  # locked in one order


def test_a_clean_report_plans_no_fix() -> None:
    assert plan_fixes(report(scan("qa-vm1", "clean"))).stages == ()


def deployment(id_: int, release: str | None) -> DeploymentRow:
    return DeploymentRow(id_, "qa", release, "deploy", "mutable", "t0", "t1", "ok", "", None, None, False, "",
                         "me", 1, "here")  # fmt: skip


@pytest.fixture
def qa(tmp_path: Path) -> tuple[VmRelease, Path]:
    root = tmp_path / "project"
    (root / "inventories").mkdir(parents=True)
    (root / "deployctl.yml").write_text("stages: [qa]\n")
    (root / "site.yml").write_text("- hosts: all\n  tasks: []\n")
    (root / "inventories" / "qa.yml").write_text(
        "all:\n  hosts:\n    qa-vm1:\n    qa-vm2:\n      deployctl_drift_ignore: ['path:/tmp/*']\n"
    )
    inventory = load_inventory(load_project(root), "qa")
    book = load_playbook(root / "site.yml", display="site.yml")
    return VmRelease("r1", book, inventory, book.templar()), root


def test_jobs_scan_deployed_hosts_against_their_release_and_report_the_others_never_deployed(
    qa: tuple[VmRelease, Path],
) -> None:
    release, _root = qa
    deployed = {"qa-vm2": (deployment(4, "r1"), HostOutcome("qa-vm2", "vm", "ok"))}
    asked: list[str] = []

    def release_of(release_id: str) -> VmRelease:
        asked.append(release_id)
        return release

    jobs, never = scan_jobs("qa", release.inventory, deployed, release_of)
    assert [(j.host.name, j.target, j.release.release_id) for j in jobs] == [("qa-vm2", "vm", "r1")]
    assert any(rule.text == "path:/tmp/*" for rule in jobs[0].rules)  # the host's own ignore rules
    assert asked == ["r1"]
    assert [(s.host, s.status) for s in never] == [("qa-vm1", "never_deployed")]


def test_a_deployment_without_a_release_is_an_error(qa: tuple[VmRelease, Path]) -> None:
    release, _root = qa
    deployed = {"qa-vm1": (deployment(4, None), HostOutcome("qa-vm1", "vm", "ok"))}
    with pytest.raises(DeployctlError, match="names no release"):
        scan_jobs("qa", release.inventory, deployed, lambda _rid: release)


def test_a_scan_stopped_by_a_failing_task_is_an_error_that_keeps_what_the_tasks_before_it_found(
    qa: tuple[VmRelease, Path],
) -> None:
    release, _root = qa
    host = release.inventory.hosts["qa-vm1"]

    def result(task: str, module: str, status: Status, message: str = "") -> TaskResult:
        return TaskResult("qa-vm1", "web", task, module, status, message, "site.yml:1")

    found = VmFacts(
        results=[
            result("motd", "copy", "changed", "content differs"),
            result("htop gone", "apt", "changed", "would install htop"),
            result("read a command's output", "command", "failed", "stdout_lines is undefined"),
            result("after the failure", "copy", "changed"),
        ]
    )
    scanned = vm_scan(host, release, found, None, ())
    assert scanned.failed and scanned.status == "error"
    assert [(i.kind, i.resource) for i in scanned.items] == [("file", "motd"), ("package", "htop gone")]
    assert scanned.message.startswith("read a command's output: stdout_lines is undefined")
    assert "2 items found by the tasks before it" in scanned.message
