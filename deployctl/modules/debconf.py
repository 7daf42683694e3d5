"""debconf: set a package's debconf answer (before installing it), as Ansible's debconf module does.

- The answers are read with `debconf-show NAME`; a `question` that is not there, or whose answer differs,
  is set with `debconf-set-selections` (`-u` with `unseen`), the line `NAME QUESTION VTYPE VALUE` on stdin.
- `boolean` answers compare lowercased (`value: true` is `true`); `multiselect` given as a list compares
  as a sorted set and is written comma-separated; a `password` is compared with what
  `debconf-get-selections` (debconf-utils) stores, through its sha256 (never read into deployctl), and is
  masked in diffs and summaries.
- Without `question`, nothing changes and the result's `current` lists the package's answers.
`name`, `question` and `value` are one line each (a newline would set a second answer); a value that is
not a list is written as text (Ansible fails on numbers; deployctl writes them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.debconf import DebconfFact, DebconfSelections
from deployctl.modules.base import Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.planning import fact, failed
from deployctl.modules.values import line_problem

VTYPES = ("boolean", "error", "multiselect", "note", "password", "seen", "select", "string", "text", "title")
MASK = "********"

DEBCONF_PARAMS: Mapping[str, Param] = {
    "name": Param("str", required=True, aliases=("pkg",), check=line_problem),
    "question": Param("str", aliases=("selection", "setting"), check=line_problem),
    "vtype": Param("str", choices=VTYPES),
    "value": Param("raw", aliases=("answer",), check=line_problem),
    "unseen": Param("bool", default=False),
}


def debconf_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The package's debconf answers."""
    return [DebconfFact(params["name"])]


def stored_password_sha256(selections: DebconfSelections, question: str, vtype: str) -> str | None:
    """Ansible's get_password_value, on hashes: the first short line of the package ends the search with ''."""
    for line in selections.password_lines or ():
        if line.fields <= 3:
            return hashlib.sha256(b"").hexdigest()
        if line.question == question and line.vtype == vtype:
            return line.value_sha256
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def plan_debconf(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan `debconf-set-selections` when the answer differs."""
    name: str = params["name"]
    question, vtype, value = params["question"], params["vtype"], params["value"]
    if (question is None) != (vtype is None) or (question is None) != (value is None):
        if question is not None:
            return failed("when supplying a question you must supply a valid vtype and value")
        return failed("parameters are required together: question, vtype, value")
    selections = fact(facts, f"debconf:{name}", DebconfSelections)
    if selections.answers is None:
        return failed(selections.error or f"debconf-show {name} failed (is debconf installed?)")
    if question is None:
        return no_change(f"{name}: no question to answer", current=dict(selections.answers))
    wanted: Any = _text(value).lower() if vtype == "boolean" else value
    secret = vtype == "password"
    changed = question not in selections.answers
    if not changed:
        existing: Any = selections.answers[question]
        if vtype == "boolean":
            existing = existing.lower()
        elif vtype == "multiselect" and isinstance(wanted, list):
            wanted = sorted(_text(item) for item in wanted)
            existing = sorted(item.strip() for item in existing.split(","))
        if secret:
            if selections.password_lines is None:
                return failed('Failed to find required executable "debconf-get-selections" (install debconf-utils)')
            stored = stored_password_sha256(selections, question, vtype)
            changed = stored != hashlib.sha256(_text(wanted).encode("utf-8")).hexdigest()
        else:
            changed = (wanted if isinstance(wanted, list) else _text(wanted)) != existing
    previous = selections.answers.get(question, "")
    if not changed:
        return no_change(
            f"{name} {question} is already {MASK if secret else previous}", current=dict(selections.answers)
        )
    written = ", ".join(_text(item) for item in wanted) if isinstance(wanted, list) else _text(wanted)
    shown = MASK if secret else written
    argv = ("debconf-set-selections", *(("-u",) if params["unseen"] else ()))
    return Plan(
        changed=True,
        summary=f"{name} {question} ({vtype}) set to {shown}",
        actions=(RunCommand(argv, stdin=f"{name} {question} {vtype} {written}\n".encode()),),
        diffs=(Diff(resource=f"debconf {name} {question}", before=MASK if secret else previous, after=shown),),
        invalidates=(f"debconf:{name}",),
        result={"current": {question: shown}, "previous": {question: MASK if secret else previous}, "msg": ""},
    )


DEBCONF = Module(
    name="debconf",
    params=DEBCONF_PARAMS,
    facts=debconf_facts,
    plan=plan_debconf,
    doc=__doc__ or "",
)
