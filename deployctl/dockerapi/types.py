"""What the rest of deployctl sees of a Docker engine: SDK-free protocols, plain data and one error family.

Orchestration (immutable/, drift/, lab/, release/) is written against these protocols, so it runs over the
docker-py implementation (deployctl.dockerapi.engine) or over a fake in unit tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from deployctl.errors import DeployctlError

Attrs = dict[str, Any]
"""What the Engine API's inspect returns (Docker's own JSON shape)."""


class EngineError(DeployctlError):
    """The Docker engine failed, refused a call, or could not be reached (any SDK or HTTP error)."""


class EngineRefusedError(EngineError):
    """The engine answered a call with an error (the Engine API's 4xx/5xx)."""


class EngineNotFoundError(EngineRefusedError):
    """The container, image, network, service or config asked for does not exist."""


@dataclass(frozen=True)
class ExecResult:
    """What a command run in a container returned: its exit code and its two streams."""

    exit_code: int
    stdout: bytes
    stderr: bytes

    @property
    def output(self) -> str:
        """Both streams as text, stdout first (as a health check's output is shown)."""
        return (self.stdout + self.stderr).decode("utf-8", "replace")


@dataclass(frozen=True)
class BindMount:
    """A host path mounted into a container."""

    source: str
    target: str
    read_only: bool = True


@dataclass(frozen=True)
class NodeOptions:
    """How a systemd "VM" container runs: capabilities added, security options, tmpfs and read-only host binds."""

    capabilities: tuple[str, ...]
    security_options: tuple[str, ...]
    tmpfs: tuple[str, ...]
    read_only_binds: tuple[str, ...]


@dataclass(frozen=True)
class ContainerFootprint:
    """What a container costs the host: its writable layer, its image plus that layer, its memory now (bytes)."""

    size_rw: int
    size_root_fs: int
    memory: int


@dataclass(frozen=True)
class ImageInfo:
    """An image as the engine inspects it."""

    id: str
    labels: Mapping[str, str]
    attrs: Attrs


@dataclass(frozen=True)
class ConfigInfo:
    """A Swarm config: its id, name and labels."""

    id: str
    name: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class ConfigReference:
    """A Swarm config mounted as a file of a service's containers."""

    config_id: str
    config_name: str
    filename: str
    mode: int


@dataclass(frozen=True)
class ServiceDefinition:
    """The arguments of a Swarm service create/update, built without a host: replicated tasks of one image on
    one network, updated and rolled back start-first, in DNS round-robin mode. Durations are in nanoseconds."""

    name: str
    labels: Mapping[str, str]
    image: str
    configs: tuple[ConfigReference, ...]
    healthcheck: Mapping[str, Any] | None
    stop_grace: int
    network_id: str
    restart_delay: int
    force_update: int
    replicas: int
    update_parallelism: int
    update_delay: int
    monitor: int
    rollback_parallelism: int
    init: bool = True


class Container(Protocol):
    """A container: its inspect data (refreshed by `reload`) and what deployctl does to it."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def labels(self) -> Mapping[str, str]: ...

    @property
    def status(self) -> str: ...

    @property
    def attrs(self) -> Attrs: ...

    def reload(self) -> None:
        """Inspect the container again."""
        ...

    def start(self) -> None: ...

    def stop(self, timeout: int) -> None: ...

    def remove(self, *, force: bool = False) -> None: ...

    def exec(self, command: Sequence[str], *, user: str | None = None) -> ExecResult:
        """Run a command in the (running) container, as its user unless `user` is given."""
        ...

    def logs(self, tail: int) -> str:
        """The last `tail` lines of the container's output."""
        ...

    def put_file(self, folder: str, name: str, content: bytes, mode: int = 0o644) -> None:
        """Write a file into the container's filesystem (also when it is stopped)."""
        ...

    def read_file(self, path: str) -> bytes:
        """Read a file of the container's filesystem (also when it is stopped)."""
        ...

    def changes(self) -> list[tuple[str, int]]:
        """`docker diff`: (path, 0 changed / 1 added / 2 deleted)."""
        ...


class Network(Protocol):
    """A network: its inspect data, and containers joining or leaving it."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def attrs(self) -> Attrs: ...

    def connect(self, container: Container) -> None: ...

    def disconnect(self, container: Container) -> None: ...

    def remove(self) -> None: ...


class EngineApi(Protocol):
    """The calls deployctl makes to a Docker engine: containers, images, networks and Swarm."""

    def info(self) -> Attrs:
        """The engine's `docker info`."""
        ...

    def list_containers(self, labels: Sequence[str]) -> list[Container]:
        """Every container (running or not) carrying all these labels (`key` or `key=value`)."""
        ...

    def get_container(self, name: str) -> Container:
        """The container of that name or id; EngineNotFoundError without one."""
        ...

    def run_container(
        self,
        image: str,
        *,
        name: str,
        labels: Mapping[str, str],
        network: str,
        mounts: Sequence[BindMount],
        healthcheck: Mapping[str, Any] | None,
    ) -> Container:
        """Start a container that restarts always, with an init process."""
        ...

    def create_container(
        self, image: str, *, name: str, labels: Mapping[str, str], network: str, ports: Mapping[str, tuple[str, int]]
    ) -> Container:
        """Create (not start) a container that restarts always, publishing `ports` (container port -> address)."""
        ...

    def run_node(
        self,
        image: str,
        *,
        name: str,
        hostname: str,
        labels: Mapping[str, str],
        options: NodeOptions,
        ports: Mapping[str, tuple[str, int]],
    ) -> Container:
        """Start a systemd "VM" container (no restart policy, no init: the image's systemd is PID 1)."""
        ...

    def run_once(self, image: str, command: Sequence[str], *, labels: Mapping[str, str]) -> bytes:
        """Run a command in a throwaway container without network and return its stdout."""
        ...

    def footprint(self, name: str) -> ContainerFootprint:
        """A container's disk (`docker inspect --size`) and memory (`docker stats`, the cgroup's usage)."""
        ...

    def get_image(self, name: str) -> ImageInfo:
        """The image of that tag or id; EngineNotFoundError without one."""
        ...

    def find_image(self, name: str) -> ImageInfo | None:
        """The image of that tag or id, or None."""
        ...

    def pull_image(self, repository: str, tag: str) -> None: ...

    def import_image(self, tarball: Path, repository: str, tag: str) -> None:
        """Import a root filesystem tarball as an image."""
        ...

    def build_image(
        self, context: Path, tag: str, labels: Mapping[str, str], buildargs: Mapping[str, str]
    ) -> Iterator[Attrs]:
        """Build `context` as `tag` (never pulls); the builder's decoded progress messages."""
        ...

    def list_networks(self, *, names: Sequence[str] = (), label: str | None = None) -> list[Network]: ...

    def get_network(self, name: str) -> Network: ...

    def create_network(self, name: str, *, driver: str, labels: Mapping[str, str], attachable: bool) -> Network: ...

    def find_services(self, name: str) -> list[Attrs]:
        """The services whose name contains `name`, as inspected."""
        ...

    def service_tasks(self, service_id: str) -> list[Attrs]: ...

    def inspect_service(self, service_id: str) -> Attrs: ...

    def inspect_task(self, task_id: str) -> Attrs: ...

    def create_service(self, definition: ServiceDefinition) -> str:
        """Create the service; its id."""
        ...

    def update_service(self, service_id: str, version: int, definition: ServiceDefinition) -> None: ...

    def remove_service(self, service_id: str) -> None: ...

    def list_configs(self, *, name: str | None = None, label: str | None = None) -> list[ConfigInfo]: ...

    def create_config(self, name: str, data: bytes, labels: Mapping[str, str]) -> str:
        """Create a Swarm config; its id."""
        ...

    def remove_config(self, config_id: str) -> None: ...
