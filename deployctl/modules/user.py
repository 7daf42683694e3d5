"""user: make sure a local user exists with given attributes, or does not.

As Ansible's user module on Linux (useradd/usermod/userdel with explicit flags):
- Creating: `useradd` with -u, -g (or -N when no group is given but a group named like the user
  already exists, so useradd does not try to create it), -G, -c, -d, -s, -r for system users and
  -m/-M from `create_home` (default true).
- Updating: one `usermod` with the flags of what differs: uid, primary group, shell, home (the
  files are not moved), comment, and supplementary groups: with `append` only missing groups count
  (`usermod -a -G`), otherwise the list must match exactly (`groups: []` or "" removes them all).
  `system` and `create_home` only matter at creation.
- Every group named in `group` and `groups` must exist ("Group X does not exist").
- Removing: `userdel`, with -r when `remove` (home and mail spool go too).
Not supported (refused): password and the other password/expiry settings, ssh keys, move_home,
non_unique, force, local, seuser, skeleton, umask, login_class, profile/role attributes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.users import GroupFact, GroupInfo, UserFact, UserInfo
from deployctl.modules.base import Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.planning import failed, optional_fact
from deployctl.modules.values import account_problem

USER_PARAMS: Mapping[str, Param] = {
    "name": Param("str", required=True, aliases=("user",), check=account_problem),
    "state": Param("str", default="present", choices=("present", "absent")),
    "uid": Param("int"),
    "group": Param("str", check=account_problem),
    "groups": Param("list", check=account_problem),
    "append": Param("bool", default=False),
    "shell": Param("str"),
    "home": Param("path"),
    "comment": Param("str"),
    "system": Param("bool", default=False),
    "create_home": Param("bool", default=True, aliases=("createhome",)),
    "remove": Param("bool", default=False),
}


def _named_groups(params: Mapping[str, Any]) -> list[str]:
    names = [params["group"]] if params.get("group") else []
    names.extend(params.get("groups") or [])
    return list(dict.fromkeys(names))


def user_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The user, the group named like it, and every group the task names."""
    facts: list[Fact[Any]] = [UserFact(params["name"])]
    if params["state"] == "present":
        facts.extend(GroupFact(name) for name in dict.fromkeys([params["name"], *_named_groups(params)]))
    return facts


def plan_user(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan useradd, usermod or userdel."""
    name: str = params["name"]
    if not name or name.startswith("-"):
        return failed(f"invalid user name {name!r}")
    info = optional_fact(facts, f"user:{name}", UserInfo)
    if params["state"] == "absent":
        return _plan_absent(name, info, params["remove"])
    groups: dict[str, GroupInfo] = {}
    for group in _named_groups(params):
        found = optional_fact(facts, f"group:{group}", GroupInfo)
        if found is None:
            return failed(f"Group {group} does not exist")
        groups[group] = found
    if info is None:
        return _plan_create(name, params, facts)
    return _plan_update(name, info, params, groups)


def _plan_absent(name: str, info: UserInfo | None, remove: bool) -> Plan:
    if info is None:
        return no_change(f"user {name} does not exist", name=name, state="absent")
    return Plan(
        changed=True,
        summary=f"remove user {name}" + (" and its home" if remove else ""),
        actions=(RunCommand(("userdel", *(["-r"] if remove else []), "--", name)),),
        diffs=(Diff(resource=f"user {name}", before=f"uid {info.uid}", after="absent"),),
        invalidates=(f"user:{name}", f"group:{name}"),
        result={"name": name, "state": "absent"},
    )


def _plan_create(name: str, params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    argv = ["useradd"]
    if params.get("uid") is not None:
        argv += ["-u", str(params["uid"])]
    if params.get("group"):
        argv += ["-g", params["group"]]
    elif optional_fact(facts, f"group:{name}", GroupInfo) is not None:
        argv.append("-N")
    if params.get("groups"):
        argv += ["-G", ",".join(params["groups"])]
    for flag, key in (("-c", "comment"), ("-d", "home"), ("-s", "shell")):
        if params.get(key) is not None:
            argv += [flag, params[key]]
    if params["system"]:
        argv.append("-r")
    argv.append("-m" if params["create_home"] else "-M")
    argv += ["--", name]
    described = [f"{key} {params[key]}" for key in ("uid", "group", "shell", "home") if params.get(key) is not None]
    return Plan(
        changed=True,
        summary=f"create {'system ' if params['system'] else ''}user {name}",
        actions=(RunCommand(tuple(argv)),),
        diffs=(Diff(resource=f"user {name}", before="absent", after="\n".join(["present", *described])),),
        invalidates=(f"user:{name}", f"group:{name}", *(f"group:{group}" for group in params.get("groups") or [])),
        result={"name": name, "state": "present"},
    )


def _plan_update(name: str, info: UserInfo, params: Mapping[str, Any], groups: Mapping[str, GroupInfo]) -> Plan:
    flags: list[str] = []
    before: list[str] = []
    after: list[str] = []
    uid: int | None = params.get("uid")
    if uid is not None and uid != info.uid:
        flags += ["-u", str(uid)]
        before.append(f"uid {info.uid}")
        after.append(f"uid {uid}")
    primary = info.group
    if params.get("group"):
        primary = groups[params["group"]].name
        if primary != info.group:
            flags += ["-g", params["group"]]
            before.append(f"group {info.group}")
            after.append(f"group {primary}")
    wanted_groups: list[str] | None = params.get("groups")
    if wanted_groups is not None:
        wanted = {groups[group].name for group in wanted_groups} - {primary}
        current = set(info.groups)
        if params["append"]:
            differs = bool(wanted - current)
            final = current | wanted
        else:
            differs = wanted != current
            final = wanted
        if differs:
            flags += [*(["-a"] if params["append"] else []), "-G", ",".join(wanted_groups)]
            before.append(f"groups {','.join(sorted(current)) or '(none)'}")
            after.append(f"groups {','.join(sorted(final)) or '(none)'}")
    for flag, key, now in (("-c", "comment", info.comment), ("-d", "home", info.home), ("-s", "shell", info.shell)):
        value = params.get(key)
        if value is not None and value != now:
            flags += [flag, value]
            before.append(f"{key} {now or '(empty)'}")
            after.append(f"{key} {value or '(empty)'}")
    if not flags:
        return no_change(f"user {name} is as wanted", name=name, state="present", uid=info.uid)
    return Plan(
        changed=True,
        summary=f"user {name}: "
        + ", ".join(f"{old} -> {new.split(' ', 1)[1]}" for old, new in zip(before, after, strict=True)),
        actions=(RunCommand(("usermod", *flags, "--", name)),),
        diffs=(Diff(resource=f"user {name}", before="\n".join(before), after="\n".join(after)),),
        invalidates=tuple(dict.fromkeys([f"user:{name}", *(f"group:{group}" for group in wanted_groups or [])])),
        result={"name": name, "state": "present"},
    )


USER = Module(
    name="user",
    params=USER_PARAMS,
    facts=user_facts,
    plan=plan_user,
    doc=__doc__ or "",
)
