"""Drift hides secrets: items (expected, actual, diff), the parity matrix, JSON, HTML, JUnit and the ledger."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from deployctl.drift.compare import (
    SECRET_DIFFERS,
    ContainerExpectation,
    ContainerState,
    container_items,
    redacted_facts,
    redacted_item,
)
from deployctl.drift.model import DriftReport, HostScan
from deployctl.drift.parity import parity_matrix
from deployctl.drift.render import report_html, report_json, report_junit, table_rows
from deployctl.drift.vms import VmRelease
from deployctl.ledger.db import open_ledger
from deployctl.ledger.drift import save_scan
from deployctl.model.inventory import load_inventory
from deployctl.model.loading.plays import load_playbook
from deployctl.model.project import load_project
from deployctl.operations.vmscan import scan_vm
from deployctl.redaction import REDACTED, RedactionRules, Redactor
from deployctl.transport.local import LocalTransport

SECRETS = {"qa": "qa-Secret-4242", "prod": "prod-Secret-9191"}
"""Each stage's db_password (from its vault variable); the hosts still hold an older one."""
OLD = {"qa": "qa-old-1111", "prod": "prod-old-2222"}
PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: app config
      template: src=app.ini.j2 dest={{ root }}/app.ini
"""


def make_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "inventories").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "deployctl.yml").write_text("stages: [qa, prod]\n")
    (root / "site.yml").write_text(PLAYBOOK)
    (root / "templates" / "app.ini.j2").write_text("[db]\npassword = {{ db_password }}\nhost = db.{{ stage }}\n")
    for stage in ("qa", "prod"):
        target = tmp_path / stage
        target.mkdir()
        (target / "app.ini").write_text(f"[db]\npassword = {OLD[stage]}\nhost = db.{stage}\n")
        (root / "inventories" / f"{stage}.yml").write_text(
            f"all:\n  vars:\n    root: {target}\n    stage: {stage}\n    vault_db_password: {SECRETS[stage]}\n"
            f'    db_password: "{{{{ vault_db_password }}}}"\n  hosts:\n    {stage}-vm1:\n'
        )
    return root


def scan(root: Path, rules: RedactionRules) -> DriftReport:
    project = load_project(root)
    book = load_playbook(root / "site.yml", display="site.yml")
    hosts = []
    for stage in ("qa", "prod"):
        inventory = load_inventory(project, stage)
        release = VmRelease("rel", book, inventory, book.templar(), rules)
        host = inventory.hosts[f"{stage}-vm1"]
        hosts.append(scan_vm(host, LocalTransport(host.name), release, None, ()))
    return DriftReport("2026-01-01T00:00:00Z", 0.1, ("qa", "prod"), tuple(hosts), parity_matrix(("qa", "prod"), hosts))


def every_output(report: DriftReport, tmp_path: Path) -> str:
    """The report as JSON, HTML, JUnit and table rows, and the ledger's rows after saving it."""
    connection = open_ledger(tmp_path / "ledger.db")
    save_scan(connection, report, "t0")
    connection.close()
    rows = sqlite3.connect(tmp_path / "ledger.db").execute("SELECT * FROM drift_items").fetchall()
    assert rows
    return "\n".join(
        [
            json.dumps(report_json(report)),
            report_html(report),
            report_junit(report),
            repr(table_rows(report)),
            repr(rows),
        ]
    )


def test_no_secret_new_or_old_in_items_parity_reports_or_ledger(tmp_path: Path) -> None:
    report = scan(make_project(tmp_path), RedactionRules())
    assert [(i.stage, i.kind, i.expected, i.actual) for i in report.items] == [
        ("qa", "file", SECRET_DIFFERS, REDACTED),
        ("prod", "file", SECRET_DIFFERS, REDACTED),
    ]
    text = every_output(report, tmp_path)
    for secret in (*SECRETS.values(), *OLD.values()):
        assert secret not in text
    values = {row.fact.rsplit(": ", 1)[1]: row.values for row in report.parity.rows if row.kind == "config"}
    assert values["db.host"] in ({"qa": ("db.qa",), "prod": ()}, {"qa": (), "prod": ("db.prod",)})
    assert all(value.startswith(REDACTED) for value in values["db.password"]["qa"] + values["db.password"]["prod"])


def test_masked_parity_values_still_tell_stages_apart() -> None:
    hosts = [
        HostScan(stage, f"{stage}-vm{n}", "vm", "mutable", f"{stage}-vm{n}", "rel", "clean", facts=facts)
        for stage, n, value in (("qa", 1, "one-secret"), ("prod", 1, "two-secret"), ("prod", 2, "two-secret"))
        for facts in [
            redacted_facts({"config /etc/a.ini: api_key": value, "config /etc/a.ini: port": "80"}, Redactor())
        ]
    ]
    rows = {row.fact: row for row in parity_matrix(("qa", "prod"), hosts).rows}
    secret = rows["config /etc/a.ini: api_key"]
    assert secret.differs and len(secret.values["prod"]) == 1  # prod's two hosts agree
    assert "secret" not in repr(secret.values) and secret.values["qa"][0].startswith(REDACTED)
    assert rows["config /etc/a.ini: port"].values == {"qa": ("80",), "prod": ("80",)}


def test_the_opt_out_shows_the_values(tmp_path: Path) -> None:
    report = scan(make_project(tmp_path), RedactionRules(variables=False))
    text = every_output(report, tmp_path)
    assert SECRETS["qa"] in text and OLD["prod"] in text


def test_a_container_env_variable_named_like_a_secret_shows_neither_value() -> None:
    state = ContainerState(
        "qa-web-1",
        "sha256:aa",
        ("API_TOKEN=changed-by-hand", "LANG=C"),
        ("API_TOKEN=from-image", "LANG=C.UTF-8"),
        {},
        (),
    )
    items = container_items("qa", state, ContainerExpectation("sha256:aa", 1, None))
    shown = [redacted_item(item, Redactor()) for item in items]
    assert [(i.resource, i.expected, i.actual) for i in shown] == [
        ("API_TOKEN", REDACTED, REDACTED),
        ("LANG", "C.UTF-8", "C"),
    ]
    opted_out = [redacted_item(item, Redactor(rules=RedactionRules(variables=False))) for item in items]
    assert opted_out == items
