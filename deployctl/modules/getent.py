"""getent: read a name service database (passwd, group, hosts, services...) into the host's facts.

As Ansible's getent: the entries become the fact `getent_<database>` (also `ansible_facts.getent_<database>`),
a mapping of each entry's first field to its other fields, split on `:` for passwd, shadow, group and
gshadow and on blanks otherwise (or on `split`). A key found more than once maps to the list of its
entries. A `key` not found fails the task unless `fail_key: false` (then it maps to null). An unknown
database fails ("Missing arguments, or database unknown."), and so does one that cannot be listed
without a key. Never a change. `database`, `key` and `service` reach getent as operands after `--`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.getent import GetentFact, GetentOutput
from deployctl.modules.base import Module, Param, Plan, no_change
from deployctl.modules.planning import fact, failed
from deployctl.modules.values import line_problem

COLON_DATABASES = ("passwd", "shadow", "group", "gshadow")
"""Databases whose entries Ansible splits on `:` when `split` is not given."""


def database_problem(value: str) -> str | None:
    """A database name as getent takes it: a word of letters, digits, `_` and `-` (never an option)."""
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", value):
        return f"{value!r} is not a getent database name"
    return None


GETENT_PARAMS: Mapping[str, Param] = {
    "database": Param("str", required=True, check=database_problem),
    "key": Param("str", check=line_problem),
    "service": Param("str", check=database_problem),
    "split": Param("str"),
    "fail_key": Param("bool", default=True),
}

_FAILURES: Mapping[int, str] = {
    1: "Missing arguments, or database unknown.",
    2: "One or more supplied key could not be found in the database.",
    3: "Enumeration not supported on this database.",
}


def getent_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """getent's output for the database and key."""
    return [GetentFact(params["database"], params.get("key"), params.get("service"))]


def getent_entries(lines: Sequence[str], split: str | None) -> dict[str, Any]:
    """Ansible's parsing: first field -> other fields; a repeated first field -> the list of its entries."""
    entries: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for line in lines:
        record = line.split(split)
        name = record[0]
        if name in seen:
            if seen[name] == 1:
                entries[name] = [entries[name]]
            entries[name].append(record[1:])
            seen[name] += 1
        else:
            entries[name] = record[1:]
            seen[name] = 1
    return entries


def plan_getent(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Never a change: the entries as the fact `getent_<database>`, or the failure getent's exit code means."""
    database: str = params["database"]
    key: str | None = params.get("key")
    output = fact(facts, GetentFact(database, key, params.get("service")).key, GetentOutput)
    tree = f"getent_{database}"
    what = f"{database} {key}" if key is not None else database
    if output.exit_code == 0:
        split = params.get("split")
        if split is None and database in COLON_DATABASES:
            split = ":"
        entries = getent_entries(output.lines, split)
        return no_change(f"getent {what}: {len(entries)} entries", ansible_facts={tree: entries})
    if output.exit_code == 2 and not params["fail_key"] and key is not None:
        message = _FAILURES[2]
        return no_change(f"getent {what}: not found", ansible_facts={tree: {key: None}}, msg=message)
    if output.exit_code == 127:
        return failed("getent is not installed on the host")
    return failed(_FAILURES.get(output.exit_code, "Unexpected failure!"))


def getent_defines(args: Mapping[str, Any]) -> tuple[str, ...]:
    """The variable the task defines, `getent_<database>`, when the database is written as it is."""
    database = args.get("database")
    if isinstance(database, str) and database_problem(database) is None:
        return (f"getent_{database}",)
    return ()


GETENT = Module(
    name="getent",
    params=GETENT_PARAMS,
    facts=getent_facts,
    plan=plan_getent,
    defines=getent_defines,
    doc=__doc__ or "",
)
