"""copy: put content (inline, or a controller file the engine read) into a file on the host.

As Ansible's copy:
- `content` is inline text; with `src` the engine reads the controller file and passes its bytes in
  `_content` and its base name in `_src_name`. `src` and `content` are mutually exclusive.
- A `dest` ending in `/` or naming an existing directory gets the file inside it, named after `src`
  (inline content cannot go to a directory). A missing directory named with a trailing `/` is
  created; otherwise the destination's directory must exist.
- `force: false` leaves an existing destination alone, whatever its content.
- An existing file keeps its owner, group and mode unless `owner`, `group` or `mode` say otherwise.
- A symlink at the destination is replaced by a regular file when the content differs (Ansible's
  default `follow: false`); when the file it points to already has the content, the link stays and
  `owner`/`group`/`mode` apply to that file (its resolved path, with `chown -h`).
- A symlink is followed (to a directory, or to a file already holding the content) only when root owns
  it or its owner owns what it points to, as the kernel's protected_symlinks rule; otherwise the task
  fails rather than write or chown through a link a user may have planted.
- The file is written to a temporary file made with `mktemp`, given its owner, group and mode, then
  renamed over the destination (`mv -T`): a link or directory planted at the destination is replaced,
  never followed.
- `validate` (a command with `%s`) runs on the temporary file before it is renamed into place; when it
  fails, the task fails and the destination is unchanged (also with deployctl's `validate` on template
  and lineinfile; it runs only when the content is written, as in Ansible).
Not supported (refused as unknown parameters): backup, remote_src, follow, directory_mode,
local_follow, checksum, decrypt, unsafe_writes and SELinux attributes; `src` must be a file, not a
directory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.files import FileFact, FileInfo
from deployctl.modules.base import Action, Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.fileattrs import (
    ATTRIBUTE_PARAMS,
    WantedAttributes,
    attribute_changes,
    content_text,
    mode_facts,
    untrusted_link,
    write_actions,
    written_facts,
)
from deployctl.modules.planning import fact, failed, join_path, parent_dir, strip_trailing_slash
from deployctl.modules.values import validate_problem

COPY_PARAMS: Mapping[str, Param] = {
    "dest": Param("path", required=True),
    "src": Param("path"),
    "content": Param("str"),
    **ATTRIBUTE_PARAMS,
    "force": Param("bool", default=True, aliases=("thirsty",)),
    "validate": Param("str", check=validate_problem),
    "_content": Param("raw"),
    "_src_name": Param("str"),
}


def file_content_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The destination, its directory, and the file inside it when dest may be a directory."""
    return [*(FileFact(path) for path in _fact_paths(params)), *mode_facts(params)]


def _fact_paths(params: Mapping[str, Any]) -> list[str]:
    dest: str = params["dest"]
    name: str | None = params.get("_src_name")
    if dest.endswith("/"):
        directory = strip_trailing_slash(dest)
        return [directory, *([join_path(directory, name)] if name else [])]
    parent = parent_dir(dest)
    return [dest, *([parent] if parent else []), *([join_path(dest, name)] if name else [])]


def plan_copy(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan writing the content to the destination (see the module docstring for the rules)."""
    if params.get("content") is not None and params.get("src") is not None:
        return failed("src and content are mutually exclusive")
    content = _content_bytes(params.get("_content"), params.get("content"))
    if content is None:
        if params.get("src") is not None:
            return failed(f"src {params['src']} was not read on the controller (no _content)")
        return failed("src or content is required")
    return plan_file_content(params, facts, content)


def plan_file_content(params: Mapping[str, Any], facts: Mapping[str, Any], content: bytes) -> Plan:
    """Plan putting `content` at the destination named by `dest` (and `_src_name`): copy and template."""
    dest: str = params["dest"]
    name: str | None = params.get("_src_name")
    before: list[Action] = []
    invalidates: list[str] = []
    if dest.endswith("/"):
        directory = strip_trailing_slash(dest)
        if not name:
            return failed(f"dest {dest} is a directory: inline content needs a file name (use src)")
        seen = fact(facts, f"file:{directory}", FileInfo)
        if (problem := untrusted_link(seen)) is not None:
            return failed(problem)
        holder = seen.followed()
        if not holder.exists:
            before.append(RunCommand(("mkdir", "-p", "--", directory)))
            invalidates.append(f"file:{directory}")
        elif holder.type != "directory":
            return failed(f"dest {directory} exists and is not a directory")
        target = join_path(directory, name)
    elif fact(facts, f"file:{dest}", FileInfo).followed().type == "directory":
        if (problem := untrusted_link(fact(facts, f"file:{dest}", FileInfo))) is not None:
            return failed(problem)
        if not name:
            return failed(f"can not use content with a dir as dest ({dest})")
        target = join_path(dest, name)
    else:
        target = dest
        parent = parent_dir(dest)
        holder_seen = fact(facts, f"file:{parent}", FileInfo) if parent else None
        if holder_seen is not None and (problem := untrusted_link(holder_seen)) is not None:
            return failed(problem)
        container = holder_seen.followed() if holder_seen is not None else None
        if container is not None and not container.exists:
            return failed(f"Destination directory {parent} does not exist")
        if container is not None and container.type != "directory":
            return failed(f"Destination {parent} is not a directory")
    wanted = WantedAttributes.from_params(params, facts)
    target_info = fact(facts, f"file:{target}", FileInfo)
    return _plan_target(params, target_info, wanted, content, before, invalidates, facts)


def _plan_target(
    params: Mapping[str, Any],
    info: FileInfo,
    wanted: WantedAttributes,
    content: bytes,
    before: list[Action],
    invalidates: list[str],
    facts: Mapping[str, Any],
) -> Plan:
    target = info.path
    if info.exists and not params["force"]:
        return no_change(f"{target} exists and force is off", dest=target)
    current = info.followed()
    if current.type == "directory":
        return failed(f"{target} is a directory")
    if current.type == "other":
        return failed(f"{target} is not a regular file")
    if current.type == "file" and not current.readable:
        return failed(f"cannot read {target} to compare it (become root?)")
    invalidates = [*invalidates, f"file:{target}"]
    if current.path != target:
        invalidates.append(f"file:{current.path}")
    if current.type == "file" and current.sha256 == hashlib.sha256(content).hexdigest():
        if (problem := untrusted_link(info)) is not None:
            return failed(problem)
        changes = attribute_changes(current.path, current, wanted)
        if not changes.changed:
            return no_change(f"{target} is up to date", dest=target)
        return changes.plan(target, invalidates=invalidates, result={"dest": target}, before=before)
    # the file a planted link points to lends the new file nothing (owner, group, mode)
    baseline = current if current.type == "file" and untrusted_link(info) is None else None
    actions, changes = write_actions(target, content, baseline, wanted, validate=params.get("validate"))
    diffs = [Diff(resource=target, before=content_text(current.content, current), after=content_text(content))]
    if baseline is not None and changes.changed:
        diffs.append(changes.diff(target))
    if baseline is None:
        verb = "replace symlink" if info.type == "link" else "create"
        summary = f"{verb} {target} ({len(content)} bytes)"
    else:
        summary = f"update {target} ({len(content)} bytes)"
        if changes.changed:
            summary += f"; {changes.describe()}"
    return Plan(
        changed=True,
        summary=summary,
        actions=(*before, *actions),
        diffs=tuple(diffs),
        invalidates=tuple(invalidates),
        result={"dest": target},
        leaves=written_facts(actions, facts),
    )


def _content_bytes(resolved: Any, inline: Any) -> bytes | None:
    for value in (resolved, inline):
        if isinstance(value, bytes):
            return value
        if isinstance(value, str):
            return value.encode("utf-8")
    return None


COPY = Module(
    name="copy",
    params=COPY_PARAMS,
    facts=file_content_facts,
    plan=plan_copy,
    doc=__doc__ or "",
    effects_listed=True,
)
