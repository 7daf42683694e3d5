"""Planning an edit of a text file in place (replace, blockinfile): the checks on the file, then its new content
and attributes as one plan (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deployctl.facts.files import FileInfo
from deployctl.modules.base import Action, Diff, Plan, RunCommand, no_change
from deployctl.modules.fileattrs import (
    WantedAttributes,
    attribute_changes,
    content_text,
    untrusted_link,
    write_actions,
    written_facts,
)

ATTRIBUTES_CHANGED = "ownership, perms or SE linux context changed"
"""Ansible's message when only a file's owner, group or mode changed."""


@dataclass(frozen=True)
class EditedFile:
    """The file a task edits: its path as the task names it, where it is written (a symlink's target), and
    what is there now (the followed file; absent when there is none)."""

    path: str
    write_path: str
    current: FileInfo

    @property
    def invalidates(self) -> tuple[str, ...]:
        """The path facts that writing the file makes stale."""
        return tuple(dict.fromkeys((f"file:{self.path}", f"file:{self.write_path}")))


def edited_file(path: str, info: FileInfo, module: str) -> EditedFile | str:
    """The file to edit at `path` (its fact `info`), or why `module` cannot edit it."""
    if (problem := untrusted_link(info)) is not None:
        return problem
    current = info.followed()
    if current.type == "directory":
        return f"Path {path} is a directory !"
    if current.type == "other":
        return f"{path} is not a regular file"
    if current.exists and not current.readable:
        return f"cannot read {path} (become root?)"
    if current.exists and current.content is None:
        return f"{path} is larger than 256 KiB: {module} does not edit files that large"
    return EditedFile(path=path, write_path=current.path if info.type == "link" else path, current=current)


def plan_edit(
    edited: EditedFile,
    content: bytes | None,
    message: str,
    wanted: WantedAttributes,
    *,
    before: Sequence[Action] = (),
    invalidates: Sequence[str] = (),
    unchanged: str = "already as wanted",
    validate: str | None = None,
    **result: Any,
) -> Plan:
    """Write `content` (None: the content stays) and bring the attributes to `wanted`.

    `message` is the module's message for the content change; an attribute change adds Ansible's
    "ownership, perms or SE linux context changed" (after " and " when the content changes too).
    `before` runs first (mkdir of a created file's directory); `unchanged` is the no-op summary; `validate`
    (a command with `%s`) checks the new content before it replaces the file.
    """
    path, current = edited.path, edited.current
    baseline = current if current.exists else None
    keys = (*edited.invalidates, *invalidates)
    if content is None or (baseline is not None and content == current.content):
        changes = attribute_changes(edited.write_path, baseline, wanted)
        if baseline is None or not changes.changed:
            return no_change(f"{path}: {unchanged}", path=path, **result)
        return changes.plan(path, invalidates=keys, result={"path": path, **result, "msg": ATTRIBUTES_CHANGED})
    actions, changes = write_actions(edited.write_path, content, baseline, wanted, validate=validate)
    diffs = [Diff(resource=path, before=content_text(current.content, current), after=content_text(content))]
    summary = f"{path}: {message}" if baseline is not None else f"{path}: created, {message}"
    full_message = message
    if baseline is not None and changes.changed:
        diffs.append(changes.diff(path))
        summary += f"; {changes.describe()}"
        full_message += f" and {ATTRIBUTES_CHANGED}"
    elif baseline is None and _differs_from_new_file(wanted.resolved(None)):
        full_message += f" and {ATTRIBUTES_CHANGED}"
    return Plan(
        changed=True,
        summary=summary,
        actions=(*before, *actions),
        diffs=tuple(diffs),
        invalidates=keys,
        result={"path": path, **result, "msg": full_message},
        leaves=written_facts(actions),
    )


def _differs_from_new_file(wanted: WantedAttributes) -> bool:
    """Whether Ansible, having created a file (root's, mode 0644 under umask 022), changes its attributes."""
    return (
        wanted.mode not in (None, "0644")
        or wanted.owner not in (None, "root", "0")
        or wanted.group not in (None, "root", "0")
    )


def backup_command(path: str) -> RunCommand:
    """Copy `path` beside itself as Ansible's `backup` names it: `path.PID.YYYY-MM-DD@HH:MM:SS~` (host clock)."""
    script = 'cp -p -- "$1" "$1.$$.$(date +%Y-%m-%d@%H:%M:%S)~"'
    return RunCommand(("sh", "-c", script, "sh", path))


def mkdir_parent(parent: str) -> RunCommand:
    """`mkdir -p` of a created file's directory."""
    return RunCommand(("mkdir", "-p", "--", parent))


def regex_problems(params: Mapping[str, Any], names: Sequence[str]) -> str | None:
    """The first of `names` whose value is neither BOF/EOF nor a valid regular expression, as Ansible words it."""
    for name in names:
        value = params.get(name)
        if value is not None and value not in ("BOF", "EOF"):
            try:
                re.compile(value)
            except re.error as exc:
                return f"{name} is not a valid regular expression: {exc}"
    return None
