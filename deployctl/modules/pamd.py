"""pamd (community.general): remove the rules of a PAM service file, as that module does (`state: absent`).

A port of community.general's pamd for the state public roles use (the dev-sec hardening roles remove
`session optional pam_motd.so` from /etc/pam.d/sshd); its other states are refused when they load:
- The file `path`/`name` (default /etc/pam.d) is read; each line is a comment (`#` after blanks), an
  `@include`, a blank line, or a rule `type control module_path [args]` (a line that is none of these fails).
- Every rule whose type, control (`[value=action ...]` controls compared once normalised) and module path
  are those given is removed; the count is `change_count`.
- When something was removed, the file is written again as the module writes it: comments, includes and
  blank lines as they were, every rule re-spaced `type` (padded to 11) `control path args`, and a mark as
  the second line. The module's mark carries the time of the change (`# Updated by Ansible - <time>`), so
  no two runs write the same bytes; deployctl writes `# Updated by deployctl` and replaces either mark.
- The result is checked as the module checks it (rule types and controls), even when nothing changed.
`backup` copies the file first.
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
from deployctl.modules.planning import fact, failed, join_path
from deployctl.modules.values import line_problem

PAM_TYPES = ("account", "-account", "auth", "-auth", "password", "-password", "session", "-session")
PAM_STATES = ("absent", "after", "args_absent", "args_present", "before", "updated")
SUPPORTED_STATES = ("absent",)
SIMPLE_CONTROLS = ("required", "requisite", "sufficient", "optional", "include", "substack", "definitive")
CONTROL_VALUES = (
    "success",
    "open_err",
    "symbol_err",
    "service_err",
    "system_err",
    "buf_err",
    "perm_denied",
    "auth_err",
    "cred_insufficient",
    "authinfo_unavail",
    "user_unknown",
    "maxtries",
    "new_authtok_reqd",
    "acct_expired",
    "session_err",
    "cred_unavail",
    "cred_expired",
    "cred_err",
    "no_module_data",
    "conv_err",
    "authtok_err",
    "authtok_recover_err",
    "authtok_lock_busy",
    "authtok_disable_aging",
    "try_again",
    "ignore",
    "abort",
    "authtok_expired",
    "module_unknown",
    "bad_item",
    "conv_again",
    "incomplete",
    "default",
)
CONTROL_ACTIONS = ("ignore", "bad", "die", "ok", "done", "reset")
MARK = "# Updated by deployctl"
MARKS = ("# Updated by Ansible", MARK)
"""The second line the module writes (it adds the time); a mark already there is replaced, not repeated."""
_RULE = re.compile(
    r"""(?P<rule_type>-?(?:auth|account|session|password))\s+
    (?P<control>\[.*\]|\S*)\s+
    (?P<path>\S*)\s*
    (?P<args>.*)\s*""",
    re.X,
)
_ARG = re.compile(r"(\[.*\]|\S*)")


def state_problem(state: str) -> str | None:
    """Only `absent` is supported; the module's other states are refused."""
    if state in SUPPORTED_STATES:
        return None
    return f"state {state!r} is not supported (supported: {', '.join(SUPPORTED_STATES)})"


PAMD_PARAMS: Mapping[str, Param] = {
    "name": Param("str", required=True, check=line_problem),
    "type": Param("str", required=True, choices=PAM_TYPES),
    "control": Param("str", required=True, check=line_problem),
    "module_path": Param("str", required=True, check=line_problem),
    "new_type": Param("str", choices=PAM_TYPES),
    "new_control": Param("str"),
    "new_module_path": Param("str"),
    "module_arguments": Param("list"),
    "state": Param("str", default="updated", choices=PAM_STATES, check=state_problem),
    "path": Param("path", default="/etc/pam.d"),
    "backup": Param("bool", default=False),
}


def normal_control(control: str) -> str:
    """A control as the module compares and writes it: `[a = b  c=d]` gives `[a=b  c=d]`."""
    if control.startswith("["):
        return "[" + control.replace(" = ", "=").replace("[", "").replace("]", "") + "]"
    return control


@dataclass(frozen=True)
class PamRule:
    """One rule line: its type, control (normalised), module path and arguments."""

    type: str
    control: str
    path: str
    args: tuple[str, ...]

    def matches(self, wanted: tuple[str, str, str]) -> bool:
        """Whether the rule has this type, control (normalised) and module path."""
        return (self.type, self.control, self.path) == wanted

    def text(self) -> str:
        """The rule as the module writes it: the type padded to 11 columns, then single spaces."""
        words = " ".join((self.control, self.path, *self.args))
        return f"{self.type: <11}{words}"

    def problem(self) -> str | None:
        """The module's check of the rule's type and control."""
        line = self.text()
        if self.type not in PAM_TYPES:
            return f"Rule type, {self.type}, is not valid in rule {line}"
        if not self.control.startswith("["):
            valid = self.control in SIMPLE_CONTROLS
            return None if valid else f"Rule control, {self.control}, is not valid in rule {line}"
        for control in self.control[1:-1].split(" "):
            value, _, action = control.partition("=")
            if value not in CONTROL_VALUES:
                return f"Rule control value, {value}, is not valid in rule {line}"
            if action not in CONTROL_ACTIONS and not action.isdigit():
                return f"Rule control action, {action}, is not valid in rule {line}"
        return None


PamLine = PamRule | str
"""A rule, or a comment, `@include` or blank line kept as written."""


def parse_service(text: str) -> list[PamLine] | str:
    """The file's lines as the module reads them, or the line it cannot read."""
    lines: list[PamLine] = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("#", "@include")) or not line.strip():
            lines.append(line)
            continue
        found = _RULE.search(line)
        if found is None:
            return f"cannot read the PAM rule {line!r}"
        args = tuple(item for item in _ARG.findall(found.group("args")) if item)
        control = normal_control(found.group("control"))
        lines.append(PamRule(found.group("rule_type"), control, found.group("path"), args))
    return lines


def service_problem(lines: Sequence[PamLine]) -> str | None:
    """The first line the module finds invalid (a comment or include must start its line)."""
    for line in lines:
        if isinstance(line, PamRule):
            if (problem := line.problem()) is not None:
                return problem
        elif line.strip() and not line.startswith(("#", "@include")):
            return f"Rule is not valid {line}"
    return None


def service_text(lines: Sequence[PamLine]) -> str:
    """The file as the module writes it: each line, with the mark as the second line."""
    texts = [line.text() if isinstance(line, PamRule) else line for line in lines]
    if len(texts) <= 1:
        texts[:0] = ["", MARK]
    elif texts[1].startswith(MARKS):
        texts[1] = MARK
    else:
        texts.insert(1, MARK)
    return "\n".join(texts) + "\n"


def pamd_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The service file."""
    return [FileFact(join_path(params["path"], params["name"]))]


def plan_pamd(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the removal of the matching rules."""
    path = join_path(params["path"], params["name"])
    edited = edited_file(path, fact(facts, f"file:{path}", FileInfo), "pamd")
    if isinstance(edited, str):
        return failed(edited)
    if not edited.current.exists:
        return failed(f"Unable to open/read PAM module file {path} with error [Errno 2] No such file or directory.")
    try:
        parsed = parse_service((edited.current.content or b"").decode("utf-8"))
    except UnicodeDecodeError:
        return failed(f"{path} is not UTF-8 text")
    if isinstance(parsed, str):
        return failed(parsed)
    wanted = (params["type"], normal_control(params["control"]), params["module_path"])
    kept = [line for line in parsed if not (isinstance(line, PamRule) and line.matches(wanted))]
    removed = len(parsed) - len(kept)
    if (problem := service_problem(kept)) is not None:
        return failed(problem)
    rule = " ".join(wanted)
    if not removed:
        return plan_edit(edited, None, "", WantedAttributes(), unchanged=f"no rule {rule}", change_count=0)
    before = (backup_command(edited.write_path),) if params["backup"] else ()
    content = service_text(kept).encode("utf-8")
    plan = plan_edit(edited, content, f"{removed} rule(s) {rule} removed", WantedAttributes(), before=before)
    return Plan(
        changed=plan.changed,
        summary=plan.summary,
        actions=plan.actions,
        diffs=plan.diffs,
        invalidates=plan.invalidates,
        result={**plan.result, "change_count": removed},
    )


PAMD = Module(
    name="pamd",
    params=PAMD_PARAMS,
    facts=pamd_facts,
    plan=plan_pamd,
    doc=__doc__ or "",
)
