"""converge_vms, the one path VMs are converged by (apply, deploy, drift --fix): the run, its record, the baseline."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from deployctl.ledger.db import open_ledger
from deployctl.ledger.drift import baselines
from deployctl.ledger.records import deployment_hosts, deployments
from deployctl.model.loading.plays import load_playbook
from deployctl.operations.context import stage_context
from deployctl.operations.converge import converge_vms
from deployctl.operations.recording import recorded_apply
from deployctl.operations.release import release_row
from deployctl.strategies.hostrun import RunOptions
from deployctl.transport.local import LocalTransport
from deployctl.transport.retained import RetainedConnections
from tests.unit.operations.conftest import write_vm_project


def test_a_converge_is_recorded_with_its_hosts_and_a_package_baseline(tmp_path: Path) -> None:
    project = write_vm_project(tmp_path / "project", tmp_path / "target")
    playbook = project.root / "playbooks" / "webapp.yml"
    context = stage_context(project, "test")
    book = load_playbook(playbook)
    connections = RetainedConnections(lambda endpoint: LocalTransport(endpoint.name))
    with closing(open_ledger(project.ledger)) as ledger:
        try:
            release = release_row(project, playbook, book)
            with recorded_apply(ledger, release, "test", lambda line: None) as record:
                result = converge_vms(
                    context, book, context.inventory.hosts.values(), RunOptions(), record, connections=connections
                )
            assert list(connections.open) == ["local1"]  # the caller's connections, left open for it
        finally:
            connections.close()
        [deployment] = deployments(ledger, "test")
        hosts = deployment_hosts(ledger, deployment.id)
        baseline = baselines(ledger, "test")
    assert result.exit_code == 0
    assert (tmp_path / "target" / "app.conf").read_text() == "port=8000\n"
    assert (deployment.action, deployment.strategy, deployment.outcome) == ("apply", "mutable", "ok")
    assert deployment.release_id == record.release.id
    assert [(h.host, h.kind, h.status, h.detail["changed"]) for h in hosts] == [("local1", "vm", "changed", 1)]
    assert baseline["local1"].deployment_id == deployment.id
    assert baseline["local1"].packages  # this machine's dpkg list, read over the run's connection


def test_a_converge_without_a_record_changes_the_host_and_records_nothing(tmp_path: Path) -> None:
    project = write_vm_project(tmp_path / "project", tmp_path / "target")
    context = stage_context(project, "test")
    book = load_playbook(project.root / "playbooks" / "webapp.yml")
    connections = RetainedConnections(lambda endpoint: LocalTransport(endpoint.name))
    try:
        result = converge_vms(
            context, book, context.inventory.hosts.values(), RunOptions(), None, connections=connections
        )
    finally:
        connections.close()
    assert result.exit_code == 0 and (tmp_path / "target" / "app.conf").is_file()
    with closing(open_ledger(project.ledger)) as ledger:
        assert deployments(ledger) == [] and baselines(ledger, "test") == {}
