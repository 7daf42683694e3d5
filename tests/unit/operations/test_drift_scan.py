"""The drift scan and fix operations over the local transport: a changed file, a hand-installed package."""

from __future__ import annotations

from contextlib import closing

from deployctl.ledger.db import open_ledger
from deployctl.ledger.drift import baselines, save_baseline
from deployctl.ledger.records import deployments
from deployctl.model.connection import SshEndpoint
from deployctl.operations.context import stage_contexts
from deployctl.operations.drift import fix_drift, scan_drift
from deployctl.transport.base import Transport
from tests.unit.operations.conftest import LocalProject, apply_stage, local_transport


def test_a_stage_as_applied_is_clean_and_its_host_is_reached_through_the_stage_context(
    local_project: LocalProject,
) -> None:
    apply_stage(local_project, "dev")
    reached: list[SshEndpoint] = []

    def factory(endpoint: SshEndpoint) -> Transport:
        reached.append(endpoint)
        return local_transport(endpoint)

    project = local_project.project
    with closing(open_ledger(project.ledger)) as connection:
        report = scan_drift(project, connection, stage_contexts(project, ["dev"]), transport_factory=factory)
    assert report.outcome == "clean", report
    assert [h.status for h in report.hosts] == ["clean"]
    assert [e.name for e in reached] == ["dev-local1"]
    assert report.scan_id is not None


def test_a_file_changed_by_hand_is_drift_and_the_fix_converges_it_back(local_project: LocalProject) -> None:
    apply_stage(local_project, "dev")
    config = local_project.config("dev")
    config.write_text(config.read_text().replace("port = 8000", "port = 9999"))
    project = local_project.project
    contexts = stage_contexts(project, ["dev"])
    with closing(open_ledger(project.ledger)) as connection:
        drifted = scan_drift(project, connection, contexts, transport_factory=local_transport)
        lines = fix_drift(project, connection, drifted, transport_factory=local_transport)
        after = scan_drift(project, connection, contexts, transport_factory=local_transport)
        actions = [(d.action, d.outcome) for d in deployments(connection, "dev")]
    assert drifted.outcome == "drift"
    [item] = drifted.items
    assert (item.host, item.kind, item.resource) == ("dev-local1", "file", f"{config}")
    assert "9999" in item.actual and "8000" in item.expected
    assert lines == ["fix: dev/dev-local1: re-converged (1 changed, 0 failed)"]
    assert "port = 8000" in config.read_text()
    assert after.outcome == "clean", after
    assert actions == [("apply", "ok"), ("fix", "ok")]


def test_a_package_not_in_the_baseline_is_installed_by_hand(local_project: LocalProject) -> None:
    apply_stage(local_project, "dev")
    project = local_project.project
    with closing(open_ledger(project.ledger)) as connection:
        baseline = baselines(connection, "dev")["dev-local1"]
        name = sorted(baseline.packages)[0]
        before = {k: v for k, v in baseline.packages.items() if k != name}
        save_baseline(connection, "dev", "dev-local1", baseline.deployment_id, before)
        report = scan_drift(project, connection, stage_contexts(project, ["dev"]), transport_factory=local_transport)
    assert report.outcome == "drift"
    [item] = report.items
    assert (item.kind, item.resource, item.expected, item.actual) == (
        "package",
        name,
        "not installed",
        baseline.packages[name],
    )
