"""lineinfile: make sure one line is in a file (or that matching lines are not), as Ansible does.

The line placement follows Ansible's lineinfile exactly (the algorithm is ported from it):
- `regexp` (or `search_string`) finds the line to replace: the last match, or the first with
  `firstmatch`. Only when nothing matches is `line` looked up as is; a line already present is left
  alone, otherwise it is inserted after the last line matching `insertafter` (before the last line
  matching `insertbefore`; the first one with `firstmatch`), at BOF, or at EOF (the default, and the
  fallback when the insertafter/insertbefore expression matches nothing).
- `backrefs` expands `\\1` groups of `regexp` in `line`, and does nothing when `regexp` does not match.
- `state: absent` removes every line matching `regexp`, containing `search_string`, or equal to `line`.
- A missing file fails unless `create` (then its directory is created too). Symlinks are followed:
  the file they point to is edited, unless the link is owned by a user other than root and the
  owner of its target (then the task fails, as the kernel's protected_symlinks rule).
  owner/group/mode are applied as in the file module.
`line` must be one line (no newline, carriage return or NUL; checked at load time when literal):
Ansible would write several lines and report a change on every run.
Files larger than 256 KiB are not read by the file fact and are refused.
`validate` (a command with `%s`) checks the edited file before it replaces the original; when it fails, the
task fails and the file is unchanged.
Not supported (refused): backup, unsafe_writes, SELinux attributes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.files import FileFact, FileInfo
from deployctl.modules.base import Action, Module, Param, Plan, no_change
from deployctl.modules.fileattrs import ATTRIBUTE_PARAMS, WantedAttributes, mode_facts
from deployctl.modules.fileedit import edited_file, mkdir_parent, plan_edit, regex_problems
from deployctl.modules.planning import fact, failed, parent_dir
from deployctl.modules.values import line_problem, validate_problem

LINEINFILE_PARAMS: Mapping[str, Param] = {
    "path": Param("path", required=True, aliases=("dest", "destfile", "name")),
    "state": Param("str", default="present", choices=("present", "absent")),
    "line": Param("str", aliases=("value",), check=line_problem),
    "regexp": Param("str", aliases=("regex",)),
    "search_string": Param("str"),
    "insertafter": Param("str"),
    "insertbefore": Param("str"),
    "backrefs": Param("bool", default=False),
    "firstmatch": Param("bool", default=False),
    "create": Param("bool", default=False),
    "validate": Param("str", check=validate_problem),
    **ATTRIBUTE_PARAMS,
}

_LINESEP = b"\n"


@dataclass(frozen=True)
class LineEdit:
    """The file's lines after the edit, and Ansible's message for it ("" when nothing changed)."""

    lines: tuple[bytes, ...]
    message: str

    @property
    def changed(self) -> bool:
        return bool(self.message)


def split_lines(content: bytes) -> list[bytes]:
    """Lines with their endings, as readlines() returns them from a file opened in binary (split on LF only)."""
    parts = content.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def ensure_present(
    lines: Sequence[bytes],
    line: bytes,
    *,
    regexp: bytes | None = None,
    search_string: bytes | None = None,
    insertafter: bytes | None = None,
    insertbefore: bytes | None = None,
    backrefs: bool = False,
    firstmatch: bool = False,
) -> LineEdit:
    """Ansible's lineinfile `present()`; `insertafter` should be b"EOF" when neither insert is given."""
    result = list(lines)
    pattern = re.compile(regexp) if regexp is not None else None
    insert_pattern: re.Pattern[bytes] | None = None
    if insertafter not in (None, b"BOF", b"EOF"):
        assert insertafter is not None
        insert_pattern = re.compile(insertafter)
    elif insertbefore not in (None, b"BOF"):
        assert insertbefore is not None
        insert_pattern = re.compile(insertbefore)

    found, inserting_at = -1, -1
    match: re.Match[bytes] | bool | None = None
    if pattern is not None:
        for number, current in enumerate(result):
            regexp_match = pattern.search(current)
            if regexp_match:
                found, match = number, regexp_match
                if firstmatch:
                    break
    if search_string is not None:
        for number, current in enumerate(result):
            if search_string in current:
                found, match = number, True
                if firstmatch:
                    break
    if not match:
        for number, current in enumerate(result):
            if line == current.rstrip(b"\r\n"):
                found = number
            elif insert_pattern is not None and insert_pattern.search(current):
                if insertafter:
                    inserting_at = number + 1
                    if firstmatch:
                        break
                if insertbefore:
                    inserting_at = number
                    if firstmatch:
                        break

    if found != -1:
        new_line = match.expand(line) if backrefs and isinstance(match, re.Match) else line
        if not new_line.endswith(_LINESEP):
            new_line += _LINESEP
        if result[found] != new_line:
            result[found] = new_line
            return LineEdit(tuple(result), "line replaced")
        return LineEdit(tuple(result), "")
    if backrefs:
        return LineEdit(tuple(result), "")
    if insertbefore == b"BOF" or insertafter == b"BOF":
        result.insert(0, line + _LINESEP)
    elif insertafter == b"EOF" or inserting_at == -1:
        if result and result[-1][-1:] not in (b"\n", b"\r"):
            result.append(_LINESEP)
        result.append(line + _LINESEP)
    elif insertafter and inserting_at != -1:
        if len(result) == inserting_at:
            if result[inserting_at - 1].rstrip(b"\r\n") == line:
                return LineEdit(tuple(result), "")
            result.append(line + _LINESEP)
        elif line == result[inserting_at].rstrip(b"\n\r"):
            return LineEdit(tuple(result), "")
        else:
            result.insert(inserting_at, line + _LINESEP)
    else:
        result.insert(inserting_at, line + _LINESEP)
    return LineEdit(tuple(result), "line added")


def ensure_absent(
    lines: Sequence[bytes],
    *,
    line: bytes | None = None,
    regexp: bytes | None = None,
    search_string: bytes | None = None,
) -> LineEdit:
    """Ansible's lineinfile `absent()`: drop every line matching regexp, search_string or equal to line."""
    pattern = re.compile(regexp) if regexp is not None else None
    kept: list[bytes] = []
    removed = 0
    for current in lines:
        if pattern is not None:
            matched = bool(pattern.search(current))
        elif search_string is not None:
            matched = search_string in current
        else:
            matched = line == current.rstrip(b"\r\n")
        if matched:
            removed += 1
        else:
            kept.append(current)
    return LineEdit(tuple(kept), f"{removed} line(s) removed" if removed else "")


def lineinfile_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The file, and its directory when it may be created."""
    facts: list[Fact[Any]] = [FileFact(params["path"])]
    parent = parent_dir(params["path"])
    if params["create"] and parent:
        facts.append(FileFact(parent))
    return [*facts, *mode_facts(params)]


def _encode(value: str | None) -> bytes | None:
    return value.encode("utf-8") if value is not None else None


def _check_params(params: Mapping[str, Any]) -> str | None:
    if params.get("insertafter") is not None and params.get("insertbefore") is not None:
        return "insertafter and insertbefore are mutually exclusive"
    if params.get("regexp") is not None and params.get("search_string") is not None:
        return "regexp and search_string are mutually exclusive"
    if params["backrefs"] and params.get("search_string") is not None:
        return "backrefs and search_string are mutually exclusive"
    if params["state"] == "present":
        if params["backrefs"] and params.get("regexp") is None:
            return "regexp is required with backrefs=true"
        if params.get("line") is None:
            return "line is required with state=present"
    elif (params.get("regexp"), params.get("search_string"), params.get("line")) == (None, None, None):
        return "one of line, search_string, or regexp is required with state=absent"
    return regex_problems(params, ("regexp", "insertafter", "insertbefore"))


def plan_lineinfile(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the line edit and the file's attributes."""
    problem = _check_params(params)
    if problem is not None:
        return failed(problem)
    path: str = params["path"]
    edited = edited_file(path, fact(facts, f"file:{path}", FileInfo), "lineinfile")
    if isinstance(edited, str):
        return failed(edited)
    current = edited.current
    before: list[Action] = []
    invalidates: list[str] = []
    if params["state"] == "absent":
        if not current.exists:
            return no_change(f"{path}: file not present", path=path)
        edit = ensure_absent(
            split_lines(current.content or b""),
            line=_encode(params.get("line")),
            regexp=_encode(params.get("regexp")),
            search_string=_encode(params.get("search_string")),
        )
    else:
        if not current.exists:
            if not params["create"]:
                return failed(f"Destination {path} does not exist !")
            parent = parent_dir(edited.write_path)
            if parent and not fact(facts, f"file:{parent}", FileInfo).followed().exists:
                before.append(mkdir_parent(parent))
                invalidates.append(f"file:{parent}")
        insertafter, insertbefore = params.get("insertafter"), params.get("insertbefore")
        if insertafter is None and insertbefore is None:
            insertafter = "EOF"
        edit = ensure_present(
            split_lines(current.content or b""),
            params["line"].encode("utf-8"),
            regexp=_encode(params.get("regexp")),
            search_string=_encode(params.get("search_string")),
            insertafter=_encode(insertafter),
            insertbefore=_encode(insertbefore),
            backrefs=params["backrefs"],
            firstmatch=params["firstmatch"],
        )
    content = b"".join(edit.lines) if edit.changed else None
    wanted = WantedAttributes.from_params(params, facts)
    return plan_edit(
        edited,
        content,
        edit.message,
        wanted,
        before=before,
        invalidates=invalidates,
        unchanged="line already as wanted",
        validate=params.get("validate"),
    )


LINEINFILE = Module(
    name="lineinfile",
    params=LINEINFILE_PARAMS,
    facts=lineinfile_facts,
    plan=plan_lineinfile,
    doc=__doc__ or "",
    effects_listed=True,
)
