"""The benchmark's hosts: lab-style containers labelled `deployctl.bench=1`, of two kinds.

Each host is a `deployctl/node:bookworm` container named `deployctl-bench-N`, its port 22 published on
127.0.0.1 only, with a key pair generated for the run authorized for `vagrant` and for root.
- a systemd host (10 and 50 hosts): systemd as PID 1, with the lab's flags, as a lab VM;
- a light host (the scale point, 200 hosts): the same image started with sshd in the foreground instead of systemd
  (under docker's init, which only reaps), without the lab's privileges: no systemd, no services, a few MiB each.
Resetting, drifting and reading a workload's state go through `docker exec` (as root), never through the tools
measured. Only containers carrying the bench label are ever stopped or removed.
"""

from __future__ import annotations

import resource
import shlex
import socket
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import docker
import paramiko
from docker.models.containers import Container
from workloads import HostState, Workload, parse_state

from deployctl.lab.nodes import AUTHORIZE_SCRIPT, NODE_OPTIONS, KeyPair
from deployctl.lab.nodes import generate_key as _generate_key

IMAGE = "deployctl/node:bookworm"
LABEL = "deployctl.bench"
NAME_PREFIX = "deployctl-bench-"
SSH_USER = "vagrant"
LOOPBACK = "127.0.0.1"
DOCKER_WORKERS = 8
"""Containers created, reset or removed at once: the engine serialises much of it anyway."""
INOTIFY_PER_HOST = 8
"""inotify instances one booted host holds (systemd 5, dbus-daemon, systemd-logind, a user manager), measured.

Every container's root is the host's root, so all of them share root's `fs.inotify.max_user_instances`
(128 on Debian): past it, systemd cannot start and the container exits with 255.
"""

LIGHT_COMMAND = ["sh", "-c", "ssh-keygen -A >/dev/null && mkdir -p /run/sshd && exec /usr/sbin/sshd -D -e"]
"""A light host's command: host keys, then sshd in the foreground (docker's init as PID 1 only reaps)."""
ROOT_AUTHORIZE_SCRIPT = 'umask 077 && mkdir -p /root/.ssh && printf "%s\\n" "$1" > /root/.ssh/authorized_keys'
"""Authorize the key given as $1 for root too: the svc workload logs in as root (sshd: prohibit-password)."""
FDS_PER_HOST = 8
"""Open files the harness and a tool need per host at most (ansible-core: a fork, its ssh and their pipes)."""
PORTS_PER_HOST = 4
"""Ephemeral ports one host takes at once (the tool's connection and docker's proxy connection, with room)."""
MIB_PER_HOST = {"systemd": 48, "light": 12}
"""Memory one booted host takes with its docker proxy, measured (MiB), for the up-front check."""

T = TypeVar("T")
R = TypeVar("R")


class FleetError(RuntimeError):
    """A host could not be started, reached, reset or read."""


@dataclass(frozen=True)
class BenchHost:
    """One benchmark host: its inventory name, its container's name, its SSH port on 127.0.0.1, its kind."""

    name: str
    container: str
    port: int
    systemd: bool = True


def generate_key(folder: Path, comment: str = "deployctl-bench") -> KeyPair:
    """A fresh key pair for the run's hosts (deployctl.lab.nodes.generate_key)."""
    return _generate_key(folder, comment)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port_base(count: int, start: int = 24000, stop: int = 32000) -> int:
    """The first port >= `start` such that `count` consecutive ports are free on 127.0.0.1."""
    base = start
    while base + count <= stop:
        busy = next((port for port in range(base, base + count) if not _port_free(port)), None)
        if busy is None:
            return base
        base = busy + 1
    raise FleetError(f"no {count} consecutive free ports between {start} and {stop}")


def root_inotify_instances() -> int:
    """How many inotify instances processes of real uid 0 hold now (scanning /proc; needs root)."""
    in_use = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            uid_line = next(line for line in (proc / "status").read_text().splitlines() if line.startswith("Uid:"))
            if uid_line.split()[1] != "0":
                continue
            in_use += sum(1 for fd in (proc / "fd").iterdir() if fd.readlink().name == "anon_inode:inotify")
        except (OSError, StopIteration):
            continue  # the process ended, or is not ours to read
    return in_use


def inotify_problems(count: int) -> list[str]:
    """Whether root's inotify instance limit can boot `count` more systemd hosts, saying what to raise if not."""
    limit = int(Path("/proc/sys/fs/inotify/max_user_instances").read_text())
    in_use = root_inotify_instances()
    needed = count * INOTIFY_PER_HOST
    if in_use + needed <= limit:
        return []
    suggested = max(1024, 1 << (in_use + needed).bit_length())
    return [
        f"{count} systemd hosts need about {needed} inotify instances, and root already holds {in_use} of "
        f"fs.inotify.max_user_instances={limit}: their systemd would fail to start. Raise the limit first, "
        f"e.g. `sysctl -w fs.inotify.max_user_instances={suggested}` (not persistent; restore it after)"
    ]


def check_inotify_headroom(count: int) -> None:
    """Refuse to start `count` systemd hosts that root's inotify instance limit cannot boot."""
    problems = inotify_problems(count)
    if problems:
        raise FleetError(problems[0])


def _ephemeral_ports() -> tuple[int, int]:
    low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    return int(low), int(high)


def limit_problems(count: int, systemd: bool, port_base: int) -> list[str]:
    """What stops `count` hosts of a kind from running here, each with what to change; empty when nothing does.

    Checked before any container starts: open files (this process's soft limit, which the tools inherit), the
    ephemeral port range (every connection to 127.0.0.1 takes one, and the published ports must be outside it),
    the memory available, and, for systemd hosts, root's inotify instances.
    """
    problems = []
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need_fds = count * FDS_PER_HOST + 256
    if soft != resource.RLIM_INFINITY and soft < need_fds:
        problems.append(
            f"{count} hosts need about {need_fds} open files per process and the limit is {soft} (hard {hard}): "
            f"`ulimit -n {max(need_fds, 4096)}` before running"
        )
    low, high = _ephemeral_ports()
    if high - low + 1 < count * PORTS_PER_HOST:
        problems.append(
            f"net.ipv4.ip_local_port_range {low}-{high} has fewer than {count * PORTS_PER_HOST} ports: "
            "`sysctl -w net.ipv4.ip_local_port_range='32768 60999'`"
        )
    if port_base + count >= low and port_base <= high:
        problems.append(
            f"the published ports {port_base + 1}-{port_base + count} overlap the ephemeral range {low}-{high}"
        )
    available = _mem_available_mib()
    need_mib = count * MIB_PER_HOST["systemd" if systemd else "light"]
    if available is not None and available < need_mib + 1024:
        problems.append(f"{count} hosts need about {need_mib} MiB and {available} MiB are available (1 GiB kept)")
    if systemd:
        problems.extend(inotify_problems(count))
    return problems


def _mem_available_mib() -> int | None:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) // 1024
    return None


def check_limits(count: int, systemd: bool, port_base: int) -> None:
    """Refuse to start hosts that this machine's limits cannot run, saying what to change."""
    problems = limit_problems(count, systemd, port_base)
    if problems:
        kind = "systemd" if systemd else "light"
        raise FleetError(f"cannot run {count} {kind} hosts here: " + "; ".join(problems))


def _text(output: object) -> str:
    """An exec_run stream (bytes, or None when the stream was empty) as text."""
    return output.decode(errors="replace") if isinstance(output, bytes) else ""


def parallel(items: Sequence[T], call: Callable[[T], R], workers: int) -> list[R]:
    """`call` on every item, `workers` at a time; results in input order; the first exception propagates."""
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        return list(pool.map(call, items))


class Fleet:
    """The bench containers of one run: started, made reachable, reset, drifted, read, removed."""

    def __init__(self, key: KeyPair) -> None:
        self.client = docker.from_env()
        self.key = key

    # --- lifecycle ---------------------------------------------------------------------------------

    def _ours(self) -> list[Container]:
        """Containers with the bench label and a bench name: the only ones this harness touches."""
        found = self.client.containers.list(all=True, filters={"label": f"{LABEL}=1"})
        return [c for c in found if (c.name or "").startswith(NAME_PREFIX)]

    def remove_all(self) -> int:
        """Force-remove every bench container (by label); return how many there were."""
        containers = self._ours()
        parallel(containers, lambda c: c.remove(force=True, v=True), DOCKER_WORKERS)
        return len(containers)

    def start(self, count: int, port_base: int, systemd: bool = True) -> list[BenchHost]:
        """Start `count` hosts of a kind with SSH on 127.0.0.1:port_base+1.. and authorize the run's key on each."""
        hosts = [BenchHost(f"bench-{i}", f"{NAME_PREFIX}{i}", port_base + i, systemd) for i in range(1, count + 1)]
        parallel(hosts, self._create, DOCKER_WORKERS)
        return hosts

    def _create(self, host: BenchHost) -> None:
        labels = {LABEL: "1", f"{LABEL}.host": host.name, f"{LABEL}.kind": "systemd" if host.systemd else "light"}
        ports: dict[str, tuple[str, int]] = {"22/tcp": (LOOPBACK, host.port)}
        if host.systemd:
            container = self.client.containers.run(
                IMAGE,
                detach=True,
                name=host.container,
                hostname=host.name,
                labels=labels,
                ports=ports,
                cap_add=list(NODE_OPTIONS.capabilities),
                security_opt=list(NODE_OPTIONS.security_options),
                tmpfs=dict.fromkeys(NODE_OPTIONS.tmpfs, ""),
                volumes={path: {"bind": path, "mode": "ro"} for path in NODE_OPTIONS.read_only_binds},
            )
        else:
            container = self.client.containers.run(
                IMAGE,
                LIGHT_COMMAND,
                detach=True,
                name=host.container,
                hostname=host.name,
                labels=labels,
                ports=ports,
                init=True,
            )
        for script in (AUTHORIZE_SCRIPT, ROOT_AUTHORIZE_SCRIPT):
            exit_code, output = container.exec_run(["sh", "-c", script, "sh", self.key.public_line])
            if exit_code != 0:
                container.reload()
                raise FleetError(
                    f"{host.container}: authorizing the key failed (exit {exit_code}, container {container.status}):"
                    f" {_text(output)}"
                )

    def wait_ready(self, hosts: Sequence[BenchHost], timeout: float) -> float:
        """Poll until every host accepts the key, has finished booting and gives sudo; return the seconds taken."""
        started = time.perf_counter()
        deadline = time.monotonic() + timeout
        parallel(hosts, lambda host: self._wait_host(host, deadline), len(hosts))
        return time.perf_counter() - started

    def _wait_host(self, host: BenchHost, deadline: float) -> None:
        last_error = "never tried"
        while time.monotonic() < deadline:
            container = self.client.containers.get(host.container)
            if container.status not in ("created", "running"):
                raise FleetError(
                    f"{host.container} is {container.status} (exit {container.attrs['State']['ExitCode']})"
                )
            client = paramiko.SSHClient()
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            try:
                client.connect(
                    LOOPBACK,
                    port=host.port,
                    username=SSH_USER,
                    key_filename=str(self.key.private_path),
                    timeout=3,
                    banner_timeout=3,
                    auth_timeout=3,
                    allow_agent=False,
                    look_for_keys=False,
                )
                # Blocks until systemd has finished booting, so boot work does not leak into timings.
                boot = "systemctl is-system-running --wait; " if host.systemd else ""
                _, stdout, _ = client.exec_command(f"{boot}sudo -n true && echo sudo-ok")
                output = stdout.read().decode(errors="replace")
                if "sudo-ok" in output:
                    return
                last_error = f"not ready: {output.strip()!r}"
            except (paramiko.SSHException, OSError, EOFError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            finally:
                client.close()
            time.sleep(0.2)  # poll interval, bounded by the deadline
        raise FleetError(f"{host.name} (127.0.0.1:{host.port}) not ready before the deadline: {last_error}")

    # --- workload state ----------------------------------------------------------------------------

    def _exec(self, host: BenchHost, script: str) -> str:
        """Run `script` as root in the host's container; its stdout (stderr only goes into errors)."""
        container = self.client.containers.get(host.container)
        exit_code, (stdout, stderr) = container.exec_run(["sh", "-c", script], user="root", demux=True)
        out, err = _text(stdout), _text(stderr)
        if exit_code != 0:
            raise FleetError(f"{host.container}: `sh -c {shlex.quote(script.strip())}` exit {exit_code}: {out}{err}")
        return out

    def reset(self, hosts: Sequence[BenchHost], workload: Workload) -> None:
        """Remove everything the workload creates (and put back what it edits), on every host."""
        parallel(hosts, lambda host: self._exec(host, workload.reset_script), DOCKER_WORKERS)

    def drift(self, hosts: Sequence[BenchHost], workload: Workload) -> None:
        """Make the workload's drift on every host (two of its resources changed)."""
        parallel(hosts, lambda host: self._exec(host, workload.drift_script), DOCKER_WORKERS)

    def states(self, hosts: Sequence[BenchHost], workload: Workload) -> list[HostState]:
        """Read the workload's resources on every host."""
        return parallel(hosts, lambda host: self._state(host, workload), DOCKER_WORKERS)

    def _state(self, host: BenchHost, workload: Workload) -> HostState:
        """One host's state; an incomplete read is read again (three reads at most), then kept with its raw output
        for the report."""
        output = ""
        for _ in range(3):
            output = self._exec(host, workload.state_script)
            state = parse_state(host.name, output)
            if workload.read_whole(state):
                return state
        return HostState(host.name, (*parse_state(host.name, output).lines, ("raw", output)))
