"""timezone (community.general.timezone): set the host's time zone (and whether the RTC keeps local time).

A port of community.general's module on Linux:
- Where `timedatectl` runs (systemd), the zone and the RTC setting are read from `timedatectl status`
  and set with `timedatectl set-timezone NAME` and `timedatectl set-local-rtc yes|no`.
- Otherwise the zone is the first word of /etc/timezone; when that is already `name`, /etc/localtime
  decides: a link to another zone file gives that zone, a broken link or one outside zoneinfo, or a file
  that differs from the zone file, "n/a". Setting it rewrites /etc/timezone as Ansible edits it (every
  line starting with a word removed, `NAME` in the first one's place), then on Debian (dpkg-reconfigure
  installed) links /etc/localtime to the zone file and runs `dpkg-reconfigure --frontend noninteractive
  tzdata`; elsewhere copies the zone file over /etc/localtime.
- `name` must be a file under /usr/share/zoneinfo, as Ansible checks. The result's `diff` holds the
  before and after values, as Ansible returns them.
Not supported (the task fails): `hwclock` on hosts without systemd (Ansible edits /etc/default/rcS and
runs `hwclock --systohc`, which containers cannot).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.files import FileFact, FileInfo
from deployctl.facts.system import CLOCK_KEY, ClockFact, ClockInfo
from deployctl.modules.base import Action, Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.fileattrs import WantedAttributes, content_text, write_actions
from deployctl.modules.params import BOOLEANS_TRUE
from deployctl.modules.planning import fact, failed
from deployctl.modules.values import line_problem

ZONEINFO = "/usr/share/zoneinfo"
TIMEZONE_FILE = "/etc/timezone"
LOCALTIME = "/etc/localtime"

_STATUS = {
    "hwclock": re.compile(r"^\s*RTC in local TZ\s*:\s*([^\s]+)", re.MULTILINE),
    "name": re.compile(r"^\s*Time ?zone\s*:\s*([^\s]+)", re.MULTILINE),
}
_ZONE_LINE = re.compile(r"^([^\s]+)", re.MULTILINE)
_ZONE_LINK = re.compile(r"(?:/(?:usr/share|etc)/zoneinfo/)(.*)", re.MULTILINE)


def zone_problem(value: str) -> str | None:
    """A zone name: a relative path under zoneinfo that does not climb out of it."""
    if (problem := line_problem(value)) is not None:
        return problem
    if not value or value.startswith(("/", "-")) or ".." in value.split("/") or " " in value:
        return f"{value!r} is not a time zone name (such as Europe/Paris)"
    return None


TIMEZONE_PARAMS: Mapping[str, Param] = {
    "name": Param("str", check=zone_problem),
    "hwclock": Param("str", choices=("local", "UTC"), aliases=("rtc",)),
}


def timezone_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """How the zone is managed, /etc/timezone, /etc/localtime and the zone's file."""
    facts: list[Fact[Any]] = [ClockFact(), FileFact(TIMEZONE_FILE), FileFact(LOCALTIME)]
    if params.get("name") is not None:
        facts.append(FileFact(f"{ZONEINFO}/{params['name']}"))
    return facts


def plan_timezone(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan timedatectl, or the files, as Ansible's module decides them."""
    name: str | None = params.get("name")
    hwclock: str | None = params.get("hwclock")
    if name is None and hwclock is None:
        return failed("one of the following is required: name, hwclock")
    clock = fact(facts, CLOCK_KEY, ClockInfo)
    if name is not None and fact(facts, f"file:{ZONEINFO}/{name}", FileInfo).followed().type != "file":
        return failed(f'given timezone "{name}" is not available')
    planned = {key: value for key, value in (("name", name), ("hwclock", hwclock)) if value is not None}
    if clock.systemd:
        return _plan_systemd(clock, planned)
    if hwclock is not None:
        return failed("hwclock is supported only where timedatectl runs (systemd)")
    assert name is not None
    return _plan_files(clock, name, facts)


def _result(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, Any]:
    return {"diff": {"before": dict(before), "after": dict(after)}}


def _plan_systemd(clock: ClockInfo, planned: Mapping[str, str]) -> Plan:
    before: dict[str, str] = {}
    for key in planned:
        found = _STATUS[key].search(clock.status)
        if found is None:
            return failed(f"timedatectl status does not say the {key}: {clock.status!r}")
        value = found.group(1)
        if key == "hwclock":
            value = "local" if value.lower() in BOOLEANS_TRUE else "UTC"
        before[key] = value
    actions: list[Action] = []
    if "name" in planned and before["name"] != planned["name"]:
        actions.append(RunCommand(("timedatectl", "set-timezone", planned["name"])))
    if "hwclock" in planned and before["hwclock"] != planned["hwclock"]:
        actions.append(RunCommand(("timedatectl", "set-local-rtc", "yes" if planned["hwclock"] == "local" else "no")))
    if not actions:
        return no_change(f"time zone already {', '.join(planned.values())}", **_result(before, before))
    return Plan(
        changed=True,
        summary=", ".join(f"{key} {before[key]} -> {value}" for key, value in planned.items() if before[key] != value),
        actions=tuple(actions),
        diffs=(Diff("time zone", _lines(before), _lines(planned)),),
        invalidates=(CLOCK_KEY, f"file:{TIMEZONE_FILE}", f"file:{LOCALTIME}"),
        result=_result(before, planned),
    )


def _lines(values: Mapping[str, str]) -> str:
    return "\n".join(f"{key}: {value}" for key, value in values.items())


def current_zone(name: str, timezone_file: FileInfo, localtime: FileInfo, zone_file: FileInfo) -> str:
    """Ansible's NosystemdTimezone.get('name'): /etc/timezone, checked against /etc/localtime when it agrees."""
    text = (timezone_file.followed().content or b"").decode("utf-8", "replace")
    found = _ZONE_LINE.search(text) if timezone_file.followed().type == "file" else None
    value = found.group(1) if found else "n/a"
    if value != name:
        return value
    if localtime.type == "link":
        if not localtime.followed().exists:
            return "n/a"
        linked = _ZONE_LINK.search(localtime.link_target or "")
        if linked is None:
            return "n/a"
        return linked.group(1) if linked.group(1) != name else value
    current = localtime.followed()
    if current.type != "file" or current.sha256 is None or current.sha256 != zone_file.followed().sha256:
        return "n/a"
    return value


def edited_timezone_file(content: str, name: str) -> str:
    """Ansible's `_edit_file`: every line starting with a word removed, `NAME` in the first one's place."""
    lines = content.splitlines(keepends=True)
    matched = [index for index, line in enumerate(lines) if _ZONE_LINE.search(line)]
    kept = [line for index, line in enumerate(lines) if index not in matched]
    kept.insert(matched[0] if matched else 0, f"{name}\n")
    return "".join(kept)


def _plan_files(clock: ClockInfo, name: str, facts: Mapping[str, Any]) -> Plan:
    timezone_file = fact(facts, f"file:{TIMEZONE_FILE}", FileInfo)
    localtime = fact(facts, f"file:{LOCALTIME}", FileInfo)
    zone_path = f"{ZONEINFO}/{name}"
    before = current_zone(name, timezone_file, localtime, fact(facts, f"file:{zone_path}", FileInfo))
    if before == name:
        return no_change(f"time zone already {name}", **_result({"name": name}, {"name": name}))
    current = timezone_file.followed()
    if current.exists and (current.type != "file" or current.content is None):
        return failed(f'tried to configure name using a file "{TIMEZONE_FILE}", but could not read it')
    old = (current.content or b"").decode("utf-8", "surrogateescape")
    new = edited_timezone_file(old, name).encode("utf-8", "surrogateescape")
    target = current.path if timezone_file.type == "link" else TIMEZONE_FILE
    actions, _ = write_actions(target, new, current if current.exists else None, WantedAttributes())
    if clock.debian:
        update: tuple[RunCommand, ...] = (
            RunCommand(("ln", "-sf", "--", zone_path, LOCALTIME)),
            RunCommand(("dpkg-reconfigure", "--frontend", "noninteractive", "tzdata")),
        )
    else:
        update = (RunCommand(("cp", "--remove-destination", "--", zone_path, LOCALTIME)),)
    return Plan(
        changed=True,
        summary=f"time zone {before} -> {name}",
        actions=(*actions, *update),
        diffs=(Diff(TIMEZONE_FILE, content_text(current.content, current), content_text(new)),),
        invalidates=tuple(dict.fromkeys((CLOCK_KEY, f"file:{TIMEZONE_FILE}", f"file:{target}", f"file:{LOCALTIME}"))),
        result=_result({"name": before}, {"name": name}),
    )


TIMEZONE = Module(
    name="timezone",
    params=TIMEZONE_PARAMS,
    facts=timezone_facts,
    plan=plan_timezone,
    doc=__doc__ or "",
)
