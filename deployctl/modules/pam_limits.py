"""pam_limits (community.general): set one limit of a PAM limits file, as that module does.

A port of community.general's pam_limits:
- The file (`dest`, default /etc/security/limits.conf) is read line by line; comment and blank lines and
  lines that do not have four fields are kept as they are. Every limit line's value is checked as the
  module checks it (a bad value already in the file fails the task).
- The line for `domain`, `limit_type` and `limit_item` gets `value` (with `use_max`/`use_min`, the larger
  or smaller of the two; unlimited counts as the largest), written `domain<TAB>type<TAB>item<TAB>value`
  with `<TAB>#comment` when there is a comment (a given `comment`, else the comment of a limit line read
  before it, as the module does); a missing line is appended.
- A missing file is created when its directory exists. `backup` copies the file first.
`domain` and `comment` are one line each; `value` is a number, `unlimited`, `infinity` or -1 (-20..19
for `nice` and `priority`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.files import FileFact, FileInfo
from deployctl.modules.base import Module, Param, Plan
from deployctl.modules.fileattrs import WantedAttributes
from deployctl.modules.fileedit import backup_command, edited_file, plan_edit
from deployctl.modules.lineinfile import split_lines
from deployctl.modules.planning import fact, failed, parent_dir
from deployctl.modules.values import line_problem

PAM_ITEMS = (
    "core",
    "data",
    "fsize",
    "memlock",
    "nofile",
    "rss",
    "stack",
    "cpu",
    "nproc",
    "as",
    "maxlogins",
    "maxsyslogins",
    "priority",
    "locks",
    "sigpending",
    "msgqueue",
    "nice",
    "rtprio",
    "chroot",
)
PAM_TYPES = ("soft", "hard", "-")
LIMITS_CONF = "/etc/security/limits.conf"
_UNLIMITED = ("unlimited", "infinity", "-1")
_SPACES = re.compile(r"\s+")

PAM_LIMITS_PARAMS: Mapping[str, Param] = {
    "domain": Param("str", required=True, check=line_problem),
    "limit_type": Param("str", required=True, choices=PAM_TYPES),
    "limit_item": Param("str", required=True, choices=PAM_ITEMS),
    "value": Param("str", required=True, check=line_problem),
    "use_max": Param("bool", default=False),
    "use_min": Param("bool", default=False),
    "backup": Param("bool", default=False),
    "dest": Param("str", default=LIMITS_CONF),
    "comment": Param("str", default="", check=line_problem),
}


def value_problem(item: str, value: str, prefix: str = "") -> str | None:
    """The module's check of a limit's value (`prefix` names the file for values read from it)."""
    if item in ("nice", "priority"):
        try:
            valid = -20 <= int(value) <= 19
        except ValueError:
            valid = False
        if not valid:
            return (
                f"{prefix} Value of {value!r} for item {item!r} is invalid. Value must be a number in the range "
                "-20 to 19 inclusive. Refer to the limits.conf(5) manual pages for more details."
            )
    elif not (value in _UNLIMITED or value.isdigit()):
        return (
            f"{prefix} Value of {value!r} for item {item!r} is invalid. Value must either be 'unlimited', "
            "'infinity' or -1, all of which indicate no limit, or a limit of 0 or larger. Refer to the "
            "limits.conf(5) manual pages for more details."
        )
    return None


@dataclass(frozen=True)
class LimitsEdit:
    """The file's new text, whether the module reports a change, its message (the limit's line), or a problem."""

    text: str = ""
    changed: bool = False
    message: str = ""
    problem: str | None = None


def edit_limits(lines: Sequence[str], params: Mapping[str, Any], path: str, created: bool) -> LimitsEdit:
    """The module's pass over the file's lines (each with its newline)."""
    domain, limit_type, limit_item = params["domain"], params["limit_type"], params["limit_item"]
    value: str = params["value"]
    new_comment: str = params["comment"]
    out: list[str] = []
    found, changed, message, new_value = False, created, "", value
    for line in lines:
        if line.startswith("#"):
            out.append(line)
            continue
        fields_text = _SPACES.sub(" ", line).strip()
        if not fields_text:
            out.append(line)
            continue
        fields_text = fields_text.split("#", 1)[0].rstrip()
        old_comment = line.split("#", 1)[1] if "#" in line else ""
        if not new_comment:
            new_comment = old_comment
        fields = fields_text.split(" ")
        if len(fields) != 4:
            out.append(line)
            continue
        line_domain, line_type, line_item, actual = fields
        problem = value_problem(line_item, actual, prefix=f"Invalid configuration found in '{path}'.")
        if problem is not None:
            return LimitsEdit(problem=problem)
        if (line_domain, line_type, line_item) != (domain, limit_type, limit_item):
            out.append(line)
            continue
        found = True
        if value == actual:
            message = line
            out.append(line)
            continue
        new_value = _combined(value, actual, line_type, params)
        if new_value != actual:
            changed = True
            if new_comment:
                new_comment = "\t#" + new_comment
            message = f"{domain}\t{limit_type}\t{limit_item}\t{new_value}{new_comment}\n"
            out.append(message)
        else:
            message = line
            out.append(line)
    if not found:
        changed = True
        if new_comment:
            new_comment = "\t#" + new_comment
        message = f"{domain}\t{limit_type}\t{limit_item}\t{new_value}{new_comment}\n"
        out.append(message)
    return LimitsEdit(text="".join(out), changed=changed, message=message)


def _combined(value: str, actual: str, line_type: str, params: Mapping[str, Any]) -> str:
    """The value to write with use_max/use_min (the module compares `line_type` with nice/priority: kept as is)."""
    actual_unlimited = value_unlimited = False
    if line_type not in ("nice", "priority"):
        actual_unlimited, value_unlimited = actual in _UNLIMITED, value in _UNLIMITED
    new_value = value
    if params["use_max"]:
        if actual_unlimited:
            new_value = actual
        elif value_unlimited:
            new_value = value
        else:
            new_value = str(max(int(value), int(actual)))
    if params["use_min"]:
        if actual_unlimited and value_unlimited:
            new_value = actual
        elif actual_unlimited:
            new_value = value
        elif value_unlimited:
            new_value = actual
        else:
            new_value = str(min(int(value), int(actual)))
    return new_value


def pam_limits_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The limits file and its directory."""
    facts: list[Fact[Any]] = [FileFact(params["dest"])]
    parent = parent_dir(params["dest"])
    if parent:
        facts.append(FileFact(parent))
    return facts


def plan_pam_limits(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the limit's line in the file."""
    path: str = params["dest"]
    edited = edited_file(path, fact(facts, f"file:{path}", FileInfo), "pam_limits")
    if isinstance(edited, str):
        return failed(edited)
    created = not edited.current.exists
    parent = parent_dir(edited.write_path)
    if created and (parent is None or fact(facts, f"file:{parent}", FileInfo).followed().type != "directory"):
        return failed(f"directory {parent} is not writable (check presence, access rights, use sudo)")
    if params["use_max"] and params["use_min"]:
        return failed("Cannot use use_min and use_max at the same time.")
    if (problem := value_problem(params["limit_item"], params["value"])) is not None:
        return failed(problem)
    try:
        lines = [line.decode("utf-8") for line in split_lines(edited.current.content or b"")]
    except UnicodeDecodeError:
        return failed(f"{path} is not UTF-8 text")
    edit = edit_limits(lines, params, path, created)
    if edit.problem is not None:
        return failed(edit.problem)
    limit = f"{params['domain']} {params['limit_type']} {params['limit_item']}"
    if not edit.changed:
        return plan_edit(edited, None, "", WantedAttributes(), unchanged=f"{limit} already set", msg=edit.message)
    before = (backup_command(edited.write_path),) if params["backup"] and not created else ()
    plan = plan_edit(edited, edit.text.encode("utf-8"), f"{limit} set", WantedAttributes(), before=before)
    return Plan(
        changed=plan.changed,
        summary=plan.summary,
        actions=plan.actions,
        diffs=plan.diffs,
        invalidates=plan.invalidates,
        result={**plan.result, "msg": edit.message},
    )


PAM_LIMITS = Module(
    name="pam_limits",
    params=PAM_LIMITS_PARAMS,
    facts=pam_limits_facts,
    plan=plan_pam_limits,
    doc=__doc__ or "",
)
