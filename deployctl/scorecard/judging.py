"""Pure judgements behind the scorecard: parity verdicts, a rollback's residue, figures from measured values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from deployctl.scorecard.model import Figure, ParityRow, ParityVerdict, Strategy


@dataclass(frozen=True)
class Declared:
    """A resource a task declares: its module and the argument naming what it manages (as written)."""

    module: str
    resource: str

    def __str__(self) -> str:
        return f"{self.module} {self.resource}"


RESOURCE_ARGS = ("name", "path", "dest", "pkg")
"""The arguments that name a task's resource, first found wins."""


def declared(module: str, args: Mapping[str, object]) -> Declared:
    """The resource a task manages, from its module and its arguments as written."""
    for key in RESOURCE_ARGS:
        if key in args:
            value = args[key]
            text = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
            return Declared(module, text)
    return Declared(module, "")


def residue(
    newer: Sequence[tuple[str, Declared]], older: set[Declared], statuses: Mapping[str, str]
) -> tuple[Declared, ...]:
    """What a return to the older release left of the newer one: resources only the newer release declares
    (`newer`: task name and resource) that a check-mode run of the newer release finds in place (status `ok`)."""
    return tuple(
        resource
        for name, resource in newer
        if resource not in older and resource.resource and statuses.get(name) == "ok"
    )


def removal_words(item: Declared) -> tuple[str, ...] | None:
    """The command that removes a residue item (a user, a file), None for any other kind or a resource still
    templated. Packages stay: the VM's package baseline follows packages only through an apply, and a package
    removed behind its back would be drift that `--fix` installs again."""
    if "{{" in item.resource:
        return None
    names = tuple(name.strip() for name in item.resource.split(",") if name.strip())
    if item.module == "user" and len(names) == 1:
        return ("userdel", "--", names[0])
    if item.module in ("copy", "template", "file") and len(names) == 1 and names[0].startswith("/"):
        return ("rm", "-f", "--", names[0])
    return None


def parity_verdict(values: Mapping[str, Sequence[str]], stage_words: Mapping[str, set[str]]) -> ParityVerdict:
    """`identical` when every stage has one and the same value; `differs by design` when each stage's value names
    one of that stage's own variable values (`stage_words`: stage -> values of variables that differ between
    stages); else `differs by accident` (also when one stage's hosts disagree)."""
    distinct = {value for per_stage in values.values() for value in per_stage}
    if len(distinct) <= 1:
        return "identical"
    if any(len(set(per_stage)) != 1 for per_stage in values.values()):
        return "differs by accident"
    for stage, per_stage in values.items():
        words = stage_words.get(stage, set())
        if not any(word and word in per_stage[0] for word in words):
            return "differs by accident"
    return "differs by design"


def parity_rows(
    strategy: Strategy, facts: Mapping[str, Mapping[str, Sequence[str]]], stage_words: Mapping[str, set[str]]
) -> list[ParityRow]:
    """One parity row per fact (`facts`: fact -> stage -> values seen), with its verdict and why."""
    rows = []
    for fact, values in sorted(facts.items()):
        verdict = parity_verdict(values, stage_words)
        reason = {
            "identical": "the same value in every stage",
            "differs by design": "each stage's value is one of its own stage variables",
            "differs by accident": "the stages differ in a value no stage variable explains",
        }[verdict]
        shown = {stage: " | ".join(sorted(set(per_stage))) for stage, per_stage in values.items()}
        rows.append(ParityRow(fact, strategy, shown, verdict, reason))
    return rows


def stage_words(stage_vars: Mapping[str, Mapping[str, object]]) -> dict[str, set[str]]:
    """Per stage, the string forms of its variables whose values differ between stages."""
    names = {name for variables in stage_vars.values() for name in variables}
    words: dict[str, set[str]] = {stage: set() for stage in stage_vars}
    for name in names:
        seen = {stage: variables.get(name) for stage, variables in stage_vars.items()}
        if len({repr(value) for value in seen.values()}) > 1:
            for stage, value in seen.items():
                if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value):
                    words[stage].add(str(value))
    return words


def seconds(value: float, method: str, detail: Sequence[str] = ()) -> Figure:
    """A duration in seconds, rounded to milliseconds."""
    return Figure(round(value, 3), "s", method, detail=tuple(detail))


def count(value: int, unit: str, method: str, detail: Sequence[str] = ()) -> Figure:
    """A count (requests, items, files)."""
    return Figure(value, unit, method, detail=tuple(detail))


def unmeasured(unit: str, method: str, why: str) -> Figure:
    """A figure that could not be measured in this run, and why."""
    return Figure(None, unit, method, unmeasured=why)


def mean(values: Sequence[float]) -> float | None:
    """The mean of some values, None without any."""
    return sum(values) / len(values) if values else None


def per_target_figure(
    points: Sequence[tuple[str, float]], unit: str, method: str, why_none: str = "no target"
) -> Figure:
    """The mean over targets of a per-target measure, each target's value in the detail."""
    average = mean([value for _name, value in points])
    if average is None:
        return unmeasured(unit, method, why_none)
    detail = tuple(f"{name}: {value:g} {unit}" for name, value in points)
    return Figure(round(average, 3), unit, method + " (mean over targets)", detail=detail)
