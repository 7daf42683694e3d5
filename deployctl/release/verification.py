"""Verify a stage: run the project's testinfra checks (tests/infra/) on every host of the stage, per backend.

VMs are checked through testinfra's SSH backend (an ssh-config written from the hosts' resolved endpoints),
the stage's serving container replicas through its docker backend. Each backend is one pytest subprocess
with `--hosts` and `--junitxml`; the JUnit file gives passed and failed checks per host. Which hosts, and what
is recorded, is the operation's (deployctl.operations.verify).
"""

from __future__ import annotations

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
from deployctl.model.connection import SshEndpoint
from deployctl.model.records import VerificationHost
from deployctl.pipeline.junit import host_checks, verdict

if TYPE_CHECKING:
    from deployctl.dockerapi.types import EngineApi
    from deployctl.immutable.engines import ContainerTarget

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


def serving_replicas(client: EngineApi, targets: Sequence[ContainerTarget]) -> list[str]:
    """The replicas of the container targets that serve traffic (running and in the upstream; Swarm: its running
    task containers), by container name, as each target's engine sees them."""
    from deployctl.immutable.engines import engine_for

    names: dict[str, None] = {}
    for target in targets:
        status = engine_for(target, client, lambda _: None).status(target, probe=False)
        names.update((r.name, None) for r in status.replicas if r.in_upstream and r.status == "running")
    return list(names)


def run_checks(
    root: Path,
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
            str(root / INFRA_TESTS),
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
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=VERIFY_TIMEOUT, check=False)
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


def check_hosts(
    root: Path,
    stage: str,
    endpoints: Sequence[SshEndpoint],
    containers: Sequence[ContainerTarget],
    client_factory: Callable[[], EngineApi],
    say: Say,
) -> list[BackendRun]:
    """Run the project's checks on the VMs (over SSH) and the container targets' serving replicas (through
    Docker), one pytest per host, a few at once."""
    if not endpoints and not containers:
        raise DeployctlError(f"the {stage} inventory has no host to verify")
    runs: list[BackendRun] = []
    with tempfile.TemporaryDirectory(prefix="deployctl-ssh-") as folder:
        config = Path(folder) / "ssh_config"
        config.write_text(ssh_config_text(endpoints))
        jobs = [("ssh", e.name, f"ssh://{e.name}", [f"--ssh-config={config}"]) for e in endpoints]
        if containers:
            replicas = serving_replicas(client_factory(), containers)
            if not replicas:
                runs.append(BackendRun("docker", (), False, f"no replica of {stage}'s containers is serving", (), 0.0))
            jobs += [("docker", name, f"docker://root@{name}", []) for name in replicas]
        with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
            futures = [
                pool.submit(run_checks, root, backend, [host], [target], extra, say)
                for backend, host, target, extra in jobs
            ]
            runs += [future.result() for future in futures]
    return runs
