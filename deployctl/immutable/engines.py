"""One rollout interface for a stage's container target, with two engines chosen once from `deployctl_engine`.

`ContainerEngine` rolls replicas (plain containers) behind the stage's nginx proxy (deployctl.immutable.rollout);
`SwarmEngine` updates the stage's Swarm service (deployctl.immutable.swarm). Deploy, rollback, drift's `--fix`
and verify's replica list all go through `engine_for(container_target(...), client, say)`: the inventory
host's engine is read in `container_target` only, and any other value than `container` or `swarm` is refused
with its file, line and field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, get_args

from deployctl.errors import DeployctlError, InputError
from deployctl.immutable.history import Action, current_release, load_history, rollback_target
from deployctl.immutable.load import HttpLoad
from deployctl.immutable.proxy import find_proxy, published_port
from deployctl.immutable.recipe import ImageRelease, RuntimeFile
from deployctl.immutable.replica import ReplicaSpec, spec_for_release, write_config_files
from deployctl.immutable.resources import Engine, check_stage
from deployctl.immutable.rollout import (
    RolloutResult,
    RolloutSettings,
    StageStatus,
    remove_stage,
    replace_replicas,
    roll_to_spec,
    running_image_id,
    stage_status,
)
from deployctl.immutable.swarm import find_service, remove_swarm_stage, service_state, swarm_status, update_service
from deployctl.model.inventory import InventoryHost

if TYPE_CHECKING:
    from deployctl.dockerapi.types import EngineApi

Say = Callable[[str], None]
ENGINE_VAR = "deployctl_engine"
DEFAULT_REPLICAS = 3
SWARM_DEPLOY_MONITOR = 5.0
"""Seconds Swarm watches a new task of a deploy before it counts as updated (a failure then rolls back)."""
SWARM_ROLLBACK_MONITOR = 1.0
SWARM_DEPLOY_TIMEOUT = 600.0
SWARM_ROLLBACK_TIMEOUT = 300.0


@dataclass(frozen=True)
class ContainerTarget:
    """A stage's container target as its inventory host gives it: the engine, the proxy's port, the replicas."""

    stage: str
    host: str
    engine: Engine
    proxy_port: int
    replicas: int
    state_dir: Path
    images_dir: Path


@dataclass(frozen=True)
class RollOptions:
    """How a deploy or rollback rolls: replicas at once (None: one for a deploy, all for a rollback), seconds
    between batches, seconds a new replica is watched (None: the engine's default), HTTP load, deadlines."""

    parallelism: int | None = None
    delay: float = 0.0
    monitor: float | None = None
    load: HttpLoad | None = None
    settings: RolloutSettings = field(default_factory=RolloutSettings)


def int_var(host: InventoryHost, name: str, default: int | None) -> int:
    """A positive whole number from the host's variables, else an error naming the file and line it came from."""
    value = host.vars.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        source, line = _origin(host, name)
        raise InputError(source, line, name, f"must be a positive whole number for {host.name}, got {value!r}")
    return value


def _origin(host: InventoryHost, name: str) -> tuple[str, int | None]:
    origin = host.var_origins.get(name) or host.origin
    return origin.source, origin.line


def _engine_of(host: InventoryHost) -> Engine:
    value = host.vars.get(ENGINE_VAR, "container")
    for engine in get_args(Engine):
        if value == engine:
            return engine  # type: ignore[no-any-return]  # get_args loses the Literal's members' type
    source, line = _origin(host, ENGINE_VAR)
    choices = " or ".join(get_args(Engine))
    raise InputError(source, line, ENGINE_VAR, f"must be {choices} for {host.name}, got {value!r}")


def container_target(host: InventoryHost, stage: str, state_dir: Path, images_dir: Path) -> ContainerTarget:
    """The container target of an inventory host (the one place its `deployctl_engine` is read), validated."""
    return ContainerTarget(
        stage=check_stage(stage),
        host=host.name,
        engine=_engine_of(host),
        proxy_port=int_var(host, "deployctl_proxy_port", None),
        replicas=int_var(host, "deployctl_replicas", DEFAULT_REPLICAS),
        state_dir=state_dir,
        images_dir=images_dir,
    )


class RolloutEngine(Protocol):
    """What deploy, rollback, drift `--fix` and verify need from an engine; both engines implement it."""

    @property
    def name(self) -> Engine:
        """`container` or `swarm`: the engine's name in results and the release history."""
        ...

    def deploy(
        self, target: ContainerTarget, release: ImageRelease, files: Sequence[RuntimeFile], opts: RollOptions
    ) -> RolloutResult:
        """Roll the target to `release` with its stage files; rolled back by itself when a new replica fails."""
        ...

    def rollback(self, target: ContainerTarget, to: str | None, opts: RollOptions) -> RolloutResult:
        """Return the target to its previous release (or `to`: tag, image id or context hash)."""
        ...

    def replace(
        self, target: ContainerTarget, release: ImageRelease, files: Sequence[RuntimeFile], replicas: Sequence[str]
    ) -> RolloutResult:
        """Replace drifted replicas by fresh ones of `release` (drift's `--fix`)."""
        ...

    def status(self, target: ContainerTarget, *, probe: bool = True) -> StageStatus:
        """The target's proxy and serving replicas."""
        ...

    def remove(self, target: ContainerTarget) -> list[str]:
        """Remove what the engine created for the target's stage (only what carries its labels)."""
        ...


@dataclass(frozen=True)
class ContainerEngine:
    """Plain containers behind the stage's nginx proxy, replaced batch by batch (deployctl.immutable.rollout)."""

    client: EngineApi
    say: Say
    name: Engine = field(default="container", init=False)

    def deploy(
        self, target: ContainerTarget, release: ImageRelease, files: Sequence[RuntimeFile], opts: RollOptions
    ) -> RolloutResult:
        """Write the stage's files, then roll the replicas to the release, `parallelism` at a time."""

        mounts = write_config_files(target.state_dir, target.stage, release, files)
        spec = spec_for_release(release, mounts)
        return self._roll(target, spec, opts, "deploy", target.replicas, opts.parallelism or 1, target.proxy_port)

    def rollback(self, target: ContainerTarget, to: str | None, opts: RollOptions) -> RolloutResult:
        """A rollout to the history's previous release: its image is local and its files kept, so it takes seconds.

        As many replicas as serve now, every one at once by default, on the port the proxy publishes now.
        """

        records = load_history(target.state_dir, target.stage)
        current = running_image_id(self.client, target.stage)
        if current is None:
            last = current_release(records)
            current = last.spec.image_id if last else None
        back = rollback_target(records, current, to)
        missing = [m.source for m in back.spec.mounts if not Path(m.source).is_file()]
        if missing:
            raise DeployctlError(f"rollback to {back.spec.image}: its config files are gone ({', '.join(missing)})")
        self.say(f"{target.stage}: rolling back to {back.spec.image} (deployed {back.time})")
        return self._roll(target, back.spec, opts, "rollback", None, opts.parallelism, None)

    def replace(
        self, target: ContainerTarget, release: ImageRelease, files: Sequence[RuntimeFile], replicas: Sequence[str]
    ) -> RolloutResult:
        """Swap the named replicas for fresh containers of the release, one at a time, behind the proxy."""

        return replace_replicas(
            self.client, target.stage, release, files, replicas, state_dir=target.state_dir, say=self.say
        )

    def status(self, target: ContainerTarget, *, probe: bool = True) -> StageStatus:
        """The proxy, its upstream and the stage's plain replicas."""

        return stage_status(self.client, target.stage, probe=probe)

    def remove(self, target: ContainerTarget) -> list[str]:
        """Remove the stage's replicas, proxy and network."""

        return remove_stage(self.client, target.stage, self.say)

    def _roll(
        self,
        target: ContainerTarget,
        spec: ReplicaSpec,
        opts: RollOptions,
        action: Action,
        replicas: int | None,
        parallelism: int | None,
        proxy_port: int | None,
    ) -> RolloutResult:
        """Roll the stage to `spec`; None keeps the replica count, batch size or proxy port the stage has now."""
        settings = opts.settings if opts.monitor is None else replace(opts.settings, monitor=opts.monitor)
        return roll_to_spec(
            self.client,
            target.stage,
            spec,
            replicas=replicas,
            parallelism=parallelism,
            delay=opts.delay,
            proxy_port=proxy_port,
            state_dir=target.state_dir,
            images_dir=target.images_dir,
            say=self.say,
            settings=settings,
            load=opts.load,
            action=action,
        )


@dataclass(frozen=True)
class SwarmEngine:
    """The stage's Swarm service, updated by Swarm itself behind the stage's proxy (deployctl.immutable.swarm)."""

    client: EngineApi
    say: Say
    name: Engine = field(default="swarm", init=False)

    def deploy(
        self, target: ContainerTarget, release: ImageRelease, files: Sequence[RuntimeFile], opts: RollOptions
    ) -> RolloutResult:
        """Create or update the service to the release; Swarm rolls it back when a new task fails."""

        mounts = write_config_files(target.state_dir, target.stage, release, files)
        return self._roll(target, spec_for_release(release, mounts), opts, "deploy", target.replicas)

    def rollback(self, target: ContainerTarget, to: str | None, opts: RollOptions) -> RolloutResult:
        """Update the service to the previous release of its Swarm history (or `to`), every task at once, on the
        port the proxy publishes now."""

        service = find_service(self.client, target.stage)
        if service is None:
            raise DeployctlError(f"stage {target.stage}: no Swarm service to roll back")
        image, _, replicas = service_state(service)
        records = [r for r in load_history(target.state_dir, target.stage) if r.engine == "swarm"]
        back = rollback_target(records, self._image_id(image), to)
        proxy = find_proxy(self.client, target.stage)
        port = published_port(proxy) if proxy is not None else None
        self.say(f"{target.stage}: rolling back to {back.spec.image} (deployed {back.time})")
        opts = replace(opts, parallelism=opts.parallelism or replicas)
        return self._roll(replace(target, proxy_port=port or target.proxy_port), back.spec, opts, "rollback", replicas)

    def replace(
        self, target: ContainerTarget, release: ImageRelease, files: Sequence[RuntimeFile], replicas: Sequence[str]
    ) -> RolloutResult:
        """A forced service update on the release's image and files: Swarm replaces every task (`replicas` are
        the drifted task containers; a service's tasks cannot be replaced one by one)."""

        mounts = write_config_files(target.state_dir, target.stage, release, files)
        self.say(f"{target.stage}: replacing the tasks of {', '.join(replicas) or 'the service'}")
        return self._roll(target, spec_for_release(release, mounts), RollOptions(), "deploy", target.replicas, True)

    def status(self, target: ContainerTarget, *, probe: bool = True) -> StageStatus:
        """The proxy and the service's task containers (a running task is served)."""

        return swarm_status(self.client, target.stage, probe=probe)

    def remove(self, target: ContainerTarget) -> list[str]:
        """Remove the stage's service, configs, proxy and network."""

        return remove_swarm_stage(self.client, target.stage, self.say)

    def _image_id(self, image: str) -> str | None:

        found = self.client.find_image(image)
        return found.id if found is not None else None

    def _roll(
        self,
        target: ContainerTarget,
        spec: ReplicaSpec,
        opts: RollOptions,
        action: Action,
        replicas: int,
        force: bool = False,
    ) -> RolloutResult:

        rollback = action == "rollback"
        default_monitor = SWARM_ROLLBACK_MONITOR if rollback else SWARM_DEPLOY_MONITOR
        return update_service(
            self.client,
            target.stage,
            spec,
            replicas=replicas,
            parallelism=opts.parallelism or 1,
            delay=opts.delay,
            monitor=default_monitor if opts.monitor is None else opts.monitor,
            proxy_port=target.proxy_port,
            state_dir=target.state_dir,
            images_dir=target.images_dir,
            say=self.say,
            timeout=SWARM_ROLLBACK_TIMEOUT if rollback else SWARM_DEPLOY_TIMEOUT,
            load=opts.load,
            action=action,
            force=force,
        )


def engine_for(target: ContainerTarget, client: EngineApi, say: Say) -> RolloutEngine:
    """The engine of a container target: the one place that turns `deployctl_engine` into code."""
    if target.engine == "swarm":
        return SwarmEngine(client, say)
    return ContainerEngine(client, say)
