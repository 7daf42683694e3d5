"""A stage of the project's pipeline, validated: get one from `Project.stage(name)`, never from a bare `str`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Stage:
    """A stage deployctl.yml defines: its place in the pipeline order (0 is the first) and its name.

    Stages sort in pipeline order; `str(stage)` is its name, as inventories, the ledger and reports use it.
    """

    position: int
    name: str

    @property
    def first(self) -> bool:
        """Whether the pipeline starts here (nothing is promoted to it)."""
        return self.position == 0

    def __str__(self) -> str:
        return self.name
