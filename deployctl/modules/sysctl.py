"""sysctl: set a kernel parameter in a sysctl file and, optionally, in the running kernel.

A port of Ansible's (ansible.posix) sysctl module logic:
- `value` is normalised as Ansible does: booleans and yes/no/true/false/on/off become 1/0, numbers
  become strings, surrounding blanks are dropped.
- The file entry (its last `name = value` line) is compared as a string; the running value
  (`sysctl -n`) is compared field by field, ignoring blanks.
- When the file must change, Ansible rewrites it whole: every line stripped, every `key = value`
  line written as `key=value`, later duplicates of a key dropped, the entry replaced in place (or
  appended). This module writes the same file, through a symlink if the path is one.
- `reload` (default true) runs `sysctl -p FILE` whenever the task changes something; when the file
  already matches, a running value that differs is also a change (fixed by the reload).
  `sysctl_set` writes the running value with `sysctl -w` first.
- `state: absent` removes the key from the file (the running value is left alone).
- A key the host cannot read (`sysctl -n` fails) fails the plan when it would be set or reloaded,
  unless `ignoreerrors` (then `sysctl -e` is used), as Ansible's reload would fail.
- `name` is one word without `=` that does not start with `-`, and `value` is one line: a newline
  would add a second setting to the file (both checked at load time when literal).
Not supported (refused): platforms other than Linux procps (BSD reload scripts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.files import FileFact, FileInfo
from deployctl.facts.sysctl import SysctlFact
from deployctl.modules.base import Action, Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.fileattrs import WantedAttributes, content_text, untrusted_link, write_actions
from deployctl.modules.params import BOOLEANS_FALSE, BOOLEANS_TRUE
from deployctl.modules.planning import fact, failed
from deployctl.modules.values import line_problem, sysctl_name_problem

SYSCTL_PARAMS: Mapping[str, Param] = {
    "name": Param("str", required=True, aliases=("key",), check=sysctl_name_problem),
    "value": Param("raw", aliases=("val",), check=line_problem),
    "state": Param("str", default="present", choices=("present", "absent")),
    "sysctl_file": Param("path", default="/etc/sysctl.conf"),
    "reload": Param("bool", default=True),
    "sysctl_set": Param("bool", default=False),
    "ignoreerrors": Param("bool", default=False),
}


def normalise_value(value: Any) -> str:
    """Ansible's `_parse_value`: None -> "", booleans and their spellings -> "1"/"0", others stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        if value.lower() in BOOLEANS_TRUE:
            return "1"
        if value.lower() in BOOLEANS_FALSE:
            return "0"
        return value.strip()
    return str(value)


def values_equal(running: str | None, wanted: str) -> bool:
    """Ansible's `_values_is_equal`: the same whitespace-separated fields (None never equals)."""
    return running is not None and running.split() == wanted.split()


@dataclass(frozen=True)
class SysctlFile:
    """A sysctl file as Ansible reads it: stripped lines and the last value of each key."""

    lines: tuple[str, ...]
    values: Mapping[str, str]

    @classmethod
    def parse(cls, text: str) -> SysctlFile:
        lines: list[str] = []
        values: dict[str, str] = {}
        for raw in text.splitlines():
            line = raw.strip()
            lines.append(line)
            if _is_entry(line):
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
        return cls(tuple(lines), values)

    def fixed(self, name: str, value: str, present: bool) -> str:
        """The file Ansible writes: entries normalised and deduplicated, `name` set or removed."""
        checked: set[str] = set()
        fixed: list[str] = []
        for line in self.lines:
            if not _is_entry(line):
                fixed.append(line)
                continue
            key, _, old = line.partition("=")
            key, old = key.strip(), old.strip()
            if key in checked:
                continue
            checked.add(key)
            if key != name:
                fixed.append(f"{key}={old}")
            elif present:
                fixed.append(f"{key}={value}")
        if name not in checked and present:
            fixed.append(f"{name}={value}")
        return "".join(f"{line.strip()}\n" for line in fixed)


def _is_entry(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("#", ";")) and "=" in stripped


def sysctl_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The running value and the sysctl file."""
    return [SysctlFact(params["name"].strip()), FileFact(params["sysctl_file"])]


def plan_sysctl(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the file edit, `sysctl -w` and the reload, as Ansible decides them."""
    name: str = params["name"].strip()
    present = params["state"] == "present"
    if present and params.get("value") is None:
        return failed("value is required with state=present")
    value = normalise_value(params.get("value"))
    path: str = params["sysctl_file"]
    info = fact(facts, f"file:{path}", FileInfo)
    if (problem := untrusted_link(info)) is not None:
        return failed(problem)
    current = info.followed()
    if current.exists and current.type != "file":
        return failed(f"{path} is not a regular file")
    if current.exists and current.content is None:
        return failed(f"cannot read {path} (unreadable or larger than 256 KiB)")
    try:
        text = (current.content or b"").decode("utf-8")
    except UnicodeDecodeError:
        return failed(f"{path} is not UTF-8 text")
    running: str | None = facts[f"sysctl:{name}"]
    if running is None and present and (params["sysctl_set"] or params["reload"]) and not params["ignoreerrors"]:
        return failed(f"{name} is not a kernel parameter this host can read (sysctl -n {name} failed)")
    sysctl_file = SysctlFile.parse(text)
    file_value = sysctl_file.values.get(name)

    changed = write_file = set_running = False
    if file_value is None:
        changed = write_file = present
    elif (file_value and not present) or file_value != value:
        changed = write_file = True
    elif params["reload"] and not values_equal(running, value):
        changed = True
    if params["sysctl_set"] and present and not values_equal(running, value):
        changed = True
        set_running = running is not None
    if not changed or not (write_file or set_running or params["reload"]):
        return no_change(f"{name} is already {value or 'absent'} in {path}", name=name, value=value)

    write_path = current.path if info.type == "link" else path
    ignore = ("-e",) if params["ignoreerrors"] else ()
    actions: list[Action] = []
    diffs: list[Diff] = []
    done: list[str] = []
    if set_running:
        actions.append(RunCommand(("sysctl", *ignore, "-w", "--", f"{name}={value}")))
        diffs.append(Diff(resource=f"sysctl {name}", before=f"{name} = {running}", after=f"{name} = {value}"))
        done.append("set with sysctl -w")
    if write_file:
        content = sysctl_file.fixed(name, value, present).encode("utf-8")
        writes, _ = write_actions(write_path, content, current if current.exists else None, WantedAttributes())
        actions.extend(writes)
        diffs.append(Diff(resource=path, before=content_text(current.content, current), after=content_text(content)))
        done.append(f"{'written to' if present else 'removed from'} {path}")
    if params["reload"]:
        actions.append(RunCommand(("sysctl", *ignore, "-p", "--", path)))
        if not write_file and not set_running:
            diffs.append(Diff(resource=f"sysctl {name}", before=f"{name} = {running}", after=f"{name} = {value}"))
        done.append(f"reloaded from {path}")
    return Plan(
        changed=True,
        summary=f"{name}={value}: {', '.join(done)}" if present else f"{name}: {', '.join(done)}",
        actions=tuple(actions),
        diffs=tuple(diffs),
        invalidates=tuple(dict.fromkeys((f"sysctl:{name}", f"file:{path}", f"file:{write_path}"))),
        result={"name": name, "value": value},
    )


SYSCTL = Module(
    name="sysctl",
    params=SYSCTL_PARAMS,
    facts=sysctl_facts,
    plan=plan_sysctl,
    doc=__doc__ or "",
    effects_listed=True,
)
