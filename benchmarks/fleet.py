"""The benchmark's hosts: lab-style containers (systemd, sshd, sudo) labelled `deployctl.bench=1`.

Each host is a `deployctl/node:bookworm` container named `deployctl-bench-N`, its port 22 published on
127.0.0.1 only, with a key pair generated for the run authorized for `vagrant`. Resetting, drifting and
reading the workload's state go through `docker exec` (as root), never through the tools measured.
Only containers carrying the bench label are ever stopped or removed.
"""

from __future__ import annotations

import hashlib
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

from deployctl.lab.nodes import AUTHORIZE_SCRIPT, NODE_OPTIONS, KeyPair

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

T = TypeVar("T")
R = TypeVar("R")


class FleetError(RuntimeError):
    """A host could not be started, reached, reset or read."""


@dataclass(frozen=True)
class BenchHost:
    """One benchmark host: its inventory name, its container's name, and its SSH port on 127.0.0.1."""

    name: str
    container: str
    port: int


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


def check_inotify_headroom(count: int) -> None:
    """Refuse to start `count` hosts that root's inotify instance limit cannot boot, saying what to raise."""
    limit = int(Path("/proc/sys/fs/inotify/max_user_instances").read_text())
    in_use = root_inotify_instances()
    needed = count * INOTIFY_PER_HOST
    if in_use + needed > limit:
        suggested = max(1024, 1 << (in_use + needed).bit_length())
        raise FleetError(
            f"{count} systemd hosts need about {needed} inotify instances, and root already holds {in_use} of "
            f"fs.inotify.max_user_instances={limit}: their systemd would fail to start. Raise the limit first, "
            f"e.g. `sysctl -w fs.inotify.max_user_instances={suggested}` (not persistent; restore it after)"
        )


def _text(output: object) -> str:
    """An exec_run stream (bytes, or None when the stream was empty) as text."""
    return output.decode(errors="replace") if isinstance(output, bytes) else ""


def parallel(items: Sequence[T], call: Callable[[T], R], workers: int) -> list[R]:
    """`call` on every item, `workers` at a time; results in input order; the first exception propagates."""
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        return list(pool.map(call, items))


# What the workload creates, and how the harness puts it back, drifts it and reads it (run as root).
RESET_SCRIPT = """
userdel benchapp 2>/dev/null || true
groupdel benchapp 2>/dev/null || true
rm -rf /opt/benchapp /etc/benchapp /var/log/benchapp
! getent passwd benchapp >/dev/null && ! getent group benchapp >/dev/null
"""

DRIFT_SCRIPT = """
set -e
sed -i 's/^listen = .*/listen = 0.0.0.0:9999/' /etc/benchapp/app.conf
grep -q '^listen = 0.0.0.0:9999$' /etc/benchapp/app.conf
rm /opt/benchapp/app.py
"""

STATE_PATHS = (
    "/opt/benchapp",
    "/etc/benchapp",
    "/var/log/benchapp",
    "/etc/benchapp/app.conf",
    "/opt/benchapp/app.py",
    "/etc/benchapp/app.env",
    "/opt/benchapp/.initialized",
)
CONTENT_PATHS = ("/etc/benchapp/app.conf", "/opt/benchapp/app.py", "/etc/benchapp/app.env")

STATE_SCRIPT = f"""
for p in {" ".join(STATE_PATHS)}; do
  if [ -e "$p" ]; then echo "stat $p $(stat -c '%F|%U|%G|%a' "$p")"; else echo "stat $p absent"; fi
done
echo "group $(getent group benchapp | cut -d: -f3)"
echo "user $(getent passwd benchapp | cut -d: -f3,6,7)"
echo "primary $(id -gn benchapp 2>/dev/null)"
for f in {" ".join(CONTENT_PATHS)}; do
  if [ -f "$f" ]; then echo "sha256 $f $(sha256sum < "$f" | cut -d' ' -f1)"; fi
done
if [ -f /etc/benchapp/app.env ]; then echo "env $(tr '\\n' '|' < /etc/benchapp/app.env)"; fi
if [ -f /etc/benchapp/app.conf ]; then grep -E '^(host|stage|listen) = ' /etc/benchapp/app.conf | sed 's/^/conf /'; fi
"""


@dataclass(frozen=True)
class HostState:
    """What the workload left on one host, as `key -> value` lines read by STATE_SCRIPT."""

    host: str
    lines: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        return next((value for k, value in self.lines if k == key), None)

    def all(self, key: str) -> list[str]:
        return [value for k, value in self.lines if k == key]


def parse_state(host: str, output: str) -> HostState:
    """Split STATE_SCRIPT's output into (kind + path, value) pairs."""
    lines: list[tuple[str, str]] = []
    for line in output.splitlines():
        kind, _, rest = line.partition(" ")
        if kind in ("stat", "sha256"):
            path, _, value = rest.partition(" ")
            lines.append((f"{kind} {path}", value))
        else:
            lines.append((kind, rest))
    return HostState(host, tuple(lines))


def expected_state_problems(state: HostState, app_py: bytes, stage: str) -> list[str]:
    """Differences between a host's state and what the workload declares; empty when it is right."""
    wanted_stats = {
        "/opt/benchapp": "directory|root|root|755",
        "/etc/benchapp": "directory|root|benchapp|750",
        "/var/log/benchapp": "directory|benchapp|benchapp|750",
        "/etc/benchapp/app.conf": "regular file|root|benchapp|640",
        "/opt/benchapp/app.py": "regular file|root|root|755",
        "/etc/benchapp/app.env": "regular file|root|root|644",
        "/opt/benchapp/.initialized": "regular empty file|root|root|644",
    }
    if state.get("raw") is not None:
        return [f"incomplete state read, twice: {state.get('raw')!r}"]
    problems = [
        f"{path}: {state.get(f'stat {path}')} (want {wanted})"
        for path, wanted in wanted_stats.items()
        if state.get(f"stat {path}") != wanted
    ]
    gid = state.get("group") or ""
    if not gid.isdigit() or int(gid) >= 1000:
        problems.append(f"group benchapp: gid {gid!r} (want a system group)")
    uid, _, home_shell = (state.get("user") or "").partition(":")
    if not uid.isdigit() or int(uid) >= 1000 or home_shell != "/opt/benchapp:/usr/sbin/nologin":
        problems.append(f"user benchapp: {state.get('user')!r} (want system, /opt/benchapp, /usr/sbin/nologin)")
    if state.get("primary") != "benchapp":
        problems.append(f"user benchapp: primary group {state.get('primary')!r} (want benchapp)")
    if state.get("sha256 /opt/benchapp/app.py") != hashlib.sha256(app_py).hexdigest():
        problems.append("/opt/benchapp/app.py: content differs from files/app.py")
    if state.get("env") != f"BENCH_STAGE={stage}|BENCH_WORKERS=4|":
        problems.append(f"/etc/benchapp/app.env: {state.get('env')!r}")
    conf = set(state.all("conf"))
    wanted_conf = {f"host = {state.host}", f"stage = {stage}", "listen = 127.0.0.1:8080"}
    if conf != wanted_conf:
        problems.append(f"/etc/benchapp/app.conf: {sorted(conf)} (want {sorted(wanted_conf)})")
    return problems


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

    def start(self, count: int, port_base: int) -> list[BenchHost]:
        """Start `count` hosts with SSH on 127.0.0.1:port_base+1.. and authorize the run's key on each."""
        hosts = [BenchHost(f"bench-{i}", f"{NAME_PREFIX}{i}", port_base + i) for i in range(1, count + 1)]
        parallel(hosts, self._create, DOCKER_WORKERS)
        return hosts

    def _create(self, host: BenchHost) -> None:
        container = self.client.containers.run(
            IMAGE,
            detach=True,
            name=host.container,
            hostname=host.name,
            labels={LABEL: "1", f"{LABEL}.host": host.name},
            cap_add=list(NODE_OPTIONS.capabilities),
            security_opt=list(NODE_OPTIONS.security_options),
            tmpfs=dict.fromkeys(NODE_OPTIONS.tmpfs, ""),
            volumes={path: {"bind": path, "mode": "ro"} for path in NODE_OPTIONS.read_only_binds},
            ports={"22/tcp": (LOOPBACK, host.port)},
        )
        exit_code, output = container.exec_run(["sh", "-c", AUTHORIZE_SCRIPT, "sh", self.key.public_line])
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
                _, stdout, _ = client.exec_command("systemctl is-system-running --wait; sudo -n true && echo sudo-ok")
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

    def reset(self, hosts: Sequence[BenchHost]) -> None:
        """Remove everything the workload creates, on every host."""
        parallel(hosts, lambda host: self._exec(host, RESET_SCRIPT), DOCKER_WORKERS)

    def drift(self, hosts: Sequence[BenchHost]) -> None:
        """Change the `listen` line of app.conf and delete app.py, on every host."""
        parallel(hosts, lambda host: self._exec(host, DRIFT_SCRIPT), DOCKER_WORKERS)

    def states(self, hosts: Sequence[BenchHost]) -> list[HostState]:
        """Read the workload's resources on every host."""
        return parallel(hosts, self._state, DOCKER_WORKERS)

    def _state(self, host: BenchHost) -> HostState:
        """One host's state; an incomplete read is read again once, then kept with its raw output for the report."""
        output = self._exec(host, STATE_SCRIPT)
        state = parse_state(host.name, output)
        if all(state.get(f"stat {path}") is not None for path in STATE_PATHS):
            return state
        output = self._exec(host, STATE_SCRIPT)
        state = parse_state(host.name, output)
        if all(state.get(f"stat {path}") is not None for path in STATE_PATHS):
            return state
        return HostState(host.name, (*state.lines, ("raw", output)))
