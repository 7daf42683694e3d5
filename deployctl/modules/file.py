"""file: make a path a file, directory or symlink with given attributes, touch it, or remove it.

As Ansible's file module (with its default `follow: true`):
- A symlink at `path` is followed once, when the facts are read: owner, group and mode then apply to
  the path it resolved to, with `chown -h`, so a link planted there later is not followed. A link owned
  by a user other than root and the owner of its target is not followed at all (the task fails), as
  the kernel's protected_symlinks rule.
- `state` defaults to what the path already is (file or directory, after following symlinks), or to
  `directory` with `recurse`, else `file`. `file` never creates: a missing path fails, as in Ansible.
- `directory` creates missing parents (`mkdir -p`); owner/group/mode apply to the leaf only (Ansible
  also applies them to the parents it creates). With `recurse`, only the directory itself is compared
  and, when it differs, `chown -R`/`chmod -R` apply the attributes to everything below it.
- `link` points `path` at `src` (relative to the link's directory when relative). An existing link is
  re-pointed; a file is replaced only with `force`; a directory is never replaced. A missing `src`
  needs `force`. With `follow` (the default), owner, group and mode apply to the file the link leads
  to, and nothing is applied when it leads nowhere (Ansible warns there). With `follow: false`,
  owner/group apply to the link itself (`chown -h`) and `mode` changes nothing: Linux has no lchmod,
  and Ansible restores the target's mode after trying.
- `touch` creates the file or updates its times: a change, as in Ansible, unless both `modification_time` and
  `access_time` are `preserve` (then only a missing file or differing attributes change).
- `modification_time`/`access_time`: `preserve` (the default but for touch) or `now` (touch's default; on a file
  or directory, `touch -c` sets it: always a change).
- `absent` removes the path, recursively for directories.
Not supported (refused): state=hard, explicit times for access_time and modification_time, unsafe_writes,
SELinux attributes, symbolic modes with `recurse`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.files import FileFact, FileInfo
from deployctl.modules.base import Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.fileattrs import (
    ATTRIBUTE_PARAMS,
    AttributeChanges,
    WantedAttributes,
    attribute_changes,
    created_directory,
    mode_facts,
    untrusted_link,
)
from deployctl.modules.planning import fact, failed, join_path, parent_dir

FILE_PARAMS: Mapping[str, Param] = {
    "path": Param("path", required=True, aliases=("dest", "name")),
    "state": Param("str", choices=("file", "directory", "link", "touch", "absent")),
    **ATTRIBUTE_PARAMS,
    "src": Param("path"),
    "recurse": Param("bool", default=False),
    "force": Param("bool", default=False),
    "follow": Param("bool", default=True),
    "modification_time": Param("str", check=lambda value: time_problem("modification_time", value)),
    "modification_time_format": Param("str", default="%Y%m%d%H%M.%S"),
    "access_time": Param("str", check=lambda value: time_problem("access_time", value)),
    "access_time_format": Param("str", default="%Y%m%d%H%M.%S"),
}
TIME_WORDS = ("preserve", "now")


def time_problem(name: str, value: str) -> str | None:
    """Only `preserve` and `now` are supported; explicit times are refused."""
    if value in TIME_WORDS:
        return None
    return f"{name} {value!r} is not supported (supported: preserve, now)"


def touched_times(params: Mapping[str, Any], state: str) -> tuple[str, ...] | None:
    """touch's options for the times the task sets now (`()`: both), None when both are preserved.

    As Ansible, an unset time is `now` for state touch and `preserve` otherwise."""
    default = "now" if state == "touch" else "preserve"
    modification = params.get("modification_time") or default
    access = params.get("access_time") or default
    if modification == access == "preserve":
        return None
    if modification == access:
        return ()
    return ("-m",) if modification == "now" else ("-a",)


def link_source(path: str, src: str) -> str:
    """Where a symlink at `path` pointing to `src` leads (a relative `src` is relative to the link)."""
    if src.startswith("/"):
        return src
    return join_path(parent_dir(path) or ".", src)


def file_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The path, and for a link the path its source resolves to."""
    facts: list[Fact[Any]] = [FileFact(params["path"])]
    if params.get("state") == "link" and params.get("src"):
        source = link_source(params["path"], params["src"])
        if source != params["path"]:
            facts.append(FileFact(source))
    return [*facts, *mode_facts(params)]


def plan_file(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the path's state and attributes (see the module docstring for the rules)."""
    path: str = params["path"]
    info = fact(facts, f"file:{path}", FileInfo)
    state: str = params.get("state") or _default_state(info, params["recurse"])
    if params["recurse"] and state != "directory":
        return failed("recurse option requires state to be 'directory'")
    if params.get("src") is not None and state != "link":
        return failed(f"src is only used with state=link (state is {state})")
    if not params["follow"] and state != "link":
        return failed(f"follow=false is supported only with state=link (state is {state})")
    wanted = WantedAttributes.from_params(params, facts)
    if params["recurse"] and wanted.symbolic:
        return failed(f"symbolic mode {wanted.mode} with recurse is not supported: give an octal mode")
    if state == "absent":
        return _plan_absent(path, info)
    if state != "link" and (problem := untrusted_link(info)) is not None:
        return failed(problem)
    times = touched_times(params, state)
    if state == "directory":
        return _with_times(_plan_directory(path, info, wanted, params["recurse"]), path, times)
    if state == "file":
        return _with_times(_plan_existing_file(path, info, wanted), path, times)
    if state == "touch":
        return _plan_touch(path, info, wanted, times)
    if times is not None:
        return failed("modification_time and access_time 'now' on a link are not supported")
    return _plan_link(path, info, params, facts, wanted)


def _with_times(plan: Plan, path: str, times: tuple[str, ...] | None) -> Plan:
    """The plan, then the times set to now (`touch -c`): always a change, as in Ansible."""
    if times is None or plan.failed is not None:
        return plan
    touch = RunCommand(("touch", "-c", *times, "--", path))
    diff = Diff(resource=path, before="times", after="times set to now")
    return Plan(
        changed=True,
        summary=f"{plan.summary}; times set to now" if plan.changed else f"{path}: times set to now",
        actions=(*plan.actions, touch),
        diffs=(*plan.diffs, diff),
        invalidates=plan.invalidates or (f"file:{path}",),
        result=plan.result,
    )


def _default_state(info: FileInfo, recurse: bool) -> str:
    current = info.followed()
    if current.type == "directory":
        return "directory"
    if current.exists:
        return "file"
    return "directory" if recurse else "file"


def _result(path: str, state: str) -> dict[str, Any]:
    return {"path": path, "state": state}


def _plan_absent(path: str, info: FileInfo) -> Plan:
    if not info.exists:
        return no_change(f"{path} is already absent", **_result(path, "absent"))
    return Plan(
        changed=True,
        summary=f"remove {info.type} {path}",
        actions=(RunCommand(("rm", "-rf", "--", path)),),
        diffs=(Diff(resource=path, before=f"state: {info.type}", after="state: absent"),),
        invalidates=(f"file:{path}",),
        result=_result(path, "absent"),
    )


def _plan_directory(path: str, info: FileInfo, wanted: WantedAttributes, recurse: bool) -> Plan:
    current = info.followed()
    if current.exists and current.type != "directory":
        return failed(f"{path} already exists as a {current.type}")
    if info.type == "link" and not current.exists:
        return failed(f"{path} is a dangling symlink")
    if not current.exists:
        changes = attribute_changes(path, None, wanted, directory=True)
        return Plan(
            changed=True,
            summary=f"create directory {path}",
            actions=(RunCommand(("mkdir", "-p", "--", path)), *changes.commands),
            diffs=(Diff(resource=path, before="state: absent", after="state: directory"),),
            invalidates=(f"file:{path}",),
            result=_result(path, "directory"),
            leaves=created_directory(path, wanted),
        )
    changes = attribute_changes(current.path, current, wanted, recurse=recurse)
    return _attributes_plan(path, info, current, changes, "directory")


def _plan_existing_file(path: str, info: FileInfo, wanted: WantedAttributes) -> Plan:
    current = info.followed()
    if not current.exists:
        return failed(f"file ({path}) is absent, cannot continue")
    if current.type == "directory":
        return failed(f"file ({path}) is directory, cannot continue")
    changes = attribute_changes(current.path, current, wanted)
    return _attributes_plan(path, info, current, changes, "file")


def _attributes_plan(path: str, info: FileInfo, current: FileInfo, changes: AttributeChanges, state: str) -> Plan:
    if not changes.changed:
        return no_change(f"{path} is already a {state} with these attributes", **_result(path, state))
    return changes.plan(
        path, invalidates=tuple(dict.fromkeys((f"file:{path}", f"file:{current.path}"))), result=_result(path, state)
    )


def _plan_touch(path: str, info: FileInfo, wanted: WantedAttributes, times: tuple[str, ...] | None) -> Plan:
    current = info.followed()
    if current.exists and times is None:  # both times preserved: only the attributes may change
        changes = attribute_changes(current.path, current, wanted)
        return _attributes_plan(path, info, current, changes, current.type)
    changes = attribute_changes(current.path if current.exists else path, current if current.exists else None, wanted)
    summary = f"touch {path}" if current.exists else f"create empty file {path}"
    if current.exists and changes.changed:
        summary += f"; {changes.describe()}"
    diffs = [Diff(resource=path, before=f"state: {current.type}", after=f"state: {current.type}, times updated")]
    if not current.exists:
        diffs = [Diff(resource=path, before="state: absent", after="state: file")]
    elif changes.changed:
        diffs.append(changes.diff(path))
    return Plan(
        changed=True,
        summary=summary,
        actions=(RunCommand(("touch", *(times if current.exists and times else ()), "--", path)), *changes.commands),
        diffs=tuple(diffs),
        invalidates=tuple(dict.fromkeys((f"file:{path}", f"file:{current.path}"))),
        result=_result(path, "file" if not current.exists else current.type),
    )


def _plan_link(
    path: str, info: FileInfo, params: Mapping[str, Any], facts: Mapping[str, Any], wanted: WantedAttributes
) -> Plan:
    src: str | None = params.get("src")
    if not src:
        return failed("src is required for state=link")
    force: bool = params["force"]
    source = link_source(path, src)
    source_info = fact(facts, f"file:{source}", FileInfo) if source != path else FileInfo(path, "absent")
    if source != path and not force and not source_info.followed().exists:
        return failed(f"src file does not exist, use force=yes if you really want to create the link: {source}")
    if info.type == "directory":
        return failed(f"refusing to replace directory {path} with a symlink")
    if info.type in ("file", "other") and not force:
        return failed(f"refusing to convert from {info.type} to symlink for {path}")
    linked = info.type == "link" and info.link_target == src
    attributes = _link_attributes(path, info if linked else None, source_info, wanted, params["follow"])
    if isinstance(attributes, str):
        return failed(attributes)
    changes, changed_path = attributes
    result = {**_result(path, "link"), "src": src}
    invalidates: tuple[str, ...] = (f"file:{path}",)
    if changes.changed and changed_path != path:
        invalidates = tuple(dict.fromkeys((*invalidates, f"file:{changed_path}", f"file:{source}")))
    if linked:
        if not changes.changed:
            return no_change(f"{path} already links to {src}", **result)
        return changes.plan(changed_path, invalidates=invalidates, result=result)
    before = "state: absent"
    if info.type == "link":
        before = f"symlink to {info.link_target}"
    elif info.exists:
        before = f"state: {info.type}"
    link = ("ln", "-s", "-f", "-n", "--", src, path) if info.exists else ("ln", "-s", "--", src, path)
    summary = f"link {path} -> {src}"
    diffs = [Diff(resource=path, before=before, after=f"symlink to {src}")]
    if changes.changed and changed_path != path:
        summary += f"; {changed_path}: {changes.describe()}"
        diffs.append(changes.diff(changed_path))
    return Plan(
        changed=True,
        summary=summary,
        actions=(RunCommand(link), *changes.commands),
        diffs=tuple(diffs),
        invalidates=invalidates if changed_path != path else (f"file:{path}",),
        result=result,
    )


def _link_attributes(
    path: str, link: FileInfo | None, source: FileInfo, wanted: WantedAttributes, follow: bool
) -> tuple[AttributeChanges, str] | str:
    """The attribute changes of a link task and the path they apply to, or why they cannot apply.

    `link` is the link already in place (None: this plan makes it). Following, they apply to the file
    the source leads to (none when it leads nowhere); else owner/group apply to the link, mode to nothing.
    """
    if not follow:
        return attribute_changes(path, link, WantedAttributes(owner=wanted.owner, group=wanted.group)), path
    target = source.followed()
    if not target.exists:
        return attribute_changes(path, None, WantedAttributes()), path
    if wanted != WantedAttributes() and (problem := untrusted_link(source)) is not None:
        return problem
    return attribute_changes(target.path, target, wanted), target.path


FILE = Module(
    name="file",
    params=FILE_PARAMS,
    facts=file_facts,
    plan=plan_file,
    doc=__doc__ or "",
    effects_listed=True,
)
