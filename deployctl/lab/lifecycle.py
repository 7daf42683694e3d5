"""`lab up` and `lab down`: engine, images, Vagrant, and the recorded connection facts."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from deployctl.dockerapi.engine import connect
from deployctl.dockerapi.types import EngineApi, EngineError
from deployctl.errors import LabError
from deployctl.lab.engine import ensure_engine
from deployctl.lab.images import LAB_NODE_LABEL, ensure_base_image, ensure_node_image
from deployctl.lab.machines import lab_machines
from deployctl.lab.state import LabState, clear_lab_state, load_lab_state, save_lab_state
from deployctl.lab.status import HostStatus, read_lab_status
from deployctl.lab.vagrant import choose_provider, run_vagrant, vagrant_binary, vagrant_ssh_config
from deployctl.model.project import Project

Say = Callable[[str], None]
SETTLED = {"running", "degraded"}


@dataclass
class LabUpReport:
    """What `lab up` did and how long each step took."""

    provider: str
    machines: list[str]
    steps: dict[str, float] = field(default_factory=dict)
    base_image: str = "-"
    node_image: str = "-"
    removed_stale: list[str] = field(default_factory=list)
    status: list[HostStatus] = field(default_factory=list)


def _tracked_container_ids(root: Path) -> set[str]:
    """Container ids Vagrant records in this checkout's `.vagrant` folder."""
    ids = set()
    for id_file in (root / ".vagrant" / "machines").glob("*/docker/id"):
        ids.add(id_file.read_text().strip())
    return ids


def _remove_stale_containers(client: EngineApi, root: Path, say: Say) -> list[str]:
    """Remove lab containers (by our label) that this checkout's Vagrant does not track: left by an old run."""
    tracked = _tracked_container_ids(root)
    removed = []
    for container in client.list_containers([LAB_NODE_LABEL]):
        if container.id not in tracked:
            say(f"Removing stale lab container {container.name} (not tracked by this checkout's Vagrant)")
            container.remove(force=True)
            removed.append(str(container.name))
    return removed


def _wait_until_settled(state: LabState, deadline_seconds: float) -> list[HostStatus]:
    deadline = time.monotonic() + deadline_seconds
    while True:
        rows = read_lab_status(state.endpoints)
        if all(row.reachable and row.systemd in SETTLED for row in rows) or time.monotonic() > deadline:
            return rows
        time.sleep(1)


def lab_up(project: Project, requested_provider: str | None, say: Say) -> LabUpReport:
    """Bring the lab up (building images when missing) and record its connection facts."""
    started = time.monotonic()
    provider = choose_provider(requested_provider, os.environ)
    machines = [machine.name for machine in lab_machines(os.environ)]
    if not machines:
        raise LabError("the lab has no machines: every DEPLOYCTL_LAB_<STAGE> count is 0")
    vagrant_binary()
    report = LabUpReport(provider=provider, machines=machines)
    if provider == "docker":
        client = ensure_engine(project.state_dir, say)
        report.steps["engine"] = time.monotonic() - started
        images_dir = project.root / "images"
        report.base_image = ensure_base_image(client, images_dir, say)
        report.node_image = ensure_node_image(client, images_dir, say)
        report.steps["images"] = time.monotonic() - started - sum(report.steps.values())
        report.removed_stale = _remove_stale_containers(client, project.root, say)
    mark = time.monotonic()
    say(f"vagrant up --provider {provider} ({len(machines)} machines)")
    run_vagrant(project.root, ["up", "--provider", provider], lambda line: say(f"  {line}"))
    report.steps["vagrant up"] = time.monotonic() - mark
    mark = time.monotonic()
    state = save_lab_state(project.state_dir, provider, vagrant_ssh_config(project.root))
    missing = sorted(set(machines) - set(state.endpoints))
    if missing:
        raise LabError(f"Vagrant brought up no SSH endpoint for: {', '.join(missing)}")
    report.steps["ssh-config"] = time.monotonic() - mark
    mark = time.monotonic()
    report.status = _wait_until_settled(state, deadline_seconds=60)
    report.steps["systemd settle"] = time.monotonic() - mark
    report.steps["total"] = time.monotonic() - started
    unsettled = [row.name for row in report.status if not (row.reachable and row.systemd in SETTLED)]
    if unsettled:
        raise LabError(f"lab hosts not ready after 60 s: {', '.join(unsettled)} (see `deployctl lab status`)")
    return report


def lab_down(project: Project, say: Say) -> list[str]:
    """Destroy the lab's machines (only those, by Vagrant and by our label) and forget its state."""
    removed: list[str] = []
    state = load_lab_state(project.state_dir)
    if (project.root / ".vagrant" / "machines").is_dir():
        say("vagrant destroy -f")
        run_vagrant(project.root, ["destroy", "-f"], lambda line: say(f"  {line}"))
        removed.extend(sorted(state.endpoints) if state else [])
    if state is None or state.provider == "docker":
        try:
            client = connect(timeout=60)
            client.ping()
        except EngineError:
            client = None
        if client is not None:
            for container in client.list_containers([LAB_NODE_LABEL]):
                say(f"Removing lab container {container.name}")
                container.remove(force=True)
                removed.append(str(container.name))
    clear_lab_state(project.state_dir)
    return removed
