"""What an operation works on: the project, one stage, the inventory it deploys from, and how to reach hosts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deployctl.lab.state import LabState, load_lab_state
from deployctl.model.connection import SshEndpoint, resolve_endpoint
from deployctl.model.inventory import Inventory, InventoryHost, load_inventories
from deployctl.model.project import Project
from deployctl.model.stage import Stage

if TYPE_CHECKING:
    from deployctl.dockerapi.types import EngineApi

Say = Callable[[str], None]
"""Where an operation reports its progress, a line at a time."""
EngineFactory = Callable[[], "EngineApi"]
"""The Docker engine, started (and reached) only when an operation first needs it."""


@dataclass(frozen=True)
class StageContext:
    """A stage's inventory (the working tree's or a release snapshot's), read once, and the lab's endpoints."""

    project: Project
    """The project on disk: its state folder, ledger and settings (a release's snapshot has none of its own)."""
    stage: Stage
    """The stage, validated against deployctl.yml, with its place in the pipeline."""
    inventory: Inventory
    lab: LabState | None

    @property
    def name(self) -> str:
        """The stage's name, as inventories, the ledger and reports use it."""
        return self.stage.name

    def endpoint(self, host: InventoryHost) -> SshEndpoint:
        """How to reach one host of the inventory over SSH (lab hosts from the lab's facts)."""
        return resolve_endpoint(
            host.name,
            host.vars,
            self.lab.endpoints if self.lab else None,
            (host.origin.source, host.origin.line),
            self.inventory.path.parent,
        )

    def endpoints(self, hosts: Iterable[InventoryHost]) -> dict[str, SshEndpoint]:
        """The SSH endpoints of some of the inventory's hosts, by name."""
        return {host.name: self.endpoint(host) for host in hosts}


def stage_context(project: Project, stage: str, source: Project | None = None) -> StageContext:
    """The stage's context, its inventory read from `source` (a release's snapshot) or the working tree.

    Every stage's inventory is read, so a host that two stages both claim is refused before any host is touched.
    """
    return stage_contexts(project, source=source)[project.stage(stage).name]


def stage_contexts(
    project: Project, stages: Sequence[str] | None = None, source: Project | None = None
) -> dict[str, StageContext]:
    """The contexts of `stages` (every stage by default; then a host two stages claim is refused), inventories
    read once from `source` (a release's snapshot) or the working tree, and the lab state read once."""
    chosen = [project.stage(name) for name in stages] if stages is not None else list(project.pipeline())
    inventories = load_inventories(source or project, [s.name for s in chosen] if stages is not None else None)
    lab = load_lab_state(project.state_dir)
    return {s.name: StageContext(project, s, inventories[s.name], lab) for s in chosen}


def engine_factory(project: Project, say: Say) -> EngineFactory:
    """The project's Docker engine, started (and its base image checked) on the first call only, then reused."""
    client: list[EngineApi] = []

    def engine() -> EngineApi:
        if not client:
            from deployctl.lab.engine import ensure_engine  # the Docker SDK's import costs start-up time

            client.append(ensure_engine(project.state_dir, say))
        return client[0]

    return engine
