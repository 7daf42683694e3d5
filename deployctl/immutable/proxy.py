"""The stage's reverse proxy: nginx (Debian's package) in front of the replicas, reloaded gracefully.

Pure parts: the stage's nginx config (`render_stage_conf` for named containers, `render_dns_stage_conf` for a
Swarm service resolved by DNS), and parsers of what the proxy reports (its upstream, its worker processes,
a container's TCP connections). Docker edge: build the image, start the proxy, write a config, check it
(`nginx -t`), reload (`nginx -s reload`) and wait until only workers started with the new config remain
active: from then on no new request reaches an upstream the config no longer names.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from deployctl.dockerapi.exectransport import DockerExecTransport
from deployctl.dockerapi.types import (
    Container,
    EngineApi,
    EngineError,
    EngineNotFoundError,
    EngineRefusedError,
    Network,
)
from deployctl.errors import DeployctlError
from deployctl.immutable.resources import (
    ENGINE_LABEL,
    ROLE_LABEL,
    Engine,
    is_rollout_resource,
    is_stage_resource,
    network_name,
    proxy_name,
    stage_labels,
)
from deployctl.lab.images import ensure_on_base

Say = Callable[[str], None]

PROXY_IMAGE = "deployctl/proxy:bookworm"
STAGE_CONF_DIR = "/etc/nginx/deployctl"
STAGE_CONF = f"{STAGE_CONF_DIR}/stage.conf"
UPSTREAM = "app"
STATUS_PATH = "/__deployctl/status"
DOCKER_DNS = "127.0.0.11"

# Every process of the container: "<pid> <command line>", one a line (nginx sets its workers' titles there).
PROCESS_LIST = (
    'for d in /proc/[0-9]*; do c=$(tr "\\0" " " < "$d/cmdline" 2>/dev/null) && printf "%s %s\\n" "${d#/proc/}" "$c"; '
    "done; true"
)


RELOAD_MARK = "--- deployctl: nginx -t and reload ---"
# The workers before the reload, then the config check and the graceful reload (exit code: theirs).
RELOAD = f"{PROCESS_LIST}; echo '{RELOAD_MARK}'; nginx -t -q 2>&1 && nginx -s reload 2>&1"


@dataclass(frozen=True)
class Upstream:
    """One replica as the proxy reaches it: its container name on the stage network, and its port."""

    host: str
    port: int


@dataclass(frozen=True)
class ProxySettings:
    """How the proxy treats its upstreams: short connect timeouts and retries on another replica."""

    connect_timeout: str = "1s"
    read_timeout: str = "60s"
    tries: int = 3
    retry_timeout: str = "15s"
    keepalive: int = 16
    fail_timeout: str = "2s"


@dataclass(frozen=True)
class NginxWorkers:
    """nginx's worker processes: the ones serving with the current config, and the ones finishing up."""

    active: frozenset[int]
    shutting_down: frozenset[int]

    @property
    def all(self) -> frozenset[int]:
        return self.active | self.shutting_down


def _location(settings: ProxySettings, target: str) -> list[str]:
    return [
        "    location / {",
        f"        proxy_pass {target};",
        "        proxy_http_version 1.1;",
        '        proxy_set_header Connection "";',
        "        proxy_set_header Host $host;",
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "        proxy_set_header X-Forwarded-Proto $scheme;",
        f"        proxy_connect_timeout {settings.connect_timeout};",
        f"        proxy_read_timeout {settings.read_timeout};",
        "        proxy_next_upstream error timeout http_502 http_503 http_504;",
        f"        proxy_next_upstream_tries {settings.tries};",
        f"        proxy_next_upstream_timeout {settings.retry_timeout};",
        "    }",
    ]


def _server(stage: str, generation: int, body: list[str]) -> list[str]:
    return [
        "server {",
        "    listen 80 default_server;",
        f'    add_header X-Deployctl-Stage "{stage}" always;',
        f'    add_header X-Deployctl-Generation "{generation}" always;',
        f"    location = {STATUS_PATH} {{",
        "        stub_status;",
        "        allow 127.0.0.1;",
        "        deny all;",
        "    }",
        *body,
        "}",
    ]


def _header(stage: str, generation: int, mode: str) -> list[str]:
    return [f"# deployctl stage {stage}: generation {generation}, {mode}. Written by deployctl: do not edit."]


def render_stage_conf(
    stage: str, upstreams: Sequence[Upstream], generation: int, settings: ProxySettings | None = None
) -> str:
    """The stage's nginx config: an upstream of the named replicas, or a 503 while there is none."""
    settings = settings or ProxySettings()
    lines = _header(stage, generation, "upstream")
    if not upstreams:
        body = ["    location / {", '        return 503 "no replica in service\\n";', "    }"]
        return "\n".join([*lines, *_server(stage, generation, body)]) + "\n"
    lines.append(f"upstream {UPSTREAM} {{")
    for upstream in sorted(set(upstreams), key=lambda u: (u.host, u.port)):
        lines.append(f"    server {upstream.host}:{upstream.port} max_fails=1 fail_timeout={settings.fail_timeout};")
    lines.append(f"    keepalive {settings.keepalive};")
    lines.append("}")
    body = _location(settings, f"http://{UPSTREAM}")
    return "\n".join([*lines, *_server(stage, generation, body)]) + "\n"


def render_dns_stage_conf(
    stage: str, service_host: str, port: int, generation: int, settings: ProxySettings | None = None
) -> str:
    """The stage's nginx config for a Swarm service in DNS round-robin mode: resolved again every second."""
    settings = settings or ProxySettings()
    lines = _header(stage, generation, f"dns {service_host}:{port}")
    lines.append(f"resolver {DOCKER_DNS} valid=1s ipv6=off;")
    body = [f"    set $deployctl_app {service_host};", *_location(settings, f"http://$deployctl_app:{port}")]
    return "\n".join([*lines, *_server(stage, generation, body)]) + "\n"


_SERVER_LINE = re.compile(r"^\s*server\s+([A-Za-z0-9_.-]+):(\d+)\b[^;]*;", re.MULTILINE)
_GENERATION = re.compile(r"^# deployctl stage \S+: generation (\d+),", re.MULTILINE)


def parse_upstreams(conf: str) -> list[Upstream]:
    """The replicas a stage config (as `render_stage_conf` wrote it) sends traffic to."""
    return [Upstream(host, int(port)) for host, port in _SERVER_LINE.findall(conf)]


def parse_generation(conf: str) -> int:
    """The generation number of a stage config; 0 for the image's placeholder."""
    found = _GENERATION.search(conf)
    return int(found.group(1)) if found else 0


def parse_nginx_workers(process_list: str) -> NginxWorkers:
    """nginx's workers from `<pid> <command line>` lines: active ones, and ones shutting down after a reload."""
    active: set[int] = set()
    shutting: set[int] = set()
    for line in process_list.splitlines():
        pid, _, title = line.strip().partition(" ")
        if not pid.isdigit() or "nginx: worker process" not in title:
            continue
        (shutting if "is shutting down" in title else active).add(int(pid))
    return NginxWorkers(frozenset(active), frozenset(shutting))


def split_reload_output(output: str) -> tuple[str, str]:
    """The output of `RELOAD`: the process list before the reload, and what nginx said."""
    before, _, after = output.partition(RELOAD_MARK)
    return before, after


def _is_loopback(address: str) -> bool:
    if len(address) == 8:  # IPv4, little-endian hex: 0100007F is 127.0.0.1
        return address[-2:].upper() == "7F"
    address = address.upper()
    return address == "00000000000000000000000001000000" or (
        address.startswith("0000000000000000FFFF0000") and address[-2:] == "7F"
    )


def established_peers(proc_net_tcp: str, port: int) -> int:
    """How many established TCP connections to local `port` come from outside the container (not loopback).

    Reads `/proc/net/tcp` and `/proc/net/tcp6` text (concatenated); health checks on loopback do not count.
    """
    count = 0
    for line in proc_net_tcp.splitlines():
        fields = line.split()
        if len(fields) < 4 or ":" not in fields[1] or fields[3] != "01":
            continue
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        remote_address = fields[2].rsplit(":", 1)[0]
        if local_port == port and not _is_loopback(remote_address):
            count += 1
    return count


# --- Docker edge -------------------------------------------------------------------------------------------


def ensure_proxy_image(client: EngineApi, images_dir: Path, say: Say) -> str:
    """Make sure deployctl/proxy matches images/proxy and the current base; returns `present` or `built`."""
    advice = "run `deployctl lab up` to build it"
    return ensure_on_base(client, images_dir / "proxy", PROXY_IMAGE, {ROLE_LABEL: "proxy"}, say, base_missing=advice)


def ensure_stage_network(client: EngineApi, stage: str, engine: Engine = "container") -> Network:
    """The stage's network (labelled): a bridge for containers, an attachable overlay for a Swarm service."""
    name = network_name(stage)
    driver = "overlay" if engine == "swarm" else "bridge"
    for network in client.list_networks(names=[name]):
        if network.name != name:
            continue
        if not is_rollout_resource(network.attrs.get("Labels"), stage):
            raise DeployctlError(f"network {name} exists but deployctl did not create it: rename or remove it")
        if network.attrs.get("Driver") != driver:
            raise DeployctlError(
                f"network {name} is a {network.attrs.get('Driver')} network, the {engine} engine needs {driver}: "
                f"the stage ran on another engine; remove its containers and network first"
            )
        return network
    labels = stage_labels(stage, extra={ENGINE_LABEL: engine})
    return client.create_network(name, driver=driver, labels=labels, attachable=engine == "swarm")


def find_proxy(client: EngineApi, stage: str) -> Container | None:
    """The stage's proxy container, when there is one; an error when its name is taken by something else."""
    try:
        container = client.get_container(proxy_name(stage))
    except EngineNotFoundError:
        return None
    if not is_stage_resource(container.labels, stage, "proxy"):
        raise DeployctlError(f"container {container.name} exists but is not deployctl's proxy of stage {stage}")
    return container


def published_port(container: Container) -> int | None:
    """The 127.0.0.1 port the proxy publishes (from its configuration, so also when stopped)."""
    bindings = container.attrs.get("HostConfig", {}).get("PortBindings") or {}
    for binding in bindings.get("80/tcp") or []:
        if binding.get("HostPort"):
            return int(binding["HostPort"])
    return None


def _exec(container: Container, command: list[str]) -> tuple[int, str]:
    result = DockerExecTransport.of(container).run(command)
    return result.exit_code, result.stdout + result.stderr


def _put_file(container: Container, folder: str, name: str, content: bytes) -> None:
    """Write a file into the proxy, also while it is stopped (before its nginx starts): not through exec."""
    container.put_file(folder, name, content)


def parse_resolved(getent_output: str) -> set[str]:
    """The names `getent hosts NAME...` resolved: the second and later words of each line."""
    return {name for line in getent_output.splitlines() for name in line.split()[1:]}


def unresolved_names(container: Container, names: list[str]) -> set[str]:
    """The names the proxy cannot resolve now (Docker's embedded DNS lost them, e.g. after a swarm leave)."""
    if not names:
        return set()
    _, output = _exec(container, ["getent", "hosts", *names])
    return set(names) - parse_resolved(output)


def read_stage_conf(container: Container) -> str:
    """The stage config the proxy has (the image's placeholder until deployctl writes one); also when stopped."""
    try:
        return container.read_file(STAGE_CONF).decode()
    except EngineError as exc:
        raise DeployctlError(f"could not read {STAGE_CONF} in {container.name}: {exc}") from exc


def nginx_workers(container: Container) -> NginxWorkers:
    """The proxy's worker processes, read from /proc inside its container."""
    code, output = _exec(container, ["sh", "-c", PROCESS_LIST])
    if code != 0:
        raise DeployctlError(f"could not list processes in {container.name}: {output.strip()}")
    return parse_nginx_workers(output)


def reload_proxy(
    container: Container, conf: str, *, previous: str | None = None, timeout: float = 20.0
) -> NginxWorkers:
    """Write `conf`, check it, reload nginx gracefully, and wait until only new workers are active.

    One exec lists the workers, checks the config and reloads; a rejected config is replaced by `previous`
    (read from the proxy when not given). Returns the workers that ran before the reload (shutting down
    now): a drain waits for them to exit.
    """
    if previous is None:
        previous = read_stage_conf(container)
    _put_file(container, STAGE_CONF_DIR, "stage.conf", conf.encode())
    code, output = _exec(container, ["sh", "-c", RELOAD])
    process_list, nginx_output = split_reload_output(output)
    if code != 0:
        _put_file(container, STAGE_CONF_DIR, "stage.conf", previous.encode())
        raise DeployctlError(f"nginx rejected the new config of {container.name}: {nginx_output.strip()[-400:]}")
    before = parse_nginx_workers(process_list)
    deadline = time.monotonic() + timeout
    while True:
        now = nginx_workers(container)
        if now.active and not (now.active & before.all):
            return before
        if time.monotonic() > deadline:
            raise DeployctlError(f"nginx in {container.name} did not start workers with the new config in {timeout}s")
        time.sleep(0.05)


def wait_workers_gone(container: Container, workers: frozenset[int], deadline: float) -> bool:
    """Wait until none of `workers` runs any more (old workers finish their requests); False at the deadline."""
    while True:
        if not (nginx_workers(container).all & workers):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def refresh_proxy(container: Container, *, timeout: float = 30.0) -> bool:
    """Reload the proxy with its current config, so new workers resolve names afresh (no DNS cache), and wait
    until the old workers finished their requests; False when they still run at the deadline."""
    current = read_stage_conf(container)
    before = reload_proxy(container, current, previous=current, timeout=timeout)
    return wait_workers_gone(container, before.all, time.monotonic() + timeout)


def start_proxy(
    client: EngineApi, stage: str, port: int, conf: str, engine: Engine = "container", *, timeout: float = 20
) -> Container:
    """Create the stage's proxy on its network, published on 127.0.0.1:`port`, with `conf`; wait for its workers."""
    labels = stage_labels(stage, "proxy", extra={ENGINE_LABEL: engine})
    return start_proxy_named(client, proxy_name(stage), labels, network_name(stage), port, conf, timeout=timeout)


def start_proxy_named(
    client: EngineApi,
    name: str,
    labels: Mapping[str, str],
    network: str,
    port: int,
    conf: str,
    *,
    timeout: float = 20,
) -> Container:
    """Create a proxy `name` on `network`, published on 127.0.0.1:`port`, with `conf`; wait for its workers."""
    try:
        container = client.create_container(
            PROXY_IMAGE, name=name, labels=labels, network=network, ports={"80/tcp": ("127.0.0.1", port)}
        )
    except EngineRefusedError as exc:
        raise DeployctlError(f"could not create {name}: {exc}") from exc
    try:
        _put_file(container, STAGE_CONF_DIR, "stage.conf", conf.encode())  # checked when nginx starts
        container.start()
        wait_proxy_running(container, timeout)
    except DeployctlError as exc:  # the engine refused (EngineRefusedError), or nginx did not start
        container.remove(force=True)
        raise DeployctlError(f"could not start {name} on 127.0.0.1:{port}: {exc}") from exc
    return container


def wait_proxy_running(container: Container, timeout: float = 20.0) -> None:
    """Wait until the proxy's nginx has workers; an error with its log when it exits instead."""
    deadline = time.monotonic() + timeout
    while True:
        container.reload()
        if container.status in ("exited", "dead", "restarting") or int(container.attrs.get("RestartCount") or 0):
            tail = container.logs(tail=5).strip()
            raise DeployctlError(f"{container.name} exited: {tail}")
        if container.status == "running" and nginx_workers(container).active:
            return
        if time.monotonic() > deadline:
            raise DeployctlError(f"{container.name} did not start nginx workers within {timeout}s")
        time.sleep(0.1)


def ensure_proxy_running(container: Container, conf: str) -> None:
    """Start a stopped proxy with `conf` (only replicas that exist: nginx resolves every name when it starts)."""
    container.reload()
    if container.status == "running":
        reload_proxy(container, conf)
        return
    _put_file(container, STAGE_CONF_DIR, "stage.conf", conf.encode())
    container.start()
    wait_proxy_running(container)
