"""The Docker engine over docker-py: `connect` (the one way to make a client) and `DockerEngine` (EngineApi).

The SDK's Swarm service API is untyped (types-docker leaves it so): its calls are cast here, nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import docker
from docker.types import (
    ConfigReference,
    ContainerSpec,
    EndpointSpec,
    Healthcheck,
    Mount,
    NetworkAttachmentConfig,
    RestartPolicy,
    RollbackConfig,
    ServiceMode,
    TaskTemplate,
    UpdateConfig,
)

from deployctl.dockerapi.containers import DockerContainer, DockerNetwork
from deployctl.dockerapi.errors import engine_errors
from deployctl.dockerapi.types import (
    Attrs,
    BindMount,
    ConfigInfo,
    Container,
    ContainerFootprint,
    EngineError,
    ImageInfo,
    Network,
    NodeOptions,
    ServiceDefinition,
)
from deployctl.dockerapi.types import EngineNotFoundError as _NotFound


def connect(timeout: float | None = None) -> DockerEngine:
    """A client of the engine the environment names (DOCKER_HOST, else the local socket); not yet pinged."""
    try:
        client = docker.from_env(timeout=int(timeout)) if timeout is not None else docker.from_env()
    except docker.errors.DockerException as error:
        raise EngineError(f"the Docker engine does not answer: {error}") from error
    if client.api.base_url.startswith("http+docker://"):  # a local socket: no proxy to look up per request
        client.api.trust_env = False
    return DockerEngine(client)


def task_template(definition: ServiceDefinition) -> TaskTemplate:
    """The Engine API's task template of a service definition."""
    references = [
        ConfigReference(c.config_id, c.config_name, filename=c.filename, uid="0", gid="0", mode=c.mode)
        for c in definition.configs
    ]
    container = ContainerSpec(
        definition.image,
        labels=dict(definition.labels),
        configs=references,
        healthcheck=Healthcheck(**definition.healthcheck) if definition.healthcheck is not None else None,
        init=definition.init,
        stop_grace_period=definition.stop_grace,
    )
    return TaskTemplate(
        container,
        networks=[NetworkAttachmentConfig(definition.network_id)],
        restart_policy=RestartPolicy(condition="any", delay=definition.restart_delay, max_attempts=0),
        force_update=definition.force_update,
    )


def service_arguments(definition: ServiceDefinition) -> dict[str, Any]:
    """The keyword arguments service create and update both take: all but the task template."""
    return {
        "name": definition.name,
        "labels": dict(definition.labels),
        "mode": ServiceMode("replicated", replicas=definition.replicas),
        "update_config": UpdateConfig(
            parallelism=definition.update_parallelism,
            delay=definition.update_delay,
            failure_action="rollback",
            monitor=definition.monitor,
            max_failure_ratio=0,
            order="start-first",
        ),
        "rollback_config": RollbackConfig(
            parallelism=definition.rollback_parallelism,
            delay=0,
            failure_action="pause",
            monitor=definition.monitor,
            max_failure_ratio=0,
            order="start-first",
        ),
        "endpoint_spec": EndpointSpec(mode="dnsrr"),
    }


def _untyped(call: Any) -> Callable[..., Any]:
    """A method of the SDK's low-level client that types-docker leaves untyped."""
    return cast(Callable[..., Any], call)


class DockerEngine:
    """A Docker engine (EngineApi) over a docker-py client; every call raises the layer's errors."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.sdk = client
        """The docker-py client itself: for tests that inspect the engine beside deployctl."""

    def ping(self) -> None:
        """Raise EngineError unless the engine answers."""
        with engine_errors():
            self.sdk.ping()

    def info(self) -> Attrs:
        with engine_errors():
            return self.sdk.info()

    def list_containers(self, labels: Sequence[str]) -> list[Container]:
        with engine_errors():
            found = self.sdk.containers.list(all=True, filters={"label": list(labels)}, ignore_removed=True)
        return [DockerContainer(c) for c in found]

    def get_container(self, name: str) -> Container:
        with engine_errors():
            return DockerContainer(self.sdk.containers.get(name))

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
        binds = [Mount(target=m.target, source=m.source, type="bind", read_only=m.read_only) for m in mounts]
        with engine_errors():
            started = self.sdk.containers.run(
                image,
                name=name,
                labels=dict(labels),
                network=network,
                mounts=binds,
                restart_policy={"Name": "always"},
                init=True,
                healthcheck=Healthcheck(**healthcheck) if healthcheck is not None else None,
                detach=True,
            )
        return DockerContainer(started)

    def create_container(
        self, image: str, *, name: str, labels: Mapping[str, str], network: str, ports: Mapping[str, tuple[str, int]]
    ) -> Container:
        with engine_errors():
            created = self.sdk.containers.create(
                image,
                name=name,
                labels=dict(labels),
                network=network,
                ports=dict(ports),
                restart_policy={"Name": "always"},
                detach=True,
            )
        return DockerContainer(created)

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
        with engine_errors():
            started = self.sdk.containers.run(
                image,
                name=name,
                hostname=hostname,
                labels=dict(labels),
                cap_add=list(options.capabilities),
                security_opt=list(options.security_options),
                tmpfs=dict.fromkeys(options.tmpfs, ""),
                volumes={path: {"bind": path, "mode": "ro"} for path in options.read_only_binds},
                ports=dict(ports),
                detach=True,
            )
        return DockerContainer(started)

    def run_once(self, image: str, command: Sequence[str], *, labels: Mapping[str, str]) -> bytes:
        with engine_errors():
            output = self.sdk.containers.run(
                image, list(command), remove=True, labels=dict(labels), network_disabled=True, stdout=True, stderr=False
            )
        return output if isinstance(output, bytes) else str(output).encode()

    def footprint(self, name: str) -> ContainerFootprint:
        with engine_errors():
            found = self.sdk.containers.get(name)
            listed = _untyped(self.sdk.api.containers)(all=True, size=True, filters={"id": found.id})
            stats = _untyped(self.sdk.api.stats)(found.id, stream=False)
        inspected = listed[0] if listed else {}
        memory = stats.get("memory_stats") or {}
        cache = int((memory.get("stats") or {}).get("inactive_file") or 0)  # as `docker stats` counts it
        return ContainerFootprint(
            size_rw=int(inspected.get("SizeRw") or 0),
            size_root_fs=int(inspected.get("SizeRootFs") or 0),
            memory=max(0, int(memory.get("usage") or 0) - cache),
        )

    def get_image(self, name: str) -> ImageInfo:
        with engine_errors():
            image = self.sdk.images.get(name)
        return ImageInfo(str(image.id), dict(image.labels or {}), image.attrs)

    def find_image(self, name: str) -> ImageInfo | None:
        try:
            return self.get_image(name)
        except _NotFound:
            return None

    def pull_image(self, repository: str, tag: str) -> None:
        with engine_errors():
            self.sdk.images.pull(repository, tag=tag)

    def import_image(self, tarball: Path, repository: str, tag: str) -> None:
        with engine_errors():
            self.sdk.api.import_image_from_file(str(tarball), repository=repository, tag=tag)

    def build_image(
        self, context: Path, tag: str, labels: Mapping[str, str], buildargs: Mapping[str, str]
    ) -> Iterator[Attrs]:
        with engine_errors():
            stream = self.sdk.api.build(
                path=str(context),
                tag=tag,
                labels=dict(labels),
                buildargs=dict(buildargs),
                rm=True,
                forcerm=True,
                decode=True,
            )
            for chunk in stream:
                yield cast(Attrs, chunk)

    def list_networks(self, *, names: Sequence[str] = (), label: str | None = None) -> list[Network]:
        filters = {"label": label} if label is not None else None
        with engine_errors():
            found = self.sdk.networks.list(names=list(names) or None, filters=filters)
        return [DockerNetwork(n) for n in found]

    def get_network(self, name: str) -> Network:
        with engine_errors():
            return DockerNetwork(self.sdk.networks.get(name))

    def create_network(self, name: str, *, driver: str, labels: Mapping[str, str], attachable: bool) -> Network:
        with engine_errors():
            if attachable:
                return DockerNetwork(
                    self.sdk.networks.create(name, driver=driver, attachable=True, labels=dict(labels))
                )
            return DockerNetwork(self.sdk.networks.create(name, driver=driver, labels=dict(labels)))

    def find_services(self, name: str) -> list[Attrs]:
        with engine_errors():
            return list(_untyped(self.sdk.api.services)(filters={"name": name}))

    def service_tasks(self, service_id: str) -> list[Attrs]:
        with engine_errors():
            return list(_untyped(self.sdk.api.tasks)(filters={"service": service_id}))

    def inspect_service(self, service_id: str) -> Attrs:
        with engine_errors():
            return dict(_untyped(self.sdk.api.inspect_service)(service_id))

    def inspect_task(self, task_id: str) -> Attrs:
        with engine_errors():
            return dict(_untyped(self.sdk.api.inspect_task)(task_id))

    def create_service(self, definition: ServiceDefinition) -> str:
        with engine_errors():
            created = _untyped(self.sdk.api.create_service)(task_template(definition), **service_arguments(definition))
        return str(created["ID"])

    def update_service(self, service_id: str, version: int, definition: ServiceDefinition) -> None:
        with engine_errors():
            self.sdk.api.update_service(
                service_id, version, task_template=task_template(definition), **service_arguments(definition)
            )

    def remove_service(self, service_id: str) -> None:
        with engine_errors():
            _untyped(self.sdk.api.remove_service)(service_id)

    def list_configs(self, *, name: str | None = None, label: str | None = None) -> list[ConfigInfo]:
        filters = {key: value for key, value in (("name", name), ("label", label)) if value is not None}
        with engine_errors():
            found = self.sdk.configs.list(filters=filters)
        return [ConfigInfo(str(c.id), str(c.name), dict(c.attrs["Spec"].get("Labels") or {})) for c in found]

    def create_config(self, name: str, data: bytes, labels: Mapping[str, str]) -> str:
        with engine_errors():
            return str(self.sdk.configs.create(name=name, data=data, labels=dict(labels)).id)

    def remove_config(self, config_id: str) -> None:
        with engine_errors():
            _untyped(self.sdk.api.remove_config)(config_id)
