"""Roll a stage's replicas to a release behind its proxy, with zero failed requests, and roll back by itself.

Per batch of `parallelism` replicas: start the new containers (stage network, no published port, config files
mounted read-only), probe them with their own health check until ready (deployctl.immutable.readiness), put
them into the proxy's upstream (graceful reload), take as many old ones out (graceful reload), drain them (the
proxy's old workers exit and the container has no established connection left), stop them (SIGTERM) and
remove them. A new replica that turns unhealthy or exits stops the rollout: the new containers go, replicas
already swapped are rolled back the same way, and the old ones never stop serving. `plan_batches` is the pure
plan; the rest is the Docker edge.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from deployctl.dockerapi.exectransport import DockerExecTransport
from deployctl.dockerapi.types import (
    BindMount,
    Container,
    EngineApi,
    EngineNotFoundError,
    EngineRefusedError,
    ImageInfo,
)
from deployctl.errors import DeployctlError
from deployctl.immutable.history import (
    Action,
    Outcome,
    ReleaseRecord,
    append_record,
    load_history,
    now_iso,
)
from deployctl.immutable.load import HttpLoad, LoadReport
from deployctl.immutable.proxy import (
    NginxWorkers,
    Upstream,
    ensure_proxy_image,
    ensure_proxy_running,
    ensure_stage_network,
    established_peers,
    find_proxy,
    parse_generation,
    parse_upstreams,
    published_port,
    read_stage_conf,
    refresh_proxy,
    reload_proxy,
    render_stage_conf,
    start_proxy,
    unresolved_names,
    wait_workers_gone,
)
from deployctl.immutable.readiness import (
    STEADY_INTERVAL_S,
    exited_reason,
    replica_health,
    unhealthy_message,
    wait_ready,
)
from deployctl.immutable.recipe import ImageRelease, RuntimeFile
from deployctl.immutable.replica import (
    ConfigMount,
    ReplicaSpec,
    fallback_healthcheck,
    image_healthcheck,
    spec_for_release,
    write_config_files,
)
from deployctl.immutable.resources import (
    CONTEXT_LABEL,
    ENGINE_LABEL,
    RELEASE_LABEL,
    STAGE_LABEL,
    SWARM_TASK_LABEL,
    app_container_name,
    check_stage,
    is_rollout_resource,
    is_stage_resource,
    network_name,
    stage_labels,
)
from deployctl.transport.pool import run_each

Say = Callable[[str], None]


@dataclass(frozen=True)
class Batch:
    """One step of a rollout: start `start` new replicas, then retire these old ones (by container name)."""

    start: int
    retire: tuple[str, ...]


@dataclass(frozen=True)
class RolloutSettings:
    """Deadlines of a rollout's waits, in seconds; `monitor` watches new replicas stay healthy before the swap."""

    health_timeout: float = 120.0
    drain_timeout: float = 30.0
    stop_timeout: int = 10
    reload_timeout: float = 20.0
    monitor: float = 0.0


@dataclass(frozen=True)
class ReplicaSwap:
    """One replica replaced: the new container, the old one it replaced (None when added), and how long it took."""

    new: str
    old: str | None
    seconds: float


@dataclass(frozen=True)
class RolloutResult:
    """What a deploy or rollback did to a stage."""

    stage: str
    image: str
    previous_image: str | None
    outcome: Outcome
    replaced: int
    seconds: float
    swaps: tuple[ReplicaSwap, ...] = ()
    rolled_back: bool = False
    reason: str = ""
    engine: str = "container"
    action: Action = "deploy"
    load: LoadReport | None = None

    @property
    def ok(self) -> bool:
        """True when the stage serves the requested release (deployed, or already running it)."""
        return self.outcome in ("deployed", "unchanged")

    @property
    def swap_seconds(self) -> tuple[float, ...]:
        """Seconds per replica swapped, in order."""
        return tuple(s.seconds for s in self.swaps)


@dataclass(frozen=True)
class ReplicaStatus:
    """One replica of a stage as Docker sees it."""

    name: str
    image: str
    release: str
    status: str
    health: str
    in_upstream: bool


@dataclass(frozen=True)
class StageStatus:
    """A stage's proxy and replicas."""

    stage: str
    proxy: str | None
    proxy_running: bool
    port: int | None
    upstreams: tuple[Upstream, ...]
    replicas: tuple[ReplicaStatus, ...]


def plan_batches(old: Sequence[str], replicas: int, parallelism: int) -> list[Batch]:
    """The batches that replace the `old` replicas by `replicas` new ones, `parallelism` at a time.

    A new replica retires one old replica; the last batch also retires any old ones left over (a scale down).
    Without old replicas, every new one starts at once: nothing is served yet, there is nothing to protect.
    """
    if replicas < 1:
        raise DeployctlError(f"replicas: must be at least 1, got {replicas}")
    if parallelism < 1:
        raise DeployctlError(f"parallelism: must be at least 1, got {parallelism}")
    if not old:
        return [Batch(replicas, ())]
    batches: list[Batch] = []
    remaining = list(old)
    to_start = replicas
    while to_start > 0:
        count = min(parallelism, to_start)
        to_start -= count
        retire = remaining if to_start == 0 else remaining[:count]
        remaining = [] if to_start == 0 else remaining[count:]
        batches.append(Batch(count, tuple(retire)))
    return batches


# --- Docker edge -------------------------------------------------------------------------------------------


@dataclass
class _StageRun:
    """One rollout in progress: the stage's proxy and the replicas its upstream names, in order."""

    client: EngineApi
    stage: str
    settings: RolloutSettings
    say: Say
    proxy: Container | None
    port: int
    generation: int
    conf: str | None = None
    serving: dict[str, Upstream] = field(default_factory=dict)
    containers: dict[str, Container] = field(default_factory=dict)


@dataclass(frozen=True)
class _RollOutcome:
    swaps: tuple[ReplicaSwap, ...]
    failure: str | None
    started: tuple[str, ...]


@contextmanager
def rollout_lock(state_dir: Path, stage: str) -> Iterator[None]:
    """One rollout per stage at a time (a lock file under the state folder)."""
    path = state_dir / "stages" / stage / "rollout.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise DeployctlError(f"stage {stage}: another rollout is in progress ({path})") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _bare_id(image_id: str) -> str:
    return image_id.removeprefix("sha256:")


def _resolve_image(client: EngineApi, spec: ReplicaSpec) -> tuple[ReplicaSpec, ImageInfo]:
    """The spec with its image id filled in, and the image: the tag when it still names that id, else the id."""
    image = client.find_image(spec.image)
    if image is not None and (not spec.image_id or _bare_id(image.id) == _bare_id(spec.image_id)):
        return replace(spec, image_id=image.id), image
    by_id = client.find_image(spec.image_id) if spec.image_id else None
    if by_id is None:
        raise DeployctlError(f"image {spec.image} ({spec.image_id or 'no id'}) is not on this Docker host: build it")
    return replace(spec, image_id=by_id.id, image=by_id.id), by_id


def _healthcheck_for(image: ImageInfo, spec: ReplicaSpec) -> dict[str, Any] | None:
    """None when the image has its own HEALTHCHECK (used as is); else one probing the service's health path."""
    if image_healthcheck(image.attrs) is not None:
        return None
    return fallback_healthcheck(spec.port, spec.health_path, STEADY_INTERVAL_S)


def _stage_app_containers(client: EngineApi, stage: str) -> list[Container]:
    """The stage's app containers of the container engine (Swarm's task containers are the service's)."""
    found = client.list_containers([f"{STAGE_LABEL}={stage}", "deployctl.role=app"])
    return [
        c
        for c in found
        if is_stage_resource(c.labels, stage, "app")
        and is_rollout_resource(c.labels, stage)
        and SWARM_TASK_LABEL not in c.labels
    ]


def _start_replica(run: _StageRun, spec: ReplicaSpec, health: dict[str, Any] | None) -> Container:
    name = app_container_name(run.stage)
    extra = {CONTEXT_LABEL: spec.context_hash, ENGINE_LABEL: "container"}
    labels = stage_labels(run.stage, "app", spec.release, extra)
    mounts = [BindMount(source=m.source, target=m.dest) for m in spec.mounts]
    try:
        container = run.client.run_container(
            spec.image, name=name, labels=labels, network=network_name(run.stage), mounts=mounts, healthcheck=health
        )
    except EngineRefusedError as exc:
        raise DeployctlError(f"could not start a replica of {spec.image}: {exc}") from exc
    run.containers[name] = container
    run.say(f"{run.stage}: started {name} ({spec.image})")
    return container


def replica_failure(container: Container) -> str | None:
    """Why a replica failed (unhealthy, exited, restarted), from Docker's view; None while it may still be fine."""
    state = container.attrs.get("State") or {}
    health = state.get("Health") or {}
    if health.get("Status") == "unhealthy":
        log = health.get("Log") or []
        last = log[-1] if log else {}
        return unhealthy_message(str(container.name), last.get("ExitCode"), str(last.get("Output", "")), len(log))
    return exited_reason(container)


def _publish(run: _StageRun) -> NginxWorkers:
    """Point the proxy at the replicas in `run.serving` (creating the proxy on a first deploy)."""
    run.generation += 1
    conf = render_stage_conf(run.stage, list(run.serving.values()), run.generation)
    if run.proxy is None:
        run.proxy = start_proxy(run.client, run.stage, run.port, conf)
        run.conf = conf
        run.say(f"{run.stage}: proxy {run.proxy.name} serves 127.0.0.1:{run.port}")
        return NginxWorkers(frozenset(), frozenset())
    before = reload_proxy(run.proxy, conf, previous=run.conf, timeout=run.settings.reload_timeout)
    run.conf = conf
    return before


def _connections(container: Container, port: int) -> int | None:
    """Established connections to the replica's port from outside it; None when it cannot be read."""
    try:
        output = DockerExecTransport.of(container).run(["cat", "/proc/net/tcp", "/proc/net/tcp6"]).stdout
    except EngineRefusedError:
        return None
    if "local_address" not in output:
        return None
    return established_peers(output, port)


def _drain(run: _StageRun, before: NginxWorkers, retiring: Sequence[tuple[Container, Upstream]]) -> None:
    """Wait until no request can still reach the retiring replicas: the proxy's old workers are gone and the
    replicas have no established connection left. Stops waiting (and says so) at the drain deadline."""
    deadline = time.monotonic() + run.settings.drain_timeout
    assert run.proxy is not None
    if not wait_workers_gone(run.proxy, before.all, deadline):
        run.say(f"{run.stage}: the proxy's old workers still run after {run.settings.drain_timeout:.0f}s")
    for container, upstream in retiring:
        while True:
            open_connections = _connections(container, upstream.port)
            if not open_connections:
                break
            if time.monotonic() > deadline:
                run.say(f"{run.stage}: {container.name} still has {open_connections} connections at the deadline")
                break
            time.sleep(0.1)


def _remove(container: Container, stop_timeout: int) -> None:
    try:
        container.stop(timeout=stop_timeout)
        container.remove(force=True)
    except EngineNotFoundError:
        pass


def _roll(
    run: _StageRun,
    spec: ReplicaSpec,
    health: dict[str, Any] | None,
    retire: Sequence[str],
    replicas: int,
    parallelism: int,
    delay: float,
) -> _RollOutcome:
    """Replace the `retire` replicas by `replicas` of `spec`, batch by batch; stop at the first failed batch."""
    swaps: list[ReplicaSwap] = []
    started: list[str] = []
    batches = plan_batches(retire, replicas, parallelism)
    for index, batch in enumerate(batches):
        began = time.monotonic()
        starts = run_each(range(batch.start), lambda _: _start_replica(run, spec, health), forks=batch.start)
        new = [o.value for o in starts if o.value is not None]
        try:
            errors = [o.error for o in starts if o.error is not None]
            if errors:
                raise errors[0]
            failure = wait_ready(new, run.settings.health_timeout, run.settings.monitor)
        except BaseException:
            for container in new:
                _remove(container, 0)
            raise
        if failure is not None:
            run.say(f"{run.stage}: {failure}; removing the new replicas, the others keep serving")
            for container in new:
                _remove(container, 0)
            return _RollOutcome(tuple(swaps), failure, tuple(started))
        for container in new:
            run.serving[str(container.name)] = Upstream(str(container.name), spec.port)
            started.append(str(container.name))
        _publish(run)
        run.say(f"{run.stage}: {', '.join(str(c.name) for c in new)} in the upstream")
        if batch.retire:
            retiring = [(run.containers[name], run.serving.pop(name)) for name in batch.retire]
            before = _publish(run)
            _drain(run, before, retiring)
            stopped = run_each(retiring, lambda pair: _remove(pair[0], run.settings.stop_timeout), forks=len(retiring))
            for outcome in stopped:
                run.containers.pop(str(outcome.item[0].name), None)
                if outcome.error is not None:
                    run.say(f"{run.stage}: could not remove {outcome.item[0].name}: {outcome.error}")
            run.say(f"{run.stage}: drained and removed {', '.join(batch.retire)}")
        seconds = round(time.monotonic() - began, 3)
        olds: list[str | None] = [*batch.retire[: len(new)]]
        olds += [None] * (len(new) - len(olds))
        swaps += [ReplicaSwap(str(c.name), old, seconds) for c, old in zip(new, olds, strict=True)]
        if delay > 0 and index < len(batches) - 1:
            time.sleep(delay)
    return _RollOutcome(tuple(swaps), None, tuple(started))


def _spec_of_container(container: Container, port: int) -> ReplicaSpec:
    """The replica spec a running replica was started from (image, labels, read-only config mounts)."""
    config = container.attrs.get("Config") or {}
    mounts = tuple(
        ConfigMount(source=m["Source"], dest=m["Destination"], mode=_file_mode(m["Source"]))
        for m in container.attrs.get("Mounts") or []
        if m.get("Type") == "bind" and not m.get("RW", True)
    )
    labels = container.labels
    return ReplicaSpec(
        app="",
        image=str(config.get("Image") or container.attrs["Image"]),
        image_id=str(container.attrs["Image"]),
        context_hash=labels.get(CONTEXT_LABEL, ""),
        port=port,
        health_path="/health",
        mounts=mounts,
    )


def _previous_spec(run: _StageRun, records: Sequence[ReleaseRecord]) -> ReplicaSpec | None:
    """The spec of the release the stage serves now: from the history when it agrees with Docker, else inspected."""
    if not run.serving:
        return None
    name, upstream = next(iter(run.serving.items()))
    container = run.containers[name]
    for record in reversed(records):
        if _matches(container, record.spec):
            return record.spec
    return _spec_of_container(container, upstream.port)


def _file_mode(path: str) -> str:
    try:
        return f"{Path(path).stat().st_mode & 0o777:04o}"
    except OSError:
        return "0644"


def _matches(container: Container, spec: ReplicaSpec) -> bool:
    """True when a replica runs this spec's image with the same config files."""
    mounts = {
        (m["Source"], m["Destination"])
        for m in container.attrs.get("Mounts") or []
        if m.get("Type") == "bind" and not m.get("RW", True)
    }
    return _bare_id(str(container.attrs["Image"])) == _bare_id(spec.image_id) and mounts == {
        (m.source, m.dest) for m in spec.mounts
    }


def _reregister_lost_names(
    client: EngineApi,
    stage: str,
    proxy: Container,
    serving: dict[str, Upstream],
    running: dict[str, Container],
    say: Say,
) -> None:
    """Give back a name to replicas the proxy cannot resolve, by reconnecting them to the stage network.

    Docker's embedded DNS drops the names of running containers in some engine events (leaving a swarm is
    one); nginx then refuses every reload. Reconnecting a container registers its name again.
    """
    lost = unresolved_names(proxy, sorted(serving))
    if not lost:
        return
    network = client.get_network(network_name(stage))
    for name in sorted(lost):
        say(f"{stage}: the proxy cannot resolve {name}: reconnecting it to {network.name} to register its name")
        network.disconnect(running[name])
        network.connect(running[name])
    refresh_proxy(proxy)  # its workers resolve the reconnected replicas' new addresses


def _open_stage(client: EngineApi, stage: str, port: int | None, settings: RolloutSettings, say: Say) -> _StageRun:
    """Read the stage as it is: its proxy, the replicas its upstream names; remove replicas it does not name."""
    ensure_stage_network(client, stage)
    proxy = find_proxy(client, stage)
    running = {str(c.name): c for c in _stage_app_containers(client, stage)}
    if proxy is not None and proxy.status != "running":
        # The stage serves nothing without its proxy (e.g. after the engine restarted and the proxy could not
        # resolve replicas that had not come back yet): start the stage afresh rather than revive stale parts.
        say(f"{stage}: its proxy is {proxy.status}, not serving: removing the stage's containers and starting afresh")
        for container in running.values():
            _remove(container, 0)
        proxy.remove(force=True)
        proxy, running = None, {}
    upstreams: list[Upstream] = []
    generation = 0
    conf: str | None = None
    if proxy is not None:
        current_port = published_port(proxy)
        if port is not None and current_port not in (None, port):
            raise DeployctlError(
                f"stage {stage}: its proxy publishes 127.0.0.1:{current_port}, not {port}; "
                f"remove the stage's proxy to move it"
            )
        port = port or current_port
        conf = read_stage_conf(proxy)
        upstreams = parse_upstreams(conf)
        generation = parse_generation(conf)
    if port is None:
        raise DeployctlError(f"stage {stage}: no proxy port given and no proxy to take it from")
    serving = {u.host: u for u in upstreams if u.host in running and running[u.host].status == "running"}
    for name, container in running.items():
        if name not in serving:
            say(f"{stage}: removing {name}, a replica no upstream names (left by an interrupted rollout)")
            _remove(container, 0)
    if proxy is not None and proxy.status == "running":
        _reregister_lost_names(client, stage, proxy, serving, running, say)
    run = _StageRun(client, stage, settings, say, proxy, port, generation, conf)
    run.serving = serving
    run.containers = {name: running[name] for name in serving}
    if proxy is not None and (proxy.status != "running" or len(serving) != len(upstreams)):
        run.generation += 1
        run.conf = render_stage_conf(stage, list(serving.values()), run.generation)
        ensure_proxy_running(proxy, run.conf)
    if proxy is not None and not serving:
        say(f"{stage}: the proxy has no replica in service")
    return run


def roll_to_spec(
    client: EngineApi,
    stage: str,
    spec: ReplicaSpec,
    *,
    replicas: int | None,
    parallelism: int | None,
    delay: float,
    proxy_port: int | None,
    state_dir: Path,
    images_dir: Path,
    say: Say,
    settings: RolloutSettings,
    load: HttpLoad | None,
    action: Action,
) -> RolloutResult:
    """Roll the stage to `spec` (a deploy or a rollback); roll back by itself when a new replica fails."""
    check_stage(stage)
    began = time.monotonic()
    spec, image = _resolve_image(client, spec)
    health = _healthcheck_for(image, spec)
    ensure_proxy_image(client, images_dir, say)
    with rollout_lock(state_dir, stage):
        run = _open_stage(client, stage, proxy_port, settings, say)
        old_names = list(run.serving)
        count = replicas if replicas is not None else max(len(old_names), 1)
        step = parallelism if parallelism is not None else count
        previous_spec = _previous_spec(run, load_history(state_dir, stage))
        previous_image = previous_spec.image if previous_spec else None
        if len(old_names) == count and all(_matches(run.containers[n], spec) for n in old_names) and run.proxy:
            say(f"{stage}: {count} replicas already run {spec.image}")
            result = RolloutResult(stage, spec.image, previous_image, "unchanged", 0, _since(began), action=action)
            record_history(state_dir, stage, spec, result, count)
            return result
        load_running = load is not None and run.proxy is not None
        if load is not None and load_running:
            load.start()
        try:
            rolled = _roll(run, spec, health, old_names, count, step, delay)
            rolled_back = False
            reason = ""
            if rolled.failure is not None:
                reason = rolled.failure
                outcome: Outcome = "failed"
                back = [name for name in rolled.started if name in run.serving]
                if back and previous_spec is not None:
                    say(f"{stage}: rolling {len(back)} replicas back to {previous_spec.image}")
                    previous_spec, previous_image_obj = _resolve_image(client, previous_spec)
                    undo = _roll(
                        run,
                        previous_spec,
                        _healthcheck_for(previous_image_obj, previous_spec),
                        back,
                        len(back),
                        step,
                        0,
                    )
                    if undo.failure is not None:
                        reason += f"; rolling back failed too: {undo.failure}"
                if previous_spec is not None:
                    outcome, rolled_back = "rolled_back", True
            else:
                outcome = "deployed"
        finally:
            report = load.stop() if load is not None and load_running else None
        result = RolloutResult(
            stage=stage,
            image=spec.image,
            previous_image=previous_image,
            outcome=outcome,
            replaced=sum(1 for s in rolled.swaps if s.old is not None),
            seconds=_since(began),
            swaps=rolled.swaps,
            rolled_back=rolled_back,
            reason=reason,
            action=action,
            load=report,
        )
        record_history(state_dir, stage, spec, result, count)
        return result


def _since(began: float) -> float:
    return round(time.monotonic() - began, 3)


def record_history(state_dir: Path, stage: str, spec: ReplicaSpec, result: RolloutResult, replicas: int) -> None:
    """Append a rollout's result (either engine) to the stage's release history."""
    record = ReleaseRecord(
        spec=spec,
        time=now_iso(),
        outcome=result.outcome,
        action=result.action,
        engine=result.engine,
        replicas=replicas,
        reason=result.reason,
    )
    append_record(state_dir, stage, record)


def running_image_id(client: EngineApi, stage: str) -> str | None:
    """The image id the stage's replicas in the upstream run (the first one's), or None."""
    proxy = find_proxy(client, stage)
    if proxy is None:
        return None
    names = {u.host for u in parse_upstreams(read_stage_conf(proxy))}
    for container in _stage_app_containers(client, stage):
        if container.name in names:
            return str(container.attrs["Image"])
    return None


def stage_status(client: EngineApi, stage: str, *, probe: bool = True) -> StageStatus:
    """The stage's proxy (port, upstream) and replicas (image, release, health, in the upstream or not).

    A replica's health is Docker's verdict; while Docker has none yet, a probe decides (unless not `probe`).
    """
    check_stage(stage)
    proxy = find_proxy(client, stage)
    upstreams = parse_upstreams(read_stage_conf(proxy)) if proxy is not None else []
    names = {u.host for u in upstreams}
    replicas = [
        replica_status(container, in_upstream=container.name in names, probe=probe)
        for container in _stage_app_containers(client, stage)
    ]
    return status_of_stage(stage, proxy, upstreams, replicas)


def replica_status(container: Container, *, in_upstream: bool, probe: bool) -> ReplicaStatus:
    """One replica as status shows it; its health is Docker's verdict, or a probe's while Docker has none."""
    state = container.attrs.get("State") or {}
    return ReplicaStatus(
        name=str(container.name),
        image=str((container.attrs.get("Config") or {}).get("Image", "")),
        release=container.labels.get(RELEASE_LABEL, ""),
        status=str(state.get("Status", "")),
        health=replica_health(container, probe_starting=probe),
        in_upstream=in_upstream,
    )


def status_of_stage(
    stage: str, proxy: Container | None, upstreams: Sequence[Upstream], replicas: Sequence[ReplicaStatus]
) -> StageStatus:
    """A stage's status from its proxy, the proxy's upstreams and its replicas (sorted by name)."""
    return StageStatus(
        stage=stage,
        proxy=str(proxy.name) if proxy is not None else None,
        proxy_running=proxy is not None and proxy.status == "running",
        port=published_port(proxy) if proxy is not None else None,
        upstreams=tuple(upstreams),
        replicas=tuple(sorted(replicas, key=lambda r: r.name)),
    )


def remove_stage(client: EngineApi, stage: str, say: Say) -> list[str]:
    """Remove the stage's containers (replicas and proxy) and network: only what carries the stage's labels."""
    check_stage(stage)
    removed = []
    for container in client.list_containers([f"{STAGE_LABEL}={stage}"]):
        if is_rollout_resource(container.labels, stage) and SWARM_TASK_LABEL not in container.labels:
            container.remove(force=True)
            removed.append(str(container.name))
    for network in client.list_networks(label=f"{STAGE_LABEL}={stage}"):
        if is_rollout_resource(network.attrs.get("Labels"), stage):
            network.remove()
            removed.append(str(network.name))
    if removed:
        say(f"{stage}: removed {', '.join(removed)}")
    return removed


def replace_replicas(
    client: EngineApi,
    stage: str,
    release: ImageRelease,
    config_files: Sequence[RuntimeFile],
    names: Sequence[str],
    *,
    state_dir: Path,
    say: Say,
    settings: RolloutSettings | None = None,
) -> RolloutResult:
    """Replace the named replicas of a stage by fresh ones of `release`, one at a time, behind its proxy.

    Drift's `--fix`: a replica changed in place (or running another image or config) is swapped for a new
    container of the release, with the same health checks, upstream updates and draining as a rollout.
    """
    check_stage(stage)
    began = time.monotonic()
    settings = settings or RolloutSettings()
    mounts = write_config_files(state_dir, stage, release, config_files)
    spec, image = _resolve_image(client, spec_for_release(release, mounts))
    health = _healthcheck_for(image, spec)
    with rollout_lock(state_dir, stage):
        run = _open_stage(client, stage, None, settings, say)
        retire = [name for name in names if name in run.serving]
        rolled = _roll(run, spec, health, retire, len(retire), 1, 0) if retire else _RollOutcome((), None, ())
    outcome: Outcome = "deployed" if rolled.failure is None else "failed"
    return RolloutResult(
        stage, spec.image, spec.image, outcome, len(rolled.swaps), _since(began), rolled.swaps,
        reason=rolled.failure or "",
    )  # fmt: skip


@dataclass(frozen=True)
class FreshReplica:
    """A replica started outside the stage's upstream: its container, seconds from start to healthy, the failure."""

    container: Container
    seconds: float
    failure: str | None


def start_fresh_replica(
    client: EngineApi,
    stage: str,
    release: ImageRelease,
    config_files: Sequence[RuntimeFile],
    *,
    name: str,
    labels: Mapping[str, str],
    state_dir: Path,
    settings: RolloutSettings | None = None,
) -> FreshReplica:
    """Start one replica of `release` on the stage's network, never put into its upstream (the caller's name and
    labels, no rollout role), and probe it as a rollout does until it is healthy. The caller removes it."""
    check_stage(stage)
    settings = settings or RolloutSettings()
    mounts = write_config_files(state_dir, stage, release, config_files)
    spec, image = _resolve_image(client, spec_for_release(release, mounts))
    health = _healthcheck_for(image, spec)
    binds = [BindMount(source=m.source, target=m.dest) for m in spec.mounts]
    began = time.monotonic()
    container = client.run_container(
        spec.image, name=name, labels=labels, network=network_name(stage), mounts=binds, healthcheck=health
    )
    failure = wait_ready([container], settings.health_timeout, 0.0)
    return FreshReplica(container, _since(began), failure)
