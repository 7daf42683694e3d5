"""The Swarm engine of a stage (`deployctl_engine: swarm`): the same deploy as a Docker Swarm service update.

The stage's replicas are the tasks of one service, `deployctl-<stage>-app`, updated by Swarm itself with an
UpdateConfig (parallelism, delay, monitor, start-first, failure_action rollback) and the image's health check.
Config files become Docker configs (immutable: one per content, labelled) mounted at their destination.
The service runs in DNS round-robin mode on an attachable overlay network (no IPVS is needed: the routing
mesh and VIPs are not used); the stage's nginx proxy is a container on that network, published on
127.0.0.1:PORT only (Swarm's own publishing cannot bind one address), resolving the service's tasks every
second and retrying another task on a connection error. `service_definition` is pure; the rest is the edge.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from deployctl.dockerapi.types import (
    ConfigReference,
    EngineApi,
    EngineRefusedError,
    ServiceDefinition,
)
from deployctl.errors import DeployctlError
from deployctl.immutable.history import (
    Action,
    Outcome,
)
from deployctl.immutable.load import HttpLoad, LoadReport
from deployctl.immutable.proxy import (
    ensure_proxy_image,
    ensure_proxy_running,
    ensure_stage_network,
    find_proxy,
    parse_generation,
    parse_upstreams,
    published_port,
    read_stage_conf,
    refresh_proxy,
    render_dns_stage_conf,
    start_proxy,
)
from deployctl.immutable.replica import (
    ReplicaSpec,
    fallback_healthcheck,
    image_healthcheck,
)
from deployctl.immutable.resources import (
    CONTEXT_LABEL,
    ENGINE_LABEL,
    STAGE_LABEL,
    SWARM_TASK_LABEL,
    check_stage,
    is_rollout_resource,
    is_stage_resource,
    service_name,
    stage_labels,
)
from deployctl.immutable.rollout import (
    ReplicaSwap,
    RolloutResult,
    StageStatus,
    record_history,
    replica_failure,
    replica_status,
    rollout_lock,
    status_of_stage,
)

Say = Callable[[str], None]
SECOND = 1_000_000_000
SWARM_HEALTH_INTERVAL_S = 2
"""How often (seconds) Swarm runs a service's health check: its rolling updates wait for those verdicts."""
FAILED_UPDATE = frozenset({"rollback_completed", "rollback_paused", "paused"})
FAILED_TASK = frozenset({"failed", "rejected"})


@dataclass(frozen=True)
class SwarmConfig:
    """A config file as a Docker config: named by its stage and content (configs are immutable)."""

    name: str
    dest: str
    mode: int
    content: bytes


def swarm_configs(stage: str, spec: ReplicaSpec) -> list[SwarmConfig]:
    """The Docker configs of a replica spec's files, read from the state folder where the deploy wrote them."""
    configs = []
    for mount in spec.mounts:
        try:
            content = Path(mount.source).read_bytes()
        except OSError as exc:
            raise DeployctlError(f"config file {mount.source} for {mount.dest}: {exc.strerror}") from exc
        configs.append(SwarmConfig(swarm_config_name(stage, mount.dest, mount.mode, content), mount.dest,
                                   int(mount.mode, 8), content))  # fmt: skip
    return configs


def swarm_config_name(stage: str, dest: str, mode: str, content: bytes) -> str:
    """The Docker config of a file: named by the stage and the digest of its destination, mode and content."""
    digest = hashlib.sha256(dest.encode() + b"\0" + mode.encode() + b"\0" + content).hexdigest()
    return f"deployctl-{stage}-{digest[:16]}"


def service_definition(
    stage: str,
    spec: ReplicaSpec,
    configs: Sequence[tuple[str, SwarmConfig]],
    network_id: str,
    *,
    replicas: int,
    parallelism: int,
    delay: float,
    monitor: float,
    health: dict[str, Any] | None,
    stop_grace: float = 10.0,
    force_update: int = 0,
) -> ServiceDefinition:
    """The stage's service: `replicas` tasks of the spec's image, updated `parallelism` at a time, start-first,
    rolled back by Swarm when a new task fails (its health check included) within `monitor` seconds.
    A `force_update` other than the service's current one makes Swarm replace every task (same image)."""
    labels = stage_labels(stage, "app", spec.release, {CONTEXT_LABEL: spec.context_hash, ENGINE_LABEL: "swarm"})
    return ServiceDefinition(
        name=service_name(stage),
        labels=labels,
        image=spec.image,
        configs=tuple(
            ConfigReference(config_id, config.name, filename=config.dest, mode=config.mode)
            for config_id, config in configs
        ),
        healthcheck=health,
        stop_grace=int(stop_grace * SECOND),
        network_id=network_id,
        restart_delay=SECOND,
        force_update=force_update,
        replicas=replicas,
        update_parallelism=parallelism,
        update_delay=int(delay * SECOND),
        monitor=int(monitor * SECOND),
        rollback_parallelism=replicas,
    )


def parse_swarm_time(value: str) -> float:
    """A Swarm timestamp (RFC 3339 with nanoseconds) as POSIX seconds."""
    head, _, fraction = value.rstrip("Z").partition(".")
    seconds = datetime.fromisoformat(head + "+00:00").timestamp()
    return seconds + (float(f"0.{fraction}") if fraction else 0.0)


def task_swaps(tasks: Sequence[dict[str, Any]], image: str, finished: float) -> tuple[ReplicaSwap, ...]:
    """Per-replica swap times of an update: from one new task's creation to the next (the last: to `finished`)."""
    new = sorted(
        (t for t in tasks if t["Spec"]["ContainerSpec"]["Image"] == image and t.get("DesiredState") == "running"),
        key=lambda t: parse_swarm_time(t["CreatedAt"]),
    )
    created = [parse_swarm_time(t["CreatedAt"]) for t in new]
    ends = [*created[1:], finished]
    return tuple(
        ReplicaSwap(f"task {t['ID'][:12]}", None, round(max(end - start, 0.0), 3))
        for t, start, end in zip(new, created, ends, strict=True)
    )


# --- Docker edge -------------------------------------------------------------------------------------------


def swarm_active(client: EngineApi) -> bool:
    """True when this engine is a manager of an active swarm."""
    swarm = client.info().get("Swarm") or {}
    return swarm.get("LocalNodeState") == "active" and bool(swarm.get("ControlAvailable"))


def _ensure_configs(client: EngineApi, stage: str, spec: ReplicaSpec) -> list[tuple[str, SwarmConfig]]:
    found = []
    labels = stage_labels(stage, "app", spec.release, {ENGINE_LABEL: "swarm"})
    for config in swarm_configs(stage, spec):
        existing = [c for c in client.list_configs(name=config.name) if c.name == config.name]
        if existing:
            found.append((existing[0].id, config))
        else:
            found.append((client.create_config(config.name, config.content, labels), config))
    return found


def find_service(client: EngineApi, stage: str) -> dict[str, Any] | None:
    """The stage's service as the Engine API inspects it, or None; an error when deployctl did not create it."""
    name = service_name(stage)
    for service in client.find_services(name):
        if service["Spec"]["Name"] == name:
            if not is_stage_resource(service["Spec"].get("Labels"), stage, "app"):
                raise DeployctlError(f"service {name} exists but deployctl did not create it")
            return dict(service)
    return None


def _image_health(client: EngineApi, spec: ReplicaSpec) -> dict[str, Any]:
    """The service's health check: the image's own (else one probing the health path), every 2 s.

    Swarm orders a rolling update by Docker's own health verdicts, which come one interval after a task
    starts: the service keeps the short interval that the container engine's rollouts no longer need.
    """
    image = client.find_image(spec.image)
    if image is None:
        raise DeployctlError(f"image {spec.image} is not on this Docker host: build it")
    configured = image_healthcheck(image.attrs)
    if configured is None:
        return fallback_healthcheck(spec.port, spec.health_path, SWARM_HEALTH_INTERVAL_S)
    return {
        "test": list(configured["Test"]),
        "interval": int(SWARM_HEALTH_INTERVAL_S * SECOND),
        "timeout": int(configured.get("Timeout") or 2 * SECOND),
        "retries": int(configured.get("Retries") or 3),
        "start_period": int(configured.get("StartPeriod") or 0),
    }


def _failed_reason(client: EngineApi, tasks: Sequence[dict[str, Any]], image: str) -> str:
    """Why the image's tasks failed: Swarm's error, or their container's health log (a failed health check)."""
    reasons = []
    for task in tasks:
        status = task["Status"]
        if task["Spec"]["ContainerSpec"]["Image"] != image or status["State"] == "running":
            continue
        detail = None
        container_id = (status.get("ContainerStatus") or {}).get("ContainerID")
        if container_id:
            with suppress(EngineRefusedError):
                detail = replica_failure(client.get_container(container_id))
        if detail or status.get("Err"):
            reasons.append(f"task {task['ID'][:12]}: {detail or status.get('Err')}")
    return "; ".join(dict.fromkeys(reasons[:3]))


def _converged(tasks: Sequence[dict[str, Any]], image: str, replicas: int) -> bool:
    """`replicas` tasks of `image` run, and no task of another image still runs (even one shutting down)."""
    running = [t for t in tasks if t["Status"]["State"] == "running"]
    wanted = [t for t in running if t.get("DesiredState") == "running" and t["Spec"]["ContainerSpec"]["Image"] == image]
    return len(wanted) == replicas == len(running)


def _wait(
    client: EngineApi,
    service_id: str,
    image: str,
    replicas: int,
    previous_started: str | None,
    updating: bool,
    timeout: float,
) -> tuple[str, str]:
    """Wait for an update (or a create) to end: ("completed", "") or (Swarm's update state, why)."""
    deadline = time.monotonic() + timeout
    while True:
        attrs = client.inspect_service(service_id)
        status = attrs.get("UpdateStatus") or {}
        state = status.get("State")
        fresh = status.get("StartedAt") != previous_started
        tasks = client.service_tasks(service_id)
        if updating and fresh and state in FAILED_UPDATE:
            return str(state), f"{status.get('Message', '')}: {_failed_reason(client, tasks, image)}".strip(": ")
        done = (not updating) or (fresh and state == "completed")
        if done and _converged(tasks, image, replicas):
            return "completed", ""
        if not updating:
            failed = [t for t in tasks if t["Status"]["State"] in FAILED_TASK]
            if len(failed) >= replicas:
                return "failed", _failed_reason(client, tasks, image)
        if time.monotonic() > deadline:
            raise DeployctlError(f"service {attrs['Spec']['Name']} did not converge within {timeout:.0f}s")
        time.sleep(0.5)


def _force_update(service: dict[str, Any] | None) -> int:
    """The service's ForceUpdate counter (0 without a service): kept as is by an update, bumped to replace tasks."""
    if service is None:
        return 0
    return int(service["Spec"]["TaskTemplate"].get("ForceUpdate") or 0)


def service_state(service: dict[str, Any]) -> tuple[str, set[str], int]:
    """A service's image, config names and replica count."""
    spec = service["Spec"]
    container = spec["TaskTemplate"]["ContainerSpec"]
    names = {c["ConfigName"] for c in container.get("Configs") or []}
    return str(container["Image"]), names, int(spec["Mode"].get("Replicated", {}).get("Replicas", 0))


def _ensure_swarm_proxy(client: EngineApi, stage: str, port: int, app_port: int, say: Say) -> None:
    proxy = find_proxy(client, stage)
    if proxy is None:
        conf = render_dns_stage_conf(stage, service_name(stage), app_port, 1)
        proxy = start_proxy(client, stage, port, conf, "swarm")
        say(f"{stage}: proxy {proxy.name} serves 127.0.0.1:{port}")
        return
    current_port = published_port(proxy)
    if current_port not in (None, port):
        raise DeployctlError(f"stage {stage}: its proxy publishes 127.0.0.1:{current_port}, not {port}")
    current = read_stage_conf(proxy)
    generation = parse_generation(current)
    if render_dns_stage_conf(stage, service_name(stage), app_port, generation) != current or proxy.status != "running":
        ensure_proxy_running(proxy, render_dns_stage_conf(stage, service_name(stage), app_port, generation + 1))


def _refresh_swarm_proxy(client: EngineApi, stage: str, say: Say) -> None:
    """After an update: the proxy's workers forget the resolved addresses of the tasks that are gone."""
    proxy = find_proxy(client, stage)
    if proxy is not None and not refresh_proxy(proxy):
        say(f"{stage}: the proxy's old workers still ran at the deadline")


def _remove_unused_configs(client: EngineApi, stage: str, service: dict[str, Any]) -> None:
    used = set()
    for key in ("Spec", "PreviousSpec"):
        container = (service.get(key) or {}).get("TaskTemplate", {}).get("ContainerSpec", {})
        used |= {c["ConfigName"] for c in container.get("Configs") or []}
    for config in client.list_configs(label=f"{STAGE_LABEL}={stage}"):
        if config.name not in used and is_rollout_resource(config.labels, stage):
            with suppress(EngineRefusedError):  # still referenced by a task shutting down: the next deploy removes it
                client.remove_config(config.id)


def update_service(
    client: EngineApi,
    stage: str,
    spec: ReplicaSpec,
    *,
    replicas: int,
    parallelism: int,
    delay: float,
    monitor: float,
    proxy_port: int,
    state_dir: Path,
    images_dir: Path,
    say: Say,
    timeout: float,
    load: HttpLoad | None,
    action: Action,
    force: bool = False,
) -> RolloutResult:
    """Create or update the stage's service to `spec`; `force` replaces every task even when nothing changed."""
    check_stage(stage)
    with rollout_lock(state_dir, stage):
        if not swarm_active(client):
            raise DeployctlError(
                f"stage {stage} uses the swarm engine but this Docker engine is not a swarm manager "
                "(docker swarm init --advertise-addr 127.0.0.1)"
            )
        began = time.monotonic()
        health = _image_health(client, spec)
        ensure_proxy_image(client, images_dir, say)
        network = ensure_stage_network(client, stage, "swarm")
        configs = _ensure_configs(client, stage, spec)
        service = find_service(client, stage)
        forced = _force_update(service) + 1 if force else _force_update(service)
        definition = service_definition(
            stage,
            spec,
            configs,
            str(network.id),
            replicas=replicas,
            parallelism=parallelism,
            delay=delay,
            monitor=monitor,
            health=health,
            force_update=forced,
        )
        previous_image = None
        report: LoadReport | None = None
        if service is None:
            say(f"{stage}: creating service {definition.name} ({replicas} x {spec.image})")
            service_id = client.create_service(definition)
            state, why = _wait(client, service_id, spec.image, replicas, None, False, timeout)
            if state != "completed":
                client.remove_service(service_id)
                return _finish(state_dir, stage, spec, "failed", replicas, began, action, None, why or state, (), None)
            _ensure_swarm_proxy(client, stage, proxy_port, spec.port, say)
        else:
            service_id = str(service["ID"])
            previous_image, config_names, current_replicas = service_state(service)
            _ensure_swarm_proxy(client, stage, proxy_port, spec.port, say)
            wanted = {config.name for _, config in configs}
            if (
                not force
                and (previous_image, config_names, current_replicas) == (spec.image, wanted, replicas)
                and _converged(client.service_tasks(service_id), spec.image, replicas)
            ):
                say(f"{stage}: {replicas} tasks already run {spec.image}")
                return _finish(
                    state_dir, stage, spec, "unchanged", replicas, began, action, previous_image, "", (), None
                )
            previous_started = (service.get("UpdateStatus") or {}).get("StartedAt")
            if load is not None:
                load.start()
            try:
                say(f"{stage}: updating {definition.name} to {spec.image} (parallelism {parallelism}, delay {delay}s)")
                client.update_service(service_id, int(service["Version"]["Index"]), definition)
                state, why = _wait(client, service_id, spec.image, replicas, previous_started, True, timeout)
                say(f"{stage}: Swarm's update ended ({state}) after {time.monotonic() - began:.1f}s")
                if state != "completed" and previous_image is not None:
                    say(f"{stage}: Swarm rolled the update back ({why}); waiting for {previous_image} to serve")
                    _wait(client, service_id, previous_image, current_replicas, None, False, timeout)
                _refresh_swarm_proxy(client, stage, say)
            finally:
                report = load.stop() if load is not None else None
            if state != "completed":
                outcome: Outcome = "rolled_back" if state.startswith("rollback") else "failed"
                return _finish(
                    state_dir, stage, spec, outcome, replicas, began, action, previous_image, why or state, (), report
                )
        swaps = (
            task_swaps(client.service_tasks(service_id), spec.image, time.time()) if previous_image is not None else ()
        )
        _remove_unused_configs(client, stage, client.inspect_service(service_id))
        return _finish(state_dir, stage, spec, "deployed", replicas, began, action, previous_image, "", swaps, report)


def _finish(
    state_dir: Path,
    stage: str,
    spec: ReplicaSpec,
    outcome: Outcome,
    replicas: int,
    began: float,
    action: Action,
    previous_image: str | None,
    reason: str,
    swaps: tuple[ReplicaSwap, ...],
    load: LoadReport | None,
) -> RolloutResult:
    result = RolloutResult(
        stage=stage,
        image=spec.image,
        previous_image=previous_image,
        outcome=outcome,
        replaced=len(swaps) if previous_image is not None else 0,
        seconds=round(time.monotonic() - began, 3),
        swaps=swaps,
        rolled_back=outcome == "rolled_back",
        reason=reason,
        engine="swarm",
        action=action,
        load=load,
    )
    record_history(state_dir, stage, spec, result, replicas)
    return result


def remove_swarm_stage(client: EngineApi, stage: str, say: Say, timeout: float = 60.0) -> list[str]:
    """Remove the stage's service, its configs, proxy and network: only what carries the stage's labels."""
    check_stage(stage)
    removed = []
    service = find_service(client, stage) if swarm_active(client) else None
    if service is not None:
        client.remove_service(str(service["ID"]))
        removed.append(str(service["Spec"]["Name"]))
        deadline = time.monotonic() + timeout
        while client.list_containers([f"com.docker.swarm.service.id={service['ID']}"]):
            if time.monotonic() > deadline:
                break
            time.sleep(0.3)
    proxy = find_proxy(client, stage)
    if proxy is not None:
        proxy.remove(force=True)
        removed.append(str(proxy.name))
    if swarm_active(client):
        for config in client.list_configs(label=f"{STAGE_LABEL}={stage}"):
            if is_rollout_resource(config.labels, stage):
                try:
                    client.remove_config(config.id)
                    removed.append(config.name)
                except EngineRefusedError:
                    pass
    for network in client.list_networks(label=f"{STAGE_LABEL}={stage}"):
        if is_rollout_resource(network.attrs.get("Labels"), stage):
            network.remove()
            removed.append(str(network.name))
    if removed:
        say(f"{stage}: removed {', '.join(removed)}")
    return removed


def swarm_status(client: EngineApi, stage: str, *, probe: bool = True) -> StageStatus:
    """The stage's proxy and its service's task containers: a running task is served (the proxy resolves the
    service's tasks by DNS), so it counts as in the upstream."""
    check_stage(stage)
    proxy = find_proxy(client, stage)
    upstreams = parse_upstreams(read_stage_conf(proxy)) if proxy is not None else []
    found = client.list_containers([f"{STAGE_LABEL}={stage}", "deployctl.role=app"])
    tasks = [c for c in found if SWARM_TASK_LABEL in c.labels and is_rollout_resource(c.labels, stage)]
    replicas = [
        replica_status(task, in_upstream=(task.attrs.get("State") or {}).get("Status") == "running", probe=probe)
        for task in tasks
    ]
    return status_of_stage(stage, proxy, upstreams, replicas)
