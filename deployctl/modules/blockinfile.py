"""blockinfile: keep a block of lines between two marker lines in a file, as Ansible's blockinfile does.

The algorithm is ported from Ansible's module, byte for byte:
- The markers are `marker` with `{mark}` replaced by `marker_begin`/`marker_end` (`# BEGIN ANSIBLE
  MANAGED BLOCK`...). When both marker lines are in the file, the lines from one to the other are
  replaced by the block (the markers and `block`, which gets a final newline); otherwise the block is
  inserted after the last line matching `insertafter` (before the last line matching `insertbefore`),
  at BOF, or at EOF (the default, and the fallback when the expression matches no line). An expression
  with the inline flag `(?m)` is matched against the whole file instead, first match.
- An empty `block`, or `state: absent`, removes the markers and what is between them.
- `prepend_newline`/`append_newline` put a blank line before/after the block when the neighbouring line
  is not blank already (not at the start or end of the file).
- A missing file fails unless `create` (then its directory is created too); `state: absent` on a missing
  file changes nothing. A symlink is followed (see lineinfile); `backup` copies the file first.
- owner/group/mode are applied as in the file module, also when the block is already there.
Not supported (refused): validate, unsafe_writes, SELinux attributes; files larger than 256 KiB.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.files import FileFact, FileInfo
from deployctl.modules.base import Action, Module, Param, Plan, no_change
from deployctl.modules.fileattrs import ATTRIBUTE_PARAMS, WantedAttributes, mode_facts
from deployctl.modules.fileedit import backup_command, edited_file, mkdir_parent, plan_edit, regex_problems
from deployctl.modules.planning import fact, failed, parent_dir

BLOCKINFILE_PARAMS: Mapping[str, Param] = {
    "path": Param("path", required=True, aliases=("dest", "destfile", "name")),
    "state": Param("str", default="present", choices=("absent", "present")),
    "marker": Param("str", default="# {mark} ANSIBLE MANAGED BLOCK"),
    "block": Param("str", default="", aliases=("content",)),
    "insertafter": Param("str"),
    "insertbefore": Param("str"),
    "create": Param("bool", default=False),
    "backup": Param("bool", default=False),
    "marker_begin": Param("str", default="BEGIN"),
    "marker_end": Param("str", default="END"),
    "append_newline": Param("bool", default=False),
    "prepend_newline": Param("bool", default=False),
    **ATTRIBUTE_PARAMS,
}

_NEWLINE = b"\n"


def blockinfile_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The file, and its directory when it may be created."""
    facts: list[Fact[Any]] = [FileFact(params["path"])]
    parent = parent_dir(params["path"])
    if params["create"] and parent:
        facts.append(FileFact(parent))
    return [*facts, *mode_facts(params)]


def marker_line(marker: str, mark: str) -> bytes:
    """One marker line: `marker` with `{mark}` replaced (as Ansible's re.sub does) and a newline."""
    return re.sub(rb"{mark}", mark.encode("utf-8"), marker.encode("utf-8")) + _NEWLINE


def edited_lines(
    original: bytes,
    block: bytes,
    *,
    present: bool,
    markers: tuple[bytes, bytes],
    insertafter: str | None,
    insertbefore: str | None,
    prepend_newline: bool = False,
    append_newline: bool = False,
) -> bytes:
    """The file's content with the block in place (or removed), as Ansible's blockinfile computes it."""
    lines = original.splitlines(True)
    if insertbefore is None and insertafter is None:
        insertafter = "EOF"
    insert_re: re.Pattern[bytes] | None = None
    if insertafter not in (None, "EOF"):
        insert_re = re.compile(str(insertafter).encode("utf-8"))
    elif insertbefore not in (None, "BOF"):
        insert_re = re.compile(str(insertbefore).encode("utf-8"))
    begin, end = markers
    block_lines: list[bytes] = []
    if present and block:
        if not block.endswith(_NEWLINE):
            block += _NEWLINE
        block_lines = [begin, *block.splitlines(True), end]

    n0: int | None = None
    n1: int | None = None
    for number, line in enumerate(lines):
        if line == begin:
            n0 = number
        if line == end:
            n1 = number
    if n0 is None or n1 is None:
        n0 = _insert_position(original, lines, insert_re, insertafter, insertbefore)
    elif n0 < n1:
        lines[n0 : n1 + 1] = []
    else:
        lines[n1 : n0 + 1] = []
        n0 = n1

    if n0 > 0 and not lines[n0 - 1].endswith(_NEWLINE):
        lines[n0 - 1] += _NEWLINE
    if prepend_newline and present and n0 != 0 and lines[n0 - 1] != _NEWLINE:
        lines[n0:n0] = [_NEWLINE]
        n0 += 1
    lines[n0:n0] = block_lines
    if append_newline and present:
        after = n0 + len(block_lines)
        if after < len(lines) and lines[after] != _NEWLINE:
            lines[after:after] = [_NEWLINE]
    return b"".join(lines)


def _insert_position(
    original: bytes,
    lines: list[bytes],
    insert_re: re.Pattern[bytes] | None,
    insertafter: str | None,
    insertbefore: str | None,
) -> int:
    """Where a block not yet in the file goes (Ansible's n0 when the markers are missing)."""
    if insert_re is None:
        return 0 if insertbefore is not None else len(lines)
    position: int | None = None
    if insert_re.flags & re.MULTILINE:
        match = insert_re.search(original)
        if match:
            if insertafter:
                position = original.count(b"\n", 0, match.end())
            elif insertbefore:
                position = original.count(b"\n", 0, match.start())
    else:
        for number, line in enumerate(lines):
            if insert_re.search(line):
                position = number
    if position is None:
        return len(lines)
    return position + 1 if insertafter is not None else position


def _check_params(params: Mapping[str, Any]) -> str | None:
    if params["insertafter"] is not None and params["insertbefore"] is not None:
        return "parameters are mutually exclusive: insertbefore|insertafter"
    return regex_problems(params, ("insertafter", "insertbefore"))


def plan_blockinfile(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the block edit and the file's attributes."""
    if (problem := _check_params(params)) is not None:
        return failed(problem)
    path: str = params["path"]
    edited = edited_file(path, fact(facts, f"file:{path}", FileInfo), "blockinfile")
    if isinstance(edited, str):
        return failed(edited)
    present = params["state"] == "present"
    before: list[Action] = []
    invalidates: list[str] = []
    exists = edited.current.exists
    if not exists:
        if not params["create"]:
            return failed(f"Path {path} does not exist !")
        if not present:
            return no_change(f"{path}: file not present", path=path, msg=f"File {path} not present")
        parent = parent_dir(edited.write_path)
        if parent and not fact(facts, f"file:{parent}", FileInfo).followed().exists:
            before.append(mkdir_parent(parent))
            invalidates.append(f"file:{parent}")
    original = edited.current.content or b""
    markers = (
        marker_line(params["marker"], params["marker_begin"]),
        marker_line(params["marker"], params["marker_end"]),
    )
    result = edited_lines(
        original,
        params["block"].encode("utf-8"),
        present=present,
        markers=markers,
        insertafter=params["insertafter"],
        insertbefore=params["insertbefore"],
        prepend_newline=params["prepend_newline"],
        append_newline=params["append_newline"],
    )
    wanted = WantedAttributes.from_params(params, facts)
    if exists and result == original:
        return plan_edit(edited, None, "", wanted, unchanged="block already as wanted")
    message = "File created" if not exists else ("Block inserted" if present and params["block"] else "Block removed")
    if exists and params["backup"]:
        before.insert(0, backup_command(edited.write_path))
    return plan_edit(edited, result, message, wanted, before=before, invalidates=invalidates)


BLOCKINFILE = Module(
    name="blockinfile",
    params=BLOCKINFILE_PARAMS,
    facts=blockinfile_facts,
    plan=plan_blockinfile,
    doc=__doc__ or "",
)
