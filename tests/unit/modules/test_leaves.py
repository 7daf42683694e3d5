"""What plans say they leave: exact where the task names it all, in part (OneOf) or nothing where the host picks."""

from __future__ import annotations

from deployctl.facts.files import FileInfo
from deployctl.facts.users import GroupInfo
from deployctl.modules.base import OneOf, PutFile
from deployctl.modules.fileattrs import WantedAttributes, created_directory, written_facts
from deployctl.modules.group import UNKNOWN_GIDS, plan_group
from deployctl.modules.user import plan_user

GROUP = {"name": "app", "state": "present", "gid": None, "system": True}


def test_a_new_group_is_left_known_but_for_the_id_the_host_picks() -> None:
    plan = plan_group(GROUP, {"group:app": None})
    assert plan.leaves == {"group:app": OneOf(tuple(GroupInfo("app", gid, ()) for gid in UNKNOWN_GIDS))}
    assert plan_group({**GROUP, "gid": 990}, {"group:app": None}).leaves == {"group:app": GroupInfo("app", 990, ())}


def test_a_user_created_in_a_new_group_plans_the_same_whatever_its_id() -> None:
    params = {
        "name": "app",
        "state": "present",
        "group": "app",
        "system": True,
        "create_home": False,
        "shell": "/usr/sbin/nologin",
        "home": "/opt/app",
        "generate_ssh_key": False,
        "non_unique": False,
    }
    params = {**dict.fromkeys(("uid", "groups", "comment", "password", "expires", "password_lock")), **params}
    new_group = plan_group(GROUP, {"group:app": None}).leaves["group:app"]
    plans = [plan_user(params, {"user:app": None, "group:app": value}) for value in new_group.values]
    assert plans[0] == plans[1] and plans[0].changed
    assert plans[0].effects_listed is True  # no home: what useradd writes is listed


def test_files_are_left_known_only_with_their_mode_owner_and_group_named() -> None:
    put = PutFile("/etc/app/app.conf", b"x=1\n", mode="640", owner="root", group="app")
    folder = FileInfo("/etc/app", "directory", mode="0750", owner="root", group="app")
    left = written_facts([put], {"file:/etc/app": folder})
    assert left["file:/etc/app/app.conf"].mode == "0640" and left["file:/etc/app/app.conf"].content == b"x=1\n"
    assert left["file:/etc/app"] == folder
    assert written_facts([PutFile("/etc/app/app.env", b"A=1\n")]) == {}
    assert written_facts([PutFile("/etc/app/app.env", b"A=1\n", mode="0640", owner="1000", group="app")]) == {}
    assert created_directory("/srv/x", WantedAttributes("root", "root", "0755"))["file:/srv/x"].type == "directory"
    assert created_directory("/srv/x", WantedAttributes("root", "root", "u+rwx", 0o22)) == {}
