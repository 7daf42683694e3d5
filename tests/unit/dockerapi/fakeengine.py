"""An in-memory Docker engine behind the layer's EngineApi: containers, images, networks, Swarm services and
configs as plain records, so orchestration runs in unit tests without an engine."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployctl.dockerapi.types import (
    Attrs,
    BindMount,
    ConfigInfo,
    Container,
    EngineNotFoundError,
    EngineRefusedError,
    ExecResult,
    ImageInfo,
    Network,
    ServiceDefinition,
)

ExecHandler = Callable[[Sequence[str], str | None], ExecResult]
_ids = itertools.count(1)


def _matches(labels: Mapping[str, str], wanted: Sequence[str]) -> bool:
    for item in wanted:
        key, equals, value = item.partition("=")
        if key not in labels or (equals and labels[key] != value):
            return False
    return True


@dataclass
class FakeContainer:
    """A container record: labels, status, inspect data, files (for put/read) and an exec handler."""

    name: str
    labels: dict[str, str] = field(default_factory=dict)
    status: str = "running"
    attrs: Attrs = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    diff: list[tuple[str, int]] = field(default_factory=list)
    log: str = ""
    on_exec: ExecHandler = lambda _command, _user: ExecResult(0, b"", b"")
    id: str = field(default_factory=lambda: f"c{next(_ids):063d}")
    removed: bool = False
    execs: list[list[str]] = field(default_factory=list)

    def reload(self) -> None:
        return None

    def start(self) -> None:
        self.status = "running"

    def stop(self, timeout: int) -> None:
        self.status = "exited"

    def remove(self, *, force: bool = False) -> None:
        self.removed = True

    def exec(self, command: Sequence[str], *, user: str | None = None) -> ExecResult:
        self.execs.append(list(command))
        return self.on_exec(command, user)

    def logs(self, tail: int) -> str:
        return "\n".join(self.log.splitlines()[-tail:])

    def put_file(self, folder: str, name: str, content: bytes, mode: int = 0o644) -> None:
        self.files[f"{folder}/{name}"] = content

    def read_file(self, path: str) -> bytes:
        if path not in self.files:
            raise EngineNotFoundError(f"Could not find the file {path} in container {self.name}")
        return self.files[path]

    def changes(self) -> list[tuple[str, int]]:
        return list(self.diff)


@dataclass
class FakeNetwork:
    name: str
    attrs: Attrs = field(default_factory=dict)
    id: str = field(default_factory=lambda: f"n{next(_ids):063d}")
    members: set[str] = field(default_factory=set)
    removed: bool = False

    def connect(self, container: Container) -> None:
        self.members.add(container.name)

    def disconnect(self, container: Container) -> None:
        self.members.discard(container.name)

    def remove(self) -> None:
        self.removed = True


@dataclass
class FakeEngine:
    """The engine's state: what a test set up, and what orchestration did to it."""

    containers: list[FakeContainer] = field(default_factory=list)
    images: dict[str, ImageInfo] = field(default_factory=dict)
    networks: list[FakeNetwork] = field(default_factory=list)
    services: dict[str, Attrs] = field(default_factory=dict)
    tasks: dict[str, Attrs] = field(default_factory=dict)
    configs: dict[str, ConfigInfo] = field(default_factory=dict)
    swarm: Attrs = field(default_factory=dict)

    def _live(self) -> list[FakeContainer]:
        return [c for c in self.containers if not c.removed]

    def info(self) -> Attrs:
        return {"Swarm": self.swarm}

    def list_containers(self, labels: Sequence[str]) -> list[Container]:
        return [c for c in self._live() if _matches(c.labels, labels)]

    def get_container(self, name: str) -> Container:
        for container in self._live():
            if name in (container.name, container.id):
                return container
        raise EngineNotFoundError(f"No such container: {name}")

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
        found = self.get_image(image)
        binds = [{"Type": "bind", "Source": m.source, "Destination": m.target, "RW": not m.read_only} for m in mounts]
        attrs = {"Image": found.id, "Config": {"Image": image, "Healthcheck": healthcheck}, "Mounts": binds}
        container = FakeContainer(name, dict(labels), "running", attrs)
        self.containers.append(container)
        return container

    def create_container(
        self, image: str, *, name: str, labels: Mapping[str, str], network: str, ports: Mapping[str, tuple[str, int]]
    ) -> Container:
        bindings = {port: [{"HostIp": ip, "HostPort": str(host)}] for port, (ip, host) in ports.items()}
        container = FakeContainer(name, dict(labels), "created", {"HostConfig": {"PortBindings": bindings}})
        self.containers.append(container)
        return container

    def run_once(self, image: str, command: Sequence[str], *, labels: Mapping[str, str]) -> bytes:
        raise EngineRefusedError(f"the fake engine runs no throwaway container of {image}")

    def get_image(self, name: str) -> ImageInfo:
        if name in self.images:
            return self.images[name]
        for image in self.images.values():
            if image.id == name:
                return image
        raise EngineNotFoundError(f"No such image: {name}")

    def find_image(self, name: str) -> ImageInfo | None:
        try:
            return self.get_image(name)
        except EngineNotFoundError:
            return None

    def pull_image(self, repository: str, tag: str) -> None:
        raise EngineRefusedError(f"pull access denied for {repository}:{tag}")

    def import_image(self, tarball: Path, repository: str, tag: str) -> None:
        self.images[f"{repository}:{tag}"] = ImageInfo(f"sha256:{next(_ids):064d}", {}, {})

    def build_image(
        self, context: Path, tag: str, labels: Mapping[str, str], buildargs: Mapping[str, str]
    ) -> Iterator[Attrs]:
        image = ImageInfo(f"sha256:{next(_ids):064d}", dict(labels), {"Config": {"Labels": dict(labels)}})
        self.images[tag] = image
        yield {"stream": "Step 1/1 : FROM scratch\n"}
        yield {"aux": {"ID": image.id}}

    def list_networks(self, *, names: Sequence[str] = (), label: str | None = None) -> list[Network]:
        live = [n for n in self.networks if not n.removed]
        if names:
            live = [n for n in live if n.name in names]
        if label is not None:
            live = [n for n in live if _matches(n.attrs.get("Labels") or {}, [label])]
        return list(live)

    def get_network(self, name: str) -> Network:
        for network in self.list_networks(names=[name]):
            return network
        raise EngineNotFoundError(f"network {name} not found")

    def create_network(self, name: str, *, driver: str, labels: Mapping[str, str], attachable: bool) -> Network:
        network = FakeNetwork(name, {"Driver": driver, "Labels": dict(labels), "Attachable": attachable})
        self.networks.append(network)
        return network

    def find_services(self, name: str) -> list[Attrs]:
        return [s for s in self.services.values() if name in s["Spec"]["Name"]]

    def service_tasks(self, service_id: str) -> list[Attrs]:
        return [t for t in self.tasks.values() if t.get("ServiceID") == service_id]

    def inspect_service(self, service_id: str) -> Attrs:
        if service_id not in self.services:
            raise EngineNotFoundError(f"service {service_id} not found")
        return self.services[service_id]

    def inspect_task(self, task_id: str) -> Attrs:
        if task_id not in self.tasks:
            raise EngineNotFoundError(f"task {task_id} not found")
        return self.tasks[task_id]

    def create_service(self, definition: ServiceDefinition) -> str:
        service_id = f"s{next(_ids)}"
        self.services[service_id] = {"ID": service_id, "Version": {"Index": 1}, "Spec": _spec(definition)}
        return service_id

    def update_service(self, service_id: str, version: int, definition: ServiceDefinition) -> None:
        service = self.inspect_service(service_id)
        if service["Version"]["Index"] != version:
            raise EngineRefusedError("update out of sequence")
        service.update({"PreviousSpec": service["Spec"], "Spec": _spec(definition), "Version": {"Index": version + 1}})

    def remove_service(self, service_id: str) -> None:
        self.services.pop(service_id, None)

    def list_configs(self, *, name: str | None = None, label: str | None = None) -> list[ConfigInfo]:
        found = list(self.configs.values())
        if name is not None:
            found = [c for c in found if name in c.name]
        if label is not None:
            found = [c for c in found if _matches(c.labels, [label])]
        return found

    def create_config(self, name: str, data: bytes, labels: Mapping[str, str]) -> str:
        config_id = f"cfg{next(_ids)}"
        self.configs[config_id] = ConfigInfo(config_id, name, dict(labels))
        return config_id

    def remove_config(self, config_id: str) -> None:
        if self.configs.pop(config_id, None) is None:
            raise EngineNotFoundError(f"config {config_id} not found")


def _spec(definition: ServiceDefinition) -> Attrs:
    """The part of a service's inspect data that orchestration reads back."""
    configs = [{"ConfigName": c.config_name, "File": {"Name": c.filename, "Mode": c.mode}} for c in definition.configs]
    return {
        "Name": definition.name,
        "Labels": dict(definition.labels),
        "Mode": {"Replicated": {"Replicas": definition.replicas}},
        "TaskTemplate": {
            "ContainerSpec": {"Image": definition.image, "Configs": configs},
            "ForceUpdate": definition.force_update,
        },
    }
