"""The invalidation rule as a table: a module's applied plan, the facts read from the host, what is stale after."""

from __future__ import annotations

from dataclasses import replace

import pytest

from deployctl.facts.files import FileInfo
from deployctl.facts.users import UserInfo
from deployctl.modules.base import Module, Plan
from deployctl.modules.registry import MODULES
from deployctl.strategies.staleness import stale_after, still_hold

READ = frozenset(
    {
        "file:/etc",
        "file:/etc/chrony",
        "file:/etc/chrony/chrony.conf",
        "file:/etc/chrony-extra.conf",
        "file:/srv/app",
        "file:/srv/app/conf/app.conf",
        "file:/srv/other",
        "file:/etc/systemd/system/web.service",
        "exists:/srv/app/.init",
        "exists:/etc/chrony/*.conf",
        "exists:~/.done",
        "service:chrony",
        "service:web",
        "package:chrony",
        "candidate:chrony",
        "packages:installed",
        "apt_cache_age",
        "user:app",
        "group:app",
        "sysctl:vm.swappiness",
        "sysctl:net.ipv4.ip_forward",
        "apt_keyring:",
        "apt_keyring:/etc/apt/trusted.gpg.d/example.gpg",
        "file:/etc/apt/trusted.gpg.d/example.gpg",
        "apt_key_source:file:/root/example.asc",
        "apt_key_source:file:/root/example.asc.d/other.asc",
    }
)
"""The facts a run has read from a host before the change."""

EVERY_FACT_READ = frozenset({"<every fact read>"})

CASES: list[tuple[str, str, tuple[str, ...], frozenset[str]]] = [
    # (module, what its plan lists in `invalidates`, the facts read that are stale after it ran)
    ("apt", ("package:chrony",), EVERY_FACT_READ),
    ("package", ("package:chrony", "candidate:chrony", "apt_cache_age"), EVERY_FACT_READ),
    ("command", (), EVERY_FACT_READ),
    ("shell", (), EVERY_FACT_READ),
    ("service", ("service:chrony",), EVERY_FACT_READ),
    ("systemd", ("service:chrony",), EVERY_FACT_READ),
    ("user", ("user:app", "group:app"), EVERY_FACT_READ),
    (
        "template",
        ("file:/etc/chrony/chrony.conf",),
        frozenset({"file:/etc", "file:/etc/chrony", "file:/etc/chrony/chrony.conf"})
        | {"exists:/etc/chrony/*.conf", "exists:~/.done"},
    ),
    (
        "copy",
        ("file:/srv/app/conf", "file:/srv/app/conf/app.conf"),
        frozenset({"file:/srv/app", "file:/srv/app/conf", "file:/srv/app/conf/app.conf", "exists:~/.done"}),
    ),
    (
        "file",  # a folder removed, or changed with `recurse`: the paths under it too
        ("file:/srv/app",),
        frozenset({"file:/srv/app", "file:/srv/app/conf/app.conf", "exists:/srv/app/.init", "exists:~/.done"}),
    ),
    (
        "lineinfile",
        ("file:/etc/chrony-extra.conf",),
        frozenset({"file:/etc", "file:/etc/chrony-extra.conf", "exists:~/.done"}),
    ),
    (
        "copy",  # a unit file: what systemd reports of every service
        ("file:/etc/systemd/system/web.service",),
        frozenset({"file:/etc", "file:/etc/systemd/system/web.service", "exists:~/.done"})
        | {"service:chrony", "service:web"},
    ),
    (
        "sysctl",  # `sysctl -p` applies the whole file: every kernel parameter
        ("sysctl:vm.swappiness", "file:/etc/sysctl.conf"),
        frozenset({"file:/etc", "file:/etc/sysctl.conf", "exists:~/.done"})
        | {"sysctl:vm.swappiness", "sysctl:net.ipv4.ip_forward"},
    ),
    ("group", ("group:app",), frozenset({"group:app", "user:app"})),
    ("group", ("group:new",), frozenset({"group:new", "user:app"})),
    (
        "copy",  # the key file apt_key reads an id from is a path like any other
        ("file:/root/example.asc",),
        frozenset({"file:/root/example.asc", "apt_key_source:file:/root/example.asc", "exists:~/.done"}),
    ),
    (
        "apt_key",  # `apt-key del` without a keyring removes the key from every keyring: every listing is stale
        ("apt_keyring:", "file:/etc/apt/trusted.gpg", "file:/etc/apt/trusted.gpg.d", "file:/etc/apt/trusted.gpg~"),
        frozenset({"apt_keyring:", "file:/etc/apt/trusted.gpg", "file:/etc/apt/trusted.gpg.d"})
        | {"file:/etc/apt/trusted.gpg~", "apt_keyring:/etc/apt/trusted.gpg.d/example.gpg"}
        | {"file:/etc/apt/trusted.gpg.d/example.gpg", "file:/etc", "exists:~/.done"},
    ),
]


@pytest.mark.parametrize(
    ("name", "invalidates", "expected"), CASES, ids=[f"{case[0]}-{index}" for index, case in enumerate(CASES)]
)
def test_what_an_applied_plan_makes_stale(name: str, invalidates: tuple[str, ...], expected: frozenset[str]) -> None:
    plan = Plan(changed=True, summary="applied", invalidates=invalidates)
    wanted = READ | set(invalidates) if expected == EVERY_FACT_READ else expected
    assert stale_after(MODULES[name], plan, READ) == wanted


def test_a_module_is_unpredictable_unless_it_says_its_plans_list_every_effect() -> None:
    new = Module(name="new", params={}, facts=lambda params: [], plan=lambda params, facts: Plan(False, "-"))
    assert stale_after(new, Plan(True, "applied", invalidates=("file:/x",)), READ) == READ | {"file:/x"}
    listed = replace(new, effects_listed=True)
    assert stale_after(listed, Plan(True, "applied", invalidates=("file:/x",)), READ) == {"file:/x", "exists:~/.done"}
    predictable = sorted(name for name, module in MODULES.items() if module.effects_listed)
    assert predictable == ["apt_key", "copy", "file", "group", "lineinfile", "sysctl", "template"]


def test_paths_are_related_by_whole_names_only() -> None:
    read = {"file:/srv/app", "file:/srv/application", "file:/srv/app-old/x", "file:/", "file:relative/app"}
    stale = stale_after(MODULES["file"], Plan(True, "applied", invalidates=("file:/srv/app",)), read)
    assert stale == {"file:/", "file:/srv/app"}
    stale = stale_after(MODULES["file"], Plan(True, "applied", invalidates=("file:/",)), read)
    assert stale == read - {"file:relative/app"}


@pytest.mark.parametrize(
    ("guard", "stale"),
    [
        ("/srv/app/.init", True),
        ("/srv/app", True),
        ("/srv", True),
        ("/srv/app/*", True),
        ("/srv/app/conf/*.conf", False),
        ("/srv/a*/x", True),
        ("/srv/other/*", False),
        ("/srv/application", False),
        ("~/.init", True),
        ("relative/.init", True),
    ],
)
def test_an_exists_guard_is_stale_when_its_path_or_glob_may_match_a_changed_path(guard: str, stale: bool) -> None:
    plan = Plan(True, "applied", invalidates=("file:/srv/app/.init",))
    assert (f"exists:{guard}" in stale_after(MODULES["file"], plan, {f"exists:{guard}"})) is stale


def test_a_plan_that_lists_its_effects_stales_only_those_whatever_its_module() -> None:
    plan = Plan(changed=True, summary="create user app", invalidates=("user:app", "group:app"), effects_listed=True)
    assert stale_after(MODULES["user"], plan, READ) == {"user:app", "group:app"}


def test_under_a_new_directory_or_a_written_file_what_was_absent_still_is() -> None:
    absent = FileInfo("/srv/app", "absent")
    read = {
        "file:/srv/app": absent,
        "file:/srv/app/conf": FileInfo("/srv/app/conf", "absent"),
        "exists:/srv/app/.init": False,
        "exists:/srv/app/*.conf": False,
        "file:/srv/other": FileInfo("/srv/other", "absent"),
        "file:/srv/app.conf": FileInfo("/srv/app.conf", "absent"),
        "file:/srv/app.conf/x": FileInfo("/srv/app.conf/x", "absent"),
    }
    made = FileInfo("/srv/app", "directory", mode="0755", owner="root", group="root")
    plan = Plan(changed=True, summary="create", invalidates=("file:/srv/app",), leaves={"file:/srv/app": made})
    held = {"file:/srv/app/conf", "exists:/srv/app/.init", "exists:/srv/app/*.conf"}
    assert still_hold(MODULES["file"], plan, read) == held
    written = FileInfo("/srv/app.conf", "file", mode="0644", owner="root", group="root", content=b"x")
    leaves = {"file:/srv/app.conf": written}
    plan = Plan(changed=True, summary="write", invalidates=("file:/srv/app.conf",), leaves=leaves)
    assert still_hold(MODULES["file"], plan, read) == {"file:/srv/app.conf/x"}
    existing = {**read, "file:/srv/app": FileInfo("/srv/app", "directory", mode="0700")}
    plan = Plan(changed=True, summary="chmod", invalidates=("file:/srv/app",), leaves={"file:/srv/app": made})
    assert still_hold(MODULES["file"], plan, existing) == set()  # a folder that was there may hold anything


def test_a_change_of_groups_alone_leaves_an_absent_user_absent() -> None:
    read = {"user:app": None, "user:web": UserInfo("web", 1001, 1001, "", "/home/web", "/bin/sh", "web", ("web",))}
    plan = Plan(changed=True, summary="create group app", invalidates=("group:app",))
    assert still_hold(MODULES["group"], plan, read) == {"user:app"}
    group = MODULES["group"]
    assert stale_after(group, plan, read) - still_hold(group, plan, read) == {"group:app", "user:web"}
    assert still_hold(MODULES["command"], plan, read) == set()  # a command may have created anything
