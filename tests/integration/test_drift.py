"""Drift on the real lab: the webapp on every stage, three changes by hand, found exactly, then fixed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import docker
import pytest

from deployctl.lab.state import LabState
from deployctl.transport.ssh import SshTransport
from tests.conftest import deployctl

pytestmark = pytest.mark.integration

STAGES = ("dev", "qa", "uat", "prod")
PROBE = "deployctl-drift-probe"
PROBE_DEB = (
    "set -e; d=$(mktemp -d); mkdir -p $d/DEBIAN; "
    f"printf 'Package: {PROBE}\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: test <test@example.invalid>\\n"
    "Description: installed by hand\\n' > $d/DEBIAN/control; "
    f"dpkg-deb --build $d $d/probe.deb >/dev/null; dpkg -i $d/probe.deb >/dev/null; rm -rf $d"
)


def drift(*args: str) -> tuple[int, dict[str, Any]]:
    done = deployctl("drift", *args, "--format", "json", check=False, timeout=600)
    assert done.returncode in (0, 2), f"drift failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr}"
    return done.returncode, json.loads(done.stdout)


def ssh(lab: LabState, host: str, script: str) -> None:
    with SshTransport(lab.endpoints[host]) as transport:
        done = transport.run(["sh", "-c", script], become=True)
    assert done.ok, done.stderr


@pytest.fixture(scope="module")
def converged(lab: LabState) -> LabState:
    """The webapp applied and deployed to every stage, and any drift left by others fixed: a clean scan."""
    for stage in STAGES:
        deployctl("apply", "playbooks/webapp.yml", "--stage", stage, "--format", "json")
        deployctl("deploy", "--stage", stage, "--format", "json", timeout=900)
    code, report = drift("--all-stages", "--fix")
    assert code == 0, report["items"]
    return lab


def test_three_changes_by_hand_are_found_exactly_then_fixed(converged: LabState, tmp_path: Path) -> None:
    ssh(converged, "qa-vm2", "sed -i 's/^greeting = .*/greeting = edited by hand/' /etc/webapp/webapp.ini")
    ssh(converged, "prod-vm1", PROBE_DEB)
    client = docker.from_env()
    uat = sorted(
        client.containers.list(filters={"label": ["deployctl.stage=uat", "deployctl.role=app"]}), key=lambda c: c.name
    )[0]
    patched = uat.exec_run(["sh", "-c", "echo '# patched in place' >> /opt/webapp/webapp.py"], user="root")
    assert patched.exit_code == 0, patched.output

    code, report = drift("--all-stages")
    assert code == 2
    assert report["schema"] == "deployctl.drift/v1" and report["outcome"] == "drift"
    found = {(i["stage"], i["host"], i["kind"], i["resource"]) for i in report["items"]}
    assert found == {
        ("qa", "qa-vm2", "file", "/etc/webapp/webapp.ini"),
        ("prod", "prod-vm1", "package", PROBE),
        ("uat", uat.name, "container-file", "/opt/webapp/webapp.py"),
    }
    assert len(report["items"]) == 3
    config = next(i for i in report["items"] if i["host"] == "qa-vm2")
    assert "edited by hand" in config["actual"] and "greeting = Hello from qa" in config["expected"]
    assert report["summary"]["hosts_scanned"] == 8 + 4 * 3
    assert report["summary"]["ignored"] == sum(r["count"] for r in report["ignored"]["rules"]) > 0
    differing = {row["fact"] for row in report["parity"]["rows"] if row["differs"]}
    assert "config /etc/webapp/webapp.ini: app.stage" in differing

    html_file, junit_file = tmp_path / "drift.html", tmp_path / "drift.xml"
    for form, path in (("html", html_file), ("junit", junit_file)):
        done = deployctl("drift", "--all-stages", "--format", form, "--output", str(path), check=False)
        assert done.returncode == 2, done.stderr
    cases = ElementTree.fromstring(junit_file.read_text()).iter("testcase")  # noqa: S314 (our own report)
    failing = {case.get("name") for case in cases if case.find("failure") is not None}
    assert failing == {"qa-vm2", "prod-vm1", uat.name}
    check_html_in_chromium(html_file, uat.name)

    history = json.loads(deployctl("drift", "history", "--stage", "uat", "--format", "json").stdout)
    assert any(row["strategy"] == "immutable" and row["drifted"] == 1 for row in history)

    code, fixed = drift("--all-stages", "--fix")
    assert code == 0, fixed["items"]
    code, again = drift("--all-stages")
    assert (code, again["items"]) == (0, [])
    assert uat.name not in {h["host"] for h in again["hosts"]}


def check_html_in_chromium(page: Path, container: str) -> None:
    """The report renders in headless Chromium: the DOM it builds has the heat map and the host details."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "chromium is required (scripts/install --test installs it)"
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert ('<table id="parity">' in dom and 'class="v0"' in dom) or 'class="v1"' in dom
    assert 'id="host-qa-qa-vm2"' in dom and f'id="host-uat-{container}"' in dom
    assert 'id="scanned-at"' in dom and "<script" not in dom and "http" not in dom.split("<body>")[0]
    shot = page.with_suffix(".png")
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
