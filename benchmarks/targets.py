"""Issue 17's targets, judged from one run's ratios only (pure).

At 10 and 50 hosts (systemd hosts), for every workload: the no-op apply within 1.5x of the process floor, at least
6x faster than pyinfra and 25x faster than ansible-core; the first apply at least 5x faster than pyinfra. At the
scale point (200 light hosts): the same, with the no-op at least 8x faster than pyinfra.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from workloads import SCENARIO_TITLES, Scenario

FLOOR = "deployctl / floor (process)"
PYINFRA = "pyinfra / deployctl"
ANSIBLE = "ansible-core / deployctl"
Ratios = Mapping[str, Mapping[str, float | None]]
"""ratio name -> scenario -> value (None: a run failed or was not run)."""


@dataclass(frozen=True)
class Target:
    """One ratio of one scenario, bounded: `ratio sign bound`."""

    scenario: Scenario
    ratio: str
    sign: Literal["<=", ">="]
    bound: float

    def met(self, value: float) -> bool:
        return value <= self.bound if self.sign == "<=" else value >= self.bound


@dataclass(frozen=True)
class Verdict:
    """A target and what this run measured for it: met, not met, or not measurable (value None)."""

    target: Target
    value: float | None

    @property
    def met(self) -> bool | None:
        return None if self.value is None else self.target.met(self.value)

    def line(self) -> str:
        target = self.target
        head = f"{SCENARIO_TITLES[target.scenario]} {target.ratio} {target.sign} {target.bound:g}x"
        if self.value is None:
            return f"{head}: not measurable (a run failed or was not run)"
        return f"{head}: {self.value:.2f}x -> {'met' if self.met else 'NOT met'}"


def targets(scale_point: bool) -> list[Target]:
    """The issue's targets for one table: the scale point asks the no-op for 8x pyinfra instead of 6x."""
    return [
        Target("noop", FLOOR, "<=", 1.5),
        Target("noop", PYINFRA, ">=", 8.0 if scale_point else 6.0),
        Target("noop", ANSIBLE, ">=", 25.0),
        Target("first", PYINFRA, ">=", 5.0),
    ]


def verdicts(ratios: Ratios, wanted: Sequence[Target]) -> list[Verdict]:
    """Each target judged on the measured ratio (None when that ratio was not measured)."""
    return [Verdict(target, ratios.get(target.ratio, {}).get(target.scenario)) for target in wanted]
