"""The pure core of drift: plans to items, baselines, containers, ignore rules, parity and the reports."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from deployctl.drift.compare import (
    ConfigCheck,
    ContainerExpectation,
    ContainerState,
    container_items,
    package_items,
    plan_items,
    replica_items,
)
from deployctl.drift.ignore import default_container_rules, rules_from_text, rules_from_variable, split_ignored
from deployctl.drift.model import DriftItem, DriftReport, HostScan, host_status
from deployctl.drift.parity import parity_matrix
from deployctl.drift.render import report_html, report_json, report_junit
from deployctl.errors import InputError
from deployctl.facts.base import RawFact
from deployctl.facts.packages import PackageListFact
from deployctl.ledger.db import open_ledger
from deployctl.ledger.drift import baselines, save_baseline, save_scan, scan_history
from deployctl.modules.base import Diff
from deployctl.strategies.results import TaskResult


def _result(module: str, status: str, *diffs: Diff, handler: bool = False) -> TaskResult:
    return TaskResult("vm1", "play", "task", module, status, "msg", "book.yml:1", diffs=diffs, handler=handler)  # type: ignore[arg-type]


def test_a_changed_template_is_a_file_item_with_the_lines_that_differ() -> None:
    before, after = "[app]\nstage = qa\ngreeting = edited\n", "[app]\nstage = qa\ngreeting = Hello\n"
    results = [
        _result("template", "changed", Diff("/etc/app.ini", before, after)),
        _result("apt", "ok"),
        _result("systemd", "changed", Diff("service app", "state: running", "state: restarted"), handler=True),
    ]
    [item] = plan_items("qa", "vm1", results)
    assert (item.kind, item.resource, item.expected, item.actual) == (
        "file",
        "/etc/app.ini",
        "greeting = Hello",
        "greeting = edited",
    )
    assert "-greeting = edited" in item.diff and "+greeting = Hello" in item.diff


@pytest.mark.parametrize("module", ["replace", "blockinfile", "pam_limits"])
def test_the_text_editing_modules_drift_as_files(module: str) -> None:
    results = [_result(module, "changed", Diff("/etc/app.conf", "a = 1\nb = edited\n", "a = 1\nb = 2\n"))]
    [item] = plan_items("qa", "vm1", results)
    assert (item.kind, item.resource, item.expected, item.actual) == ("file", "/etc/app.conf", "b = 2", "b = edited")


def test_packages_and_services_name_their_resource_without_prefix() -> None:
    results = [
        _result("apt", "changed", Diff("package curl", "not installed", "present")),
        _result(
            "service", "changed", Diff("service app", "state: inactive\nenabled: no", "state: started\nenabled: yes")
        ),
    ]
    items = plan_items("qa", "vm1", results)
    assert [(i.kind, i.resource, i.actual) for i in items] == [
        ("package", "curl", "not installed"),
        ("service", "app", "state: inactive, enabled: no"),
    ]


def test_packages_since_the_baseline_added_removed_and_upgraded() -> None:
    baseline = {"curl": "7.88", "tree": "2.1", "libc6": "2.36"}
    current = {"curl": "7.88", "libc6": "2.37", "probe": "1.0"}
    items = package_items("prod", "vm1", baseline, current, already={"tree"})
    assert [(i.resource, i.expected, i.actual) for i in items] == [
        ("libc6", "2.36", "2.37"),
        ("probe", "not installed", "1.0"),
    ]


def test_dpkg_list_keeps_installed_packages_only() -> None:
    output = "curl|ii |7.88|curl\ngone|rc |1.0|gone\nlibc6|ii |2.36|libc6:amd64\nnever|un ||never\n"
    assert PackageListFact().parse(RawFact(output, 0)) == {"curl": "7.88", "libc6:amd64": "2.36"}


def _state(**changes: object) -> ContainerState:
    values: dict[str, object] = {
        "name": "uat-app-1",
        "image_id": "sha256:" + "a" * 64,
        "env": ("PATH=/usr/bin",),
        "image_env": ("PATH=/usr/bin",),
        "mounts": {"/etc/app.ini": "/state/config/ctx-abc/etc/app.ini"},
        "changes": (),
    }
    values.update(changes)
    return ContainerState(**values)  # type: ignore[arg-type]


EXPECTED = ContainerExpectation("sha256:" + "a" * 64, 3, {"/etc/app.ini": "/state/config/ctx-abc/etc/app.ini"})


def test_a_container_as_deployed_has_no_items() -> None:
    assert container_items("uat", _state(), EXPECTED) == []


def test_a_container_changed_in_place_another_image_env_and_config() -> None:
    state = _state(
        image_id="sha256:" + "b" * 64,
        env=("PATH=/usr/bin", "DEBUG=1"),
        changes=(("/opt", 0), ("/opt/app.py", 0), ("/run/app.pid", 1)),
        configs=(ConfigCheck("/state/config/ctx-abc", ("/etc/app.ini",), "abc", "def"),),
    )
    items = container_items("uat", state, EXPECTED)
    kept, ignored = split_ignored(items, default_container_rules())
    assert [(i.kind, i.resource, i.actual) for i in kept] == [
        ("image", "image", "bbbbbbbbbbbb"),
        ("container-file", "/opt/app.py", "changed"),
        ("env", "DEBUG", "1"),
        ("config", "/etc/app.ini", "content digest def"),
    ]
    assert {(i.resource, i.rule) for i in ignored} == {
        ("/opt", "parent of a changed path"),
        ("/run/app.pid", "path:/run/**"),
    }


def test_a_missing_replica_is_a_count_item() -> None:
    assert [(i.expected, i.actual) for i in replica_items("uat", "uat-web", 2, 3)] == [("3", "2")]
    assert replica_items("uat", "uat-web", 3, 3) == []


def test_ignore_rules_from_inventory_and_file_name_where_they_are_wrong() -> None:
    rules = rules_from_variable(["path:/srv/cache/**", "package:linux-image-*"], "inventories/qa.yml", 7)
    item = DriftItem("qa", "vm1", "vm", "mutable", "package", "linux-image-6.1", "not installed", "6.1")
    kept, ignored = split_ignored([item], rules)
    assert (
        kept == () and ignored[0].rule == "package:linux-image-*" and ignored[0].rule_source == "inventories/qa.yml:7"
    )
    with pytest.raises(InputError, match=r"inventories/qa.yml:7: deployctl_drift_ignore\[1\]: 'pth:/x'"):
        rules_from_variable(["path:/a", "pth:/x"], "inventories/qa.yml", 7)
    with pytest.raises(InputError, match=r"drift-ignore:3: pattern: 'package:': the pattern after package: is empty"):
        rules_from_text("# comment\npath:/tmp/*\npackage:\n", "drift-ignore")
    assert [r.text for r in rules_from_text("# c\n\npath:/a/* # why\n", "f")] == ["path:/a/*"]


def _report(*hosts: HostScan) -> DriftReport:
    stages = ("qa", "prod")
    return DriftReport("2026-01-01T00:00:00Z", 0.5, stages, hosts, parity_matrix(stages, hosts), scan_id=1)


def _scan(stage: str, host: str, items: tuple[DriftItem, ...] = (), **facts: str) -> HostScan:
    return HostScan(stage, host, "vm", "mutable", host, "rel", host_status(items), "", items, (), facts)


ITEM = DriftItem("prod", "prod-vm1", "vm", "mutable", "package", "probe", "not installed", "1.0")


def test_exit_codes_clean_drift_error() -> None:
    assert _report(_scan("qa", "qa-vm1")).exit_code == 0
    assert _report(_scan("qa", "qa-vm1"), _scan("prod", "prod-vm1", (ITEM,))).exit_code == 2
    down = HostScan("qa", "qa-vm2", "vm", "mutable", "qa-vm2", "rel", "unreachable", "refused")
    assert _report(_scan("prod", "prod-vm1", (ITEM,)), down).exit_code == 1


def test_parity_matrix_marks_the_facts_that_differ() -> None:
    hosts = (
        _scan("qa", "qa-vm1", **{"package curl": "7.88", "config /a: stage": "qa"}),
        _scan("prod", "prod-vm1", **{"package curl": "7.88", "config /a: stage": "prod"}),
    )
    rows = {row.fact: row for row in _report(*hosts).parity.rows}
    assert rows["config /a: stage"].differs and not rows["package curl"].differs


def test_reports_json_junit_html() -> None:
    report = _report(_scan("qa", "qa-vm1", **{"config /a: stage": "qa"}), _scan("prod", "prod-vm1", (ITEM,)))
    data = json.loads(json.dumps(report_json(report)))
    assert (data["schema"], data["exit_code"], data["summary"]["by_kind"]) == ("deployctl.drift/v1", 2, {"package": 1})
    suites = ElementTree.fromstring(report_junit(report))  # noqa: S314 (our own output)
    failed = [c.get("name") for c in suites.iter("testcase") if c.find("failure") is not None]
    assert failed == ["prod-vm1"] and len(list(suites.iter("testcase"))) == 2
    page = report_html(report)
    assert '<table id="parity">' in page and 'id="host-prod-prod-vm1"' in page and "<script" not in page


def test_ledger_records_scans_history_and_baselines(tmp_path: Path) -> None:
    connection = open_ledger(tmp_path / "ledger.db")
    scan_id = save_scan(connection, _report(_scan("qa", "qa-vm1"), _scan("prod", "prod-vm1", (ITEM,))), "t0")
    [qa, prod] = sorted(scan_history(connection), key=lambda r: r.stage, reverse=True)
    assert (qa.scan_id, qa.drifted, prod.drifted, prod.items) == (scan_id, 0, 1, 1)
    assert [r.stage for r in scan_history(connection, "prod")] == ["prod"]
    save_baseline(connection, "prod", "prod-vm1", None, {"curl": "7.88"})
    assert baselines(connection, "prod")["prod-vm1"].packages == {"curl": "7.88"}
