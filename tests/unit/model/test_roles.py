"""Roles, blocks, imports and includes as the loader expands them, and Ansible's variable precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import Block, Task, UnsupportedContentError, leaf_tasks, task_variables

REPO = Path(__file__).resolve().parents[3]
CONTENT = REPO / "tests" / "integration" / "roles_content"


def site() -> tuple[object, list[Task]]:
    play = load_playbook(CONTENT / "site.yml", "site.yml").plays[0]
    return play, list(play.all_tasks())


def test_roles_expand_dependencies_once_then_tasks_in_order() -> None:
    play, tasks = site()
    roles = [task.role.name if task.role else None for task in tasks if task not in play.handlers]  # type: ignore[attr-defined]
    # motd imports common first; heartbeat depends on common, which already ran in this play (run once)
    assert roles[:5] == ["common"] * 5
    assert roles.count("common") == 5 and roles.index("heartbeat") > roles.index("motd")
    assert [h.name for h in play.handlers] == ["common changed", "reload systemd"]  # type: ignore[attr-defined]


def test_precedence_role_defaults_inventory_play_role_vars_params() -> None:
    play, tasks = site()
    template = next(task for task in tasks if task.module == "template" and task.role and task.role.name == "motd")
    scope = task_variables(play, template, {"app_port": 8080, "motd_owner": "inventory"})  # type: ignore[arg-type]
    assert scope["app_port"] == 8080  # inventory > role default (9999)
    assert scope["motd_owner"] == "play-vars"  # play vars > inventory > role default
    assert scope["motd_banner_color"] == "green"  # role params > everything but extra vars
    assert scope["motd_generated_by"] == "motd-role" and scope["role_name"] == "motd"
    later = task_variables(play, template, {}, host_facts={"motd_owner": "set_fact"})  # type: ignore[arg-type]
    assert later["motd_owner"] == "set_fact"


def test_block_rescue_always_and_inherited_keywords() -> None:
    play, _ = site()
    steps = play.steps["tasks"]  # type: ignore[attr-defined]
    block = next(step for step in steps if isinstance(step, Block))
    assert [t.name for t in leaf_tasks(block.block)] == ["Fail on purpose", "Never reached"]
    assert [t.name for t in leaf_tasks(block.rescue)] == ["Note the rescue"]
    assert [t.module for t in leaf_tasks(block.always)] == ["copy"]
    assert all(t.role is not None and t.role.name == "motd" for t in leaf_tasks(block.block))


def test_include_candidates_are_loaded_and_files_found_in_the_role() -> None:
    _, tasks = site()
    include = next(task for task in tasks if task.module == "include_tasks")
    assert sorted(Path(name).name for name in include.includes) == ["setup-Debian.yml", "setup-RedHat.yml"]
    include_vars = next(task for task in tasks if task.module == "include_vars")
    assert {Path(name).name: values for name, values in include_vars.var_files.items()}["Debian.yml"] == {
        "common_packages": ["sudo", "openssh-server"],
        "common_family_note": "apt based",
    }
    delegated = [task for task in tasks if task.delegate_to]
    assert [task.delegate_to for task in delegated] == ["localhost", "localhost"]
    assert next(task for task in tasks if task.check_mode).module == "file"


def test_every_unsupported_thing_is_listed_with_file_and_line() -> None:
    with pytest.raises(UnsupportedContentError) as caught:
        load_playbook(CONTENT / "unsupported" / "site.yml", "unsupported/site.yml")
    found = [(Path(p.source).name, p.line, p.field) for p in caught.value.problems]
    assert found == [  # what refuses the load (a play keyword, an unknown filter), then the tasks every host reaches
        ("site.yml", 4, "strategy"),
        ("site.yml", 20, "debug.msg"),
        ("main.yml", 4, "yum"),
        ("site.yml", 9, "docker_container"),
        ("site.yml", 12, "until"),
        ("site.yml", 14, "debug.msg"),
    ]
    assert str(caught.value).startswith("unsupported/site.yml:4: strategy: unsupported keyword 'strategy'\n")


def test_import_tasks_and_role_path(tmp_path: Path) -> None:
    (tmp_path / "shared" / "base" / "tasks").mkdir(parents=True)
    (tmp_path / "shared" / "base" / "tasks" / "main.yml").write_text("- command: echo base\n")
    (tmp_path / "more.yml").write_text("- command: echo more\n  tags: [x]\n")
    (tmp_path / "play.yml").write_text(
        "- hosts: all\n  tasks:\n    - import_role: name=base\n    - import_tasks: more.yml\n      when: go\n"
    )
    play = load_playbook(tmp_path / "play.yml", roles_path=[tmp_path / "shared"]).plays[0]
    base, more = play.tasks
    assert (base.role.name if base.role else None, base.args["cmd"]) == ("base", "echo base")
    assert (more.when, more.tags, more.role) == (("go",), ("x",), None)
    with pytest.raises(UnsupportedContentError, match="role 'base' not found"):
        load_playbook(tmp_path / "play.yml", roles_path=[])
