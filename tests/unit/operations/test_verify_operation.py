"""The verify operation checks the stage as the release it runs names it (like deploy), and records the result."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from deployctl.immutable.engines import ContainerTarget
from deployctl.ledger.db import open_ledger
from deployctl.ledger.records import begin_deployment, finish_deployment
from deployctl.ledger.verifications import verification_hosts, verifications
from deployctl.model.connection import SshEndpoint
from deployctl.model.records import HostOutcome, VerificationHost
from deployctl.operations.release import record_release
from deployctl.operations.verify import verify
from deployctl.release.verification import BackendRun
from tests.unit.operations.conftest import write_vm_project


def test_verify_checks_the_hosts_of_the_running_release_and_records_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "project"
    project = write_vm_project(root, tmp_path / "target")
    with closing(open_ledger(project.ledger)) as ledger:
        release = record_release(ledger, project, root / "playbooks" / "webapp.yml")
        deployment = begin_deployment(ledger, "test", release.id, "deploy", "mutable")
        finish_deployment(ledger, deployment, "ok", [HostOutcome("local1", "vm", "ok", {})])
    (root / "inventories" / "test.yml").write_text("all:\n  hosts:\n    renamed1:\n")  # edited after the release
    checked: list[tuple[list[str], list[str]]] = []

    def check_hosts(
        _root: Path,
        stage: str,
        endpoints: Sequence[SshEndpoint],
        containers: Sequence[ContainerTarget],
        _engine: Callable[[], Any],
        _say: Callable[[str], None],
    ) -> list[BackendRun]:
        checked.append(([e.name for e in endpoints], [t.host for t in containers]))
        host = VerificationHost("local1", "ssh", 3, 0, {"skipped": 0, "failures": []})
        return [BackendRun("ssh", ("local1",), True, "", (host,), 0.1)]

    monkeypatch.setattr("deployctl.operations.verify.check_hosts", check_hosts)
    done = verify(project, "test", lambda: object(), lambda _line: None)

    assert checked == [(["local1"], [])]  # the release's inventory, not the working tree's
    assert done.passed and (done.release_id, done.deployment_id) == (release.id, deployment)
    with closing(open_ledger(project.ledger)) as ledger:
        [row] = verifications(ledger, "test")
        assert (row.id, row.outcome, row.release_id, row.deployment_id) == (
            done.verification_id,
            "passed",
            release.id,
            deployment,
        )
        assert [(h.host, h.passed) for h in verification_hosts(ledger, row.id)] == [("local1", 3)]
