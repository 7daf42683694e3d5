"""group: make sure a local group exists (with a given gid) or does not.

As Ansible's group module: `groupadd [-g GID] [-r] NAME`, `groupmod -g GID NAME` when the gid differs,
`groupdel NAME`. `system` only matters when the group is created.
Not supported (refused): local, non_unique, force, gid_min, gid_max.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.users import GroupFact, GroupInfo
from deployctl.modules.base import Diff, Module, OneOf, Param, Plan, RunCommand, no_change
from deployctl.modules.planning import failed, optional_fact
from deployctl.modules.values import account_problem

GROUP_PARAMS: Mapping[str, Param] = {
    "name": Param("str", required=True, check=account_problem),
    "state": Param("str", default="present", choices=("present", "absent")),
    "gid": Param("int"),
    "system": Param("bool", default=False),
}


def group_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The group's entry."""
    return [GroupFact(params["name"])]


def plan_group(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan groupadd, groupmod or groupdel."""
    name: str = params["name"]
    if not name or name.startswith("-"):
        return failed(f"invalid group name {name!r}")
    gid: int | None = params.get("gid")
    info = optional_fact(facts, f"group:{name}", GroupInfo)
    key = f"group:{name}"
    if params["state"] == "absent":
        if info is None:
            return no_change(f"group {name} does not exist", name=name, state="absent")
        return Plan(
            changed=True,
            summary=f"remove group {name}",
            actions=(RunCommand(("groupdel", "--", name)),),
            diffs=(Diff(resource=f"group {name}", before=f"gid {info.gid}", after="absent"),),
            invalidates=(key,),
            result={"name": name, "state": "absent"},
        )
    if info is None:
        argv = ["groupadd", *(["-g", str(gid)] if gid is not None else []), *(["-r"] if params["system"] else [])]
        argv += ["--", name]
        return Plan(
            changed=True,
            summary=f"create group {name}" + (f" (gid {gid})" if gid is not None else ""),
            actions=(RunCommand(tuple(argv)),),
            diffs=(
                Diff(
                    resource=f"group {name}", before="absent", after=f"gid {gid if gid is not None else '(next free)'}"
                ),
            ),
            invalidates=(key,),
            result={"name": name, "state": "present"},
            leaves={key: _new_group(name, gid)},
        )
    if gid is None or gid == info.gid:
        return no_change(f"group {name} exists (gid {info.gid})", name=name, state="present", gid=info.gid)
    return Plan(
        changed=True,
        summary=f"group {name}: gid {info.gid} -> {gid}",
        actions=(RunCommand(("groupmod", "-g", str(gid), "--", name)),),
        diffs=(Diff(resource=f"group {name}", before=f"gid {info.gid}", after=f"gid {gid}"),),
        invalidates=(key,),
        result={"name": name, "state": "present", "gid": gid},
    )


UNKNOWN_GIDS = (2**31 - 3, 2**31 - 2)
"""Two ids a new group without a `gid` may stand for: a later plan that differs between them reads the group."""


def _new_group(name: str, gid: int | None) -> GroupInfo | OneOf:
    """The entry groupadd leaves: no members, the given gid or one the host picks."""
    if gid is not None:
        return GroupInfo(name=name, gid=gid, members=())
    return OneOf(tuple(GroupInfo(name=name, gid=unknown, members=()) for unknown in UNKNOWN_GIDS))


GROUP = Module(
    name="group",
    params=GROUP_PARAMS,
    facts=group_facts,
    plan=plan_group,
    doc=__doc__ or "",
    effects_listed=True,
)
