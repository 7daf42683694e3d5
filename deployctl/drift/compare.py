"""Pure comparisons: a check-mode run's planned changes, package lists and container states -> drift items.

For a VM, drift is the plan of its release in check mode: every change the release would make is a
difference between what it declares and what the host has. Packages are also compared with the list
recorded when the release was applied (the baseline), which catches packages installed or removed by
hand. A container is compared with its release's image id, its image's environment, and its config.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from deployctl.drift.model import DriftItem
from deployctl.redaction import REDACTED, Redactor
from deployctl.strategies.results import TaskResult
from deployctl.textdiff import unified_diff

MODULE_KINDS: Mapping[str, str] = {
    "apt": "package",
    "package": "package",
    "copy": "file",
    "template": "file",
    "file": "file",
    "lineinfile": "file",
    "replace": "file",
    "blockinfile": "file",
    "pam_limits": "file",
    "pamd": "file",
    "service": "service",
    "systemd": "service",
    "user": "user",
    "group": "group",
    "sysctl": "sysctl",
    "command": "command",
    "shell": "command",
}
"""A module's drift kind (a module not listed names its own kind)."""

_RESOURCE_PREFIXES = ("package ", "service ", "user ", "group ", "sysctl ")
_ATTRIBUTES_SUFFIX = " (attributes)"
NOT_INSTALLED = "not installed"
ABSENT = "absent"
SECRET_DIFFERS = f"{REDACTED} (a hidden secret differs)"
SHOWN_LINES = 3
"""At most this many changed lines are shown in a file item's expected and actual (the diff has them all)."""


def _resource(kind: str, resource: str) -> str:
    for prefix in _RESOURCE_PREFIXES:
        if resource.startswith(prefix) and kind != "file":
            return resource[len(prefix) :]
    return resource.removesuffix(_ATTRIBUTES_SUFFIX)


def _one_line(text: str) -> str:
    return ", ".join(line.strip() for line in text.splitlines() if line.strip()) or "(empty)"


def _changed_lines(before: str, after: str) -> tuple[str, str]:
    """The lines only the expected (after) and only the actual (before) content has, a few of each."""
    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    removed: list[str] = []
    added: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += old[i1:i2]
            added += new[j1:j2]

    def shown(lines: list[str]) -> str:
        text = " | ".join(line.strip() for line in lines[:SHOWN_LINES])
        more = len(lines) - SHOWN_LINES
        return (text + (f" (+{more} lines)" if more > 0 else "")) if lines else "(no such line)"

    return shown(added), shown(removed)


def _content_item(base: DriftItem, before: str, after: str) -> DriftItem:
    if before.startswith("state: ") or after.startswith("state: "):
        return DriftItem(**{**base.__dict__, "expected": _one_line(after), "actual": _one_line(before)})
    if not before and after:
        return DriftItem(**{**base.__dict__, "expected": f"{len(after.splitlines())} lines", "actual": ABSENT})
    if before == after:  # the content differs only where secrets were redacted
        return DriftItem(**{**base.__dict__, "expected": SECRET_DIFFERS, "actual": REDACTED})
    expected, actual = _changed_lines(before, after)
    return DriftItem(
        **{
            **base.__dict__,
            "expected": expected,
            "actual": actual,
            "diff": unified_diff(base.resource, before, after, ("actual", "expected")),
        }
    )


def _result_items(stage: str, host: str, result: TaskResult) -> list[DriftItem]:
    kind = MODULE_KINDS.get(result.module, result.module)
    found: list[DriftItem] = []
    for diff in result.diffs:
        resource = _resource(kind, diff.resource)
        base = DriftItem(stage, host, "vm", "mutable", kind, resource, "", "")
        if kind == "file" and not diff.resource.endswith(_ATTRIBUTES_SUFFIX):
            found.append(_content_item(base, diff.before, diff.after))
        else:
            found.append(
                DriftItem(stage, host, "vm", "mutable", kind, resource, _one_line(diff.after), _one_line(diff.before))
            )
    if not found:
        found.append(DriftItem(stage, host, "vm", "mutable", kind, result.task, "no change needed", result.message))
    return found


def plan_items(stage: str, host: str, results: Iterable[TaskResult]) -> list[DriftItem]:
    """Every change a check-mode run planned (handlers aside: they only follow changes), as drift items.

    A task that would change something is a difference; a loop's items are taken one by one. A command
    task guarded by `creates`/`removes` that would run is reported by the caller, which knows its args.
    """
    items: list[DriftItem] = []
    for result in results:
        if result.handler:
            continue
        parts = result.items or (result,)
        for part in parts:
            if part.status == "changed":
                items.extend(_result_items(stage, host, part))
    return items


def package_items(
    stage: str,
    host: str,
    baseline: Mapping[str, str],
    current: Mapping[str, str],
    already: Iterable[str] = (),
) -> list[DriftItem]:
    """Packages installed, removed or changed version since the baseline (those in `already` are reported)."""
    skip = set(already)
    items = []
    for name in sorted(set(baseline) | set(current)):
        before, now = baseline.get(name), current.get(name)
        if name in skip or before == now:
            continue
        items.append(
            DriftItem(stage, host, "vm", "mutable", "package", name, before or NOT_INSTALLED, now or NOT_INSTALLED)
        )
    return items


UNSET = "(unset)"


def redacted_item(item: DriftItem, redactor: Redactor) -> DriftItem:
    """An item with secrets hidden in its expected and actual values and its diff; an environment
    variable named like a secret shows neither value."""
    named = item.kind == "env" and redactor.rules.is_secret(item.resource)

    def shown(value: str) -> str:
        return REDACTED if named and value != UNSET else redactor.text(value)

    return replace(item, expected=shown(item.expected), actual=shown(item.actual), diff=redactor.text(item.diff))


def config_key(fact: str) -> str | None:
    """The key of a `config PATH: [section.]key` parity fact, else None."""
    if not fact.startswith("config ") or ": " not in fact:
        return None
    return fact.rsplit(": ", 1)[1].rsplit(".", 1)[-1]


def redacted_facts(facts: Mapping[str, str], redactor: Redactor) -> dict[str, str]:
    """Parity facts with secrets masked: a config value whose key is named like a secret, or holding one."""
    shown = {}
    for fact, value in facts.items():
        key = config_key(fact)
        shown[fact] = redactor.value(value, secret=key is not None and redactor.rules.is_secret(key))
    return shown


DIFF_KINDS = {0: "changed", 1: "added", 2: "deleted"}
"""`docker diff` kinds (the Engine API's numbers)."""


@dataclass(frozen=True)
class ConfigCheck:
    """A release's config folder mounted into a container: the digest its name records and its files' digest now."""

    folder: str
    dests: tuple[str, ...]
    recorded: str
    actual: str


@dataclass(frozen=True)
class ContainerState:
    """A running replica as Docker reports it (the edge fills it; comparing it is pure)."""

    name: str
    image_id: str
    env: tuple[str, ...]
    image_env: tuple[str, ...]
    mounts: Mapping[str, str]
    changes: tuple[tuple[str, int], ...]
    configs: tuple[ConfigCheck, ...] = ()
    status: str = "running"


@dataclass(frozen=True)
class ContainerExpectation:
    """What a container target's release declares: its image, its replicas, and its config mounts (dest -> source).

    `mounts` is None when the stage's rollout history has no record of the release.
    """

    image_id: str
    replicas: int
    mounts: Mapping[str, str] | None


def bare_id(image_id: str) -> str:
    """`sha256:abc...` -> `abc...`."""
    return image_id.removeprefix("sha256:")


def short_id(image_id: str) -> str:
    """The first 12 hex digits of an image id, as `docker images` shows it."""
    return bare_id(image_id)[:12]


def _env(entries: Sequence[str]) -> dict[str, str]:
    return dict(entry.partition("=")[::2] for entry in entries)


def container_items(stage: str, state: ContainerState, expected: ContainerExpectation) -> list[DriftItem]:
    """What differs in one replica from its release: image, files changed inside, environment, config."""

    def item(kind: str, resource: str, want: str, got: str) -> DriftItem:
        return DriftItem(stage, state.name, "container", "immutable", kind, resource, want, got)

    items: list[DriftItem] = []
    if state.status != "running":
        items.append(item("container-state", "status", "running", state.status))
    if bare_id(state.image_id) != bare_id(expected.image_id):
        items.append(item("image", "image", short_id(expected.image_id), short_id(state.image_id)))
    for path, kind in state.changes:
        items.append(item("container-file", path, "as in the image", DIFF_KINDS.get(kind, str(kind))))
    want_env, got_env = _env(state.image_env), _env(state.env)
    for key in sorted(set(want_env) | set(got_env)):
        if want_env.get(key) != got_env.get(key):
            items.append(item("env", key, want_env.get(key, UNSET), got_env.get(key, UNSET)))
    if expected.mounts is not None and dict(expected.mounts) != dict(state.mounts):
        for dest in sorted(set(expected.mounts) | set(state.mounts)):
            if expected.mounts.get(dest) != state.mounts.get(dest):
                items.append(item("config", dest, expected.mounts.get(dest, ABSENT), state.mounts.get(dest, ABSENT)))
    for check in state.configs:
        if check.recorded != check.actual:
            for dest in check.dests:
                items.append(item("config", dest, f"content digest {check.recorded}", f"content digest {check.actual}"))
    return items


def replica_items(stage: str, target: str, running: int, expected: int) -> list[DriftItem]:
    """A container target whose replica count is not the release's."""
    if running == expected:
        return []
    return [DriftItem(stage, target, "container", "immutable", "replicas", "replicas", str(expected), str(running))]


def config_values(path: str, content: bytes | None) -> dict[str, str]:
    """`key = value` (or `key: value`, `KEY=value`) lines of a rendered config file, as parity facts."""
    if content is None or b"\0" in content:
        return {}
    values: dict[str, str] = {}
    section = ""
    for raw in content.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip() + "."
            continue
        for sep in ("=", ":"):
            key, found, value = line.partition(sep)
            if found and key.strip() and " " not in key.strip():
                values[f"config {path}: {section}{key.strip()}"] = value.strip()
                break
    return values
