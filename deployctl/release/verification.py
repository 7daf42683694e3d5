"""Verify a stage: run the project's testinfra checks (tests/infra/) on every host of the stage, per backend.

VMs are checked through testinfra's SSH backend (an ssh-config written from the hosts' resolved endpoints),
the stage's serving container replicas through its docker backend. Each backend is one pytest subprocess
with `--hosts` and `--junitxml`; the JUnit file gives passed and failed checks per host.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from deployctl.errors import DeployctlError
from deployctl.lab.state import load_lab_state
from deployctl.ledger.verifications import begin_verification, finish_verification
from deployctl.model.connection import SshEndpoint, resolve_endpoint
from deployctl.model.inventory import InventoryHost, load_inventories
from deployctl.model.project import Project
from deployctl.model.records import VerificationHost
from deployctl.pipeline.junit import host_checks, verdict

if TYPE_CHECKING:
    from docker import DockerClient

Say = Callable[[str], None]
INFRA_TESTS = Path("tests") / "infra"
MARKERS = {"ssh": "infra_ssh", "docker": "infra_docker"}
VERIFY_TIMEOUT = 900.0
PARALLEL_RUNS = 4
"""pytest runs at once (one per host): each mostly waits on its host."""


@dataclass(frozen=True)
class BackendRun:
    """One backend's pytest run: the hosts it checked, the verdict and why, and every host's counts."""

    backend: str
    hosts: tuple[str, ...]
    passed: bool
    reason: str
    results: tuple[VerificationHost, ...]
    seconds: float


def ssh_config_text(endpoints: Sequence[SshEndpoint]) -> str:
    """An OpenSSH config naming each host (`ssh://NAME` in testinfra) with its address, port, user and key."""
    blocks = []
    for endpoint in endpoints:
        lines = [f"Host {endpoint.name}", f"  HostName {endpoint.address}", f"  Port {endpoint.port}"]
        lines.append(f"  User {endpoint.user}")
        if endpoint.key_file:
            lines += [f"  IdentityFile {endpoint.key_file}", "  IdentitiesOnly yes"]
        if not endpoint.host_key_checking:
            lines += ["  StrictHostKeyChecking no", "  UserKnownHostsFile /dev/null"]
        lines.append("  LogLevel ERROR")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def stage_vm_endpoints(project: Project, stage: str) -> list[SshEndpoint]:
    """The SSH endpoints of the stage's VMs (hosts of the mutable strategy)."""
    inventory = load_inventories(project)[project.require_stage(stage)]
    lab = load_lab_state(project.state_dir)
    return [
        resolve_endpoint(
            host.name,
            host.vars,
            lab.endpoints if lab else None,
            (host.origin.source, host.origin.line),
            inventory.path.parent,
        )
        for host in inventory.hosts.values()
        if host.strategy == "mutable"
    ]


def stage_container_hosts(project: Project, stage: str) -> list[InventoryHost]:
    """The stage's container targets (hosts of the immutable strategy) as its inventory names them."""
    inventory = load_inventories(project)[project.require_stage(stage)]
    return [host for host in inventory.hosts.values() if host.strategy == "immutable"]


def serving_replicas(client: DockerClient, project: Project, stage: str, hosts: Sequence[InventoryHost]) -> list[str]:
    """The stage's replicas that serve traffic (running and in the upstream; Swarm: its running task containers),
    by container name, as each container target's engine sees them."""
    from deployctl.immutable.engines import engine_for
    from deployctl.operations.deploy import container_targets_of

    names: dict[str, None] = {}
    for target in container_targets_of(project, stage, hosts).values():
        status = engine_for(target, client, lambda _: None).status(target, probe=False)
        names.update((r.name, None) for r in status.replicas if r.in_upstream and r.status == "running")
    return list(names)


def run_checks(
    project: Project,
    backend: str,
    hosts: Sequence[str],
    targets: Sequence[str],
    extra: Sequence[str],
    say: Say,
) -> BackendRun:
    """Run tests/infra/ (the backend's marker) on `targets` (testinfra host specs) in one pytest subprocess."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="deployctl-verify-") as folder:
        junit = Path(folder) / "junit.xml"
        command = [
            sys.executable,
            "-m",
            "pytest",
            str(project.root / INFRA_TESTS),
            "-m",
            MARKERS[backend],
            "--hosts",
            ",".join(targets),
            f"--junitxml={junit}",
            "-q",
            "-p",
            "no:cacheprovider",
            *extra,
        ]
        say(f"verify: {backend} checks on {', '.join(hosts)}")
        done = subprocess.run(
            command, cwd=project.root, capture_output=True, text=True, timeout=VERIFY_TIMEOUT, check=False
        )
        if not junit.is_file():
            tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
            return BackendRun(
                backend,
                tuple(hosts),
                False,
                f"pytest exited {done.returncode}: {' | '.join(tail)}",
                (),
                time.monotonic() - started,
            )
        checks = host_checks(junit.read_text())
    passed, reason = verdict(list(hosts), checks, done.returncode)
    results = tuple(
        VerificationHost(
            host,
            backend,
            checks[host].passed if host in checks else 0,
            checks[host].failed if host in checks else 0,
            {"skipped": checks[host].skipped, "failures": sorted(set(checks[host].failures))} if host in checks else {},
        )
        for host in hosts
    )
    return BackendRun(backend, tuple(hosts), passed, reason, results, time.monotonic() - started)


def verify_stage(
    project: Project, stage: str, client_factory: Callable[[], DockerClient], say: Say
) -> list[BackendRun]:
    """Check every host of the stage (VMs over SSH, serving replicas through Docker), one pytest per host at once."""
    endpoints = stage_vm_endpoints(project, stage)
    containers = stage_container_hosts(project, stage)
    if not endpoints and not containers:
        raise DeployctlError(f"the {stage} inventory has no host to verify")
    runs: list[BackendRun] = []
    with tempfile.TemporaryDirectory(prefix="deployctl-ssh-") as folder:
        config = Path(folder) / "ssh_config"
        config.write_text(ssh_config_text(endpoints))
        jobs = [("ssh", e.name, f"ssh://{e.name}", [f"--ssh-config={config}"]) for e in endpoints]
        if containers:
            replicas = serving_replicas(client_factory(), project, stage, containers)
            if not replicas:
                runs.append(BackendRun("docker", (), False, f"no replica of {stage}'s containers is serving", (), 0.0))
            jobs += [("docker", name, f"docker://root@{name}", []) for name in replicas]
        with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
            futures = [
                pool.submit(run_checks, project, backend, [host], [target], extra, say)
                for backend, host, target, extra in jobs
            ]
            runs += [future.result() for future in futures]
    return runs


@dataclass(frozen=True)
class StageVerification:
    """A recorded verification: its id, the release and deployment it checked, and each backend's run."""

    verification_id: int
    stage: str
    release_id: str | None
    deployment_id: int | None
    runs: tuple[BackendRun, ...]
    seconds: float

    @property
    def passed(self) -> bool:
        """True when every backend passed."""
        return bool(self.runs) and all(run.passed for run in self.runs)

    @property
    def reason(self) -> str:
        """Why it failed, per backend ('' when it passed)."""
        return "; ".join(f"{run.backend}: {run.reason}" for run in self.runs if not run.passed)


def verify_and_record(
    connection: sqlite3.Connection,
    project: Project,
    stage: str,
    client_factory: Callable[[], DockerClient],
    say: Say,
) -> StageVerification:
    """Verify the stage and record it against the release and deployment the stage runs now (from the ledger)."""
    from deployctl.ledger.records import deployments
    from deployctl.pipeline.gates import current_deployment

    current = current_deployment(deployments(connection, stage))
    release_id = current.release_id if current else None
    deployment_id = current.id if current else None
    verification_id = begin_verification(connection, stage, release_id, deployment_id)
    started = time.monotonic()
    runs: list[BackendRun] = []
    outcome, reason = "failed", ""
    try:
        runs = verify_stage(project, stage, client_factory, say)
        done = StageVerification(verification_id, stage, release_id, deployment_id, tuple(runs), 0.0)
        outcome, reason = ("passed" if done.passed else "failed"), done.reason
    except (KeyboardInterrupt, SystemExit) as stop:  # Ctrl-C, or a signal the CLI turns into an exit
        outcome = "interrupted"
        reason = "interrupted by the user" if isinstance(stop, KeyboardInterrupt) else f"stopped (exit {stop.code})"
        raise
    except BaseException as error:
        reason = str(error) or type(error).__name__
        raise
    finally:
        seconds = time.monotonic() - started
        hosts = [host for run in runs for host in run.results]
        finish_verification(connection, verification_id, outcome, hosts, seconds=seconds, reason=reason)
    return StageVerification(verification_id, stage, release_id, deployment_id, tuple(runs), seconds)
