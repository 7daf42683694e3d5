"""`deployctl compare` on the real lab: qa deployed, a next release that adds a package, a user and a file,
one compare run; every row measured, valid JSON, recorded, and the lab back on qa's release."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import docker
import pytest

from deployctl.lab.state import LabState
from deployctl.scorecard.html import render_html
from deployctl.scorecard.model import Scorecard
from deployctl.scorecard.table import render_table
from tests.conftest import REPO, deployctl

pytestmark = pytest.mark.integration

ROWS = {
    "start.fresh_target",
    "deploy.per_target",
    "deploy.stage",
    "load.failed_requests",
    "backout",
    "drift.hand_changes",
    "parity",
    "footprint.disk",
    "footprint.memory",
}
NEXT_TASKS = """    - name: Install the report tool the new version needs
      apt: name=bsdextrautils state=present

    - name: Create the reporting user
      user: name=webapp-report system=yes shell=/usr/sbin/nologin create_home=no

    - name: Write the feature flags
      copy: content="reports = on\\n" dest=/etc/webapp-features.ini owner=root group=root mode=0644

    - name: Start and enable the service"""


def next_release(folder: Path) -> str:
    """A release of the webapp one version on that adds a package, a user and a file (a playbook outside the
    project, as a variant in a temporary folder is made)."""
    for part in ("files", "templates"):
        shutil.copytree(REPO / "playbooks" / part, folder / part)
    book = (REPO / "playbooks" / "webapp.yml").read_text()
    book = book.replace('app_version: "1.0.0"', 'app_version: "1.1.0"')
    book = book.replace("    - name: Start and enable the service", NEXT_TASKS)
    (folder / "webapp.yml").write_text(book)
    done = deployctl("release", "create", "--playbook", str(folder / "webapp.yml"), "--format", "json")
    return str(json.loads(done.stdout)["id"])


def test_compare_measures_every_row_and_leaves_qa_on_its_release(lab: LabState, tmp_path: Path) -> None:
    deployed = json.loads(deployctl("deploy", "--stage", "qa", "--format", "json").stdout)
    current = deployed["release"]["id"]
    following = next_release(tmp_path)
    assert following != current

    out = tmp_path / "card.json"
    deployctl("compare", "--stage", "qa", "--release", following, "--format", "json", "--output", str(out))
    data = json.loads(out.read_text())
    card = Scorecard.from_json(data)
    assert (card.stage, card.from_release, card.to_release) == ("qa", current, following)
    assert {row.key for row in card.rows} == ROWS
    for row in card.rows:
        for figure in (row.mutable, row.immutable):
            assert figure.value is not None and not figure.unmeasured, (row.key, figure)
            assert figure.unit and figure.method, (row.key, figure)
    residue = "\n".join(card.row("backout").mutable.detail)
    assert "webapp-report" in residue and "/etc/webapp-features.ini" in residue
    assert card.row("backout").immutable.detail[0] == "residue (0): none"
    assert card.row("drift.hand_changes").mutable.value and card.row("drift.hand_changes").immutable.value
    assert card.series and card.parity
    table, page = render_table(card), render_html(card)  # the run's own card in the other two formats
    assert all(row.claim.split()[0] in table for row in card.rows) and len(table.splitlines()) > len(card.rows)
    assert page.count("<svg") >= len(card.series) and "http://" not in page and "https://" not in page

    history = json.loads(deployctl("compare", "history", "--stage", "qa", "--format", "json").stdout)
    assert history[-1]["to_release"] == following and history[-1]["rows"] == data["rows"]

    status = {s["stage"]: s for s in json.loads(deployctl("status", "--format", "json").stdout)}
    assert status["qa"]["release_id"] == current
    code = deployctl("drift", "--stage", "qa", "--format", "json", check=False)
    assert code.returncode == 0, code.stdout[-3000:]
    assert not docker.from_env().containers.list(all=True, filters={"label": "deployctl.compare"})
