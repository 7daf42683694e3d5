"""The playbook loader (Ansible's keywords as typed values, every refusal with its file, line and field) and
the host-time check that renders every task for every host before any host is contacted."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from deployctl.errors import InputError
from deployctl.model.inventory import Origin
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import Playbook, Task, find_controller_file
from deployctl.model.playbook_checks import check_playbook
from deployctl.modules.base import Module, Param, Plan, no_change

PLAYBOOKS = Path(__file__).parent / "playbooks"


def _fake(name: str, params: Mapping[str, Param], free_form: str | None = None) -> Module:
    def plan(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
        return no_change(f"{name}: fake")

    return Module(name=name, params=params, facts=lambda params: [], plan=plan, free_form=free_form)


STATES = ("started", "stopped", "restarted", "reloaded")
MODULES: Mapping[str, Module] = {
    module.name: module
    for module in (
        _fake(
            "copy",
            {
                "dest": Param("path", required=True),
                "src": Param("path"),
                "content": Param("str"),
                "mode": Param("mode"),
                "_content": Param("raw"),
            },
        ),
        _fake(
            "template",
            {"src": Param("path", required=True), "dest": Param("path", required=True), "mode": Param("mode")},
        ),
        _fake("command", {"cmd": Param("str"), "creates": Param("path"), "chdir": Param("path")}, free_form="cmd"),
        _fake("service", {"name": Param("str", required=True), "state": Param("str", choices=STATES)}),
        _fake(
            "apt",
            {"name": Param("list", aliases=("pkg",)), "state": Param("str", choices=("present", "absent", "latest"))},
        ),
    )
}
"""A small module table standing in for the registry: the loader only needs names and parameter specs."""


def load(name: str) -> Playbook:
    return load_playbook(PLAYBOOKS / name, display=f"playbooks/{name}", modules=MODULES)


@pytest.fixture(scope="module")
def site() -> Playbook:
    return load("site.yml")


def test_playbook_and_play_settings(site: Playbook) -> None:
    assert site.source == "playbooks/site.yml"
    assert site.base_dir == PLAYBOOKS
    web, db = site.plays
    assert (web.name, web.hosts, web.origin) == ("Web servers", "web:&prod", Origin("playbooks/site.yml", 2))
    assert web.become is True
    assert web.become_user is None
    assert web.max_fail_percentage == 20.0
    assert web.gather_facts is False
    assert web.tags == ("web",)
    assert (db.name, db.hosts, db.become, db.gather_facts, db.tags) == ("db,cache", "db,cache", False, True, ())


def test_serial_forms(site: Playbook) -> None:
    web, db = site.plays
    assert web.serial == (1, "30%", 5)
    assert db.serial == ("25%",)


def test_vars_files_win_over_play_vars_in_order(site: Playbook) -> None:
    web = site.plays[0]
    assert web.vars["app_port"] == 8080
    assert web.vars["services"] == ["nginx", "app"]
    assert web.vars["who"] == "override"  # play vars < vars/common.yml < vars/override.yml
    assert web.var_origins["who"] == Origin("playbooks/vars/override.yml", 1)
    assert web.var_origins["app_port"] == Origin("playbooks/site.yml", 10)
    assert web.var_origins["services"] == Origin("playbooks/vars/common.yml", 2)


def test_sections_in_run_order(site: Playbook) -> None:
    web = site.plays[0]
    assert [section for section, _ in web.sections()] == ["pre_tasks", "tasks", "post_tasks"]
    assert [task.name for task in web.pre_tasks] == ["Say hello"]
    assert [task.name for task in web.tasks] == [
        "Write motd",
        "Install packages",
        "Configure app",
        "service name=nginx state=restarted",
    ]
    assert [task.name for task in web.post_tasks] == ["command uptime"]
    assert [task.name for task in web.all_tasks()][-2:] == ["restart app", "reload app"]


def test_free_form_command_keeps_quotes_and_takes_known_params(site: Playbook) -> None:
    hello = site.plays[0].pre_tasks[0]
    assert hello.module == "command"
    assert hello.args == {"cmd": 'echo "hello   world"', "creates": "/tmp/hello"}
    assert hello.arg_lines == {"cmd": 18, "creates": 18}
    assert hello.origin == Origin("playbooks/site.yml", 17)


def test_key_value_arguments(site: Playbook) -> None:
    motd = site.plays[0].tasks[0]
    assert motd.module == "copy"
    assert motd.args == {"dest": "/etc/motd", "src": "motd.txt", "mode": "0644"}
    assert motd.notify == ("restart app",)


def test_fully_qualified_name_and_args_keyword(site: Playbook) -> None:
    uptime = site.plays[0].post_tasks[0]
    assert uptime.module == "command"
    assert uptime.args == {"chdir": "/tmp", "cmd": "uptime"}
    assert uptime.arg_lines == {"chdir": 54, "cmd": 52}


def test_aliases_and_with_items(site: Playbook) -> None:
    packages = site.plays[0].tasks[1]
    assert packages.args == {"name": "{{ item }}", "state": "present"}
    assert packages.arg_lines == {"name": 25, "state": 26}
    assert (packages.loop_keyword, packages.loop_var) == ("with_items", "item")
    assert packages.loop == [["nginx", "curl"], "git"]
    assert packages.loop_items(packages.loop) == ["nginx", "curl", "git"]  # with_items flattens one level
    assert packages.loop_items("single") == ["single"]


def test_tags_are_own_then_inherited(site: Playbook) -> None:
    web = site.plays[0]
    assert web.tasks[1].tags == ("packages", "base", "web")
    assert web.tasks[0].tags == ("web",)
    assert web.handlers[0].tags == ("web",)


def test_task_keywords(site: Playbook) -> None:
    task = site.plays[0].tasks[3]
    assert task.module == "service"
    assert task.when == ("config_result is changed", "app_port > 1000")
    assert (task.loop, task.loop_keyword, task.loop_var) == ("{{ services }}", "loop", "svc")
    assert (task.become, task.become_user, task.ignore_errors) == (False, "root", True)
    assert task.changed_when == ("False",)
    assert task.failed_when == ("config_result.rc != 0",)
    assert task.vars == {"local_setting": 1}
    assert task.line_of("when") == 38
    assert task.line_of("loop") == 41
    configure = site.plays[0].tasks[2]
    assert configure.register == "config_result"
    assert (configure.changed_when, configure.failed_when) == (None, None)
    assert site.plays[0].tasks[0].loop is None


def test_condition_braces_are_unwrapped(site: Playbook) -> None:
    assert site.plays[1].tasks[0].when == ("app_port is defined",)


def test_loop_items_must_be_a_list(site: Playbook) -> None:
    task = site.plays[0].tasks[3]
    assert task.loop_items(["a", ["b"]]) == ["a", ["b"]]
    with pytest.raises(InputError) as caught:
        task.loop_items("nginx")
    assert str(caught.value) == "playbooks/site.yml:41: loop: must be a list, got str 'nginx'"


def test_handlers_and_listen(site: Playbook) -> None:
    restart, reload = site.plays[0].handlers
    assert (restart.name, restart.listen, restart.args) == (
        "restart app",
        (),
        {"name": "{{ app_name }}", "state": "restarted"},
    )
    assert (reload.name, reload.listen, reload.args) == (
        "reload app",
        ("config changed",),
        {"name": "{{ app_name }}", "state": "reloaded"},
    )
    assert site.plays[0].tasks[2].notify == ("config changed",)


def test_tasks_are_frozen(site: Playbook) -> None:
    task: Task = site.plays[0].tasks[0]
    with pytest.raises(AttributeError):
        task.name = "other"  # type: ignore[misc]


def test_controller_files_resolve_like_ansible(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.txt").write_text("a")
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "c.j2").write_text("c")
    assert find_controller_file(tmp_path, "copy", "a.txt") == tmp_path / "files" / "a.txt"
    assert find_controller_file(tmp_path, "copy", "b.txt") == tmp_path / "b.txt"
    assert find_controller_file(tmp_path, "template", "c.j2") == tmp_path / "templates" / "c.j2"
    assert find_controller_file(tmp_path, "copy", "c.j2") is None
    assert find_controller_file(tmp_path, "copy", str(tmp_path / "b.txt")) == tmp_path / "b.txt"


def test_display_defaults_to_the_path(tmp_path: Path) -> None:
    path = tmp_path / "play.yml"
    path.write_text("- hosts: all\n  tasks:\n    - command: ls\n      delegate_to: x\n")
    task = load_playbook(path, modules=MODULES).plays[0].tasks[0]
    assert task.unsupported_message == (
        f"{path}:4: delegate_to: delegate_to 'x' is not supported (only localhost: steps run on this machine)"
    )


BAD_PLAYBOOKS = [
    (
        "bad_yaml.yml",
        "playbooks/bad_yaml.yml:4: invalid YAML: while parsing a block collection did not find expected '-' indicator",
    ),
    ("bad_not_a_list.yml", "playbooks/bad_not_a_list.yml:1: a playbook must be a non-empty list of plays"),
    (
        "bad_hosts_missing.yml",
        "playbooks/bad_hosts_missing.yml:1: hosts: missing: play 1 must say which hosts it targets",
    ),
    ("bad_play_keyword.yml", "playbooks/bad_play_keyword.yml:2: strategy: unsupported keyword 'strategy'"),
    (
        "bad_task_keyword.yml",
        "playbooks/bad_task_keyword.yml:5: delegate_to: delegate_to 'db01' is not supported "
        "(only localhost: steps run on this machine)",
    ),
    (
        "bad_with_random_choice.yml",
        "playbooks/bad_with_random_choice.yml:4: with_random_choice: unsupported keyword 'with_random_choice'",
    ),
    (
        "bad_listen_on_task.yml",
        "playbooks/bad_listen_on_task.yml:4: listen: unsupported keyword 'listen' on a task (only handlers listen)",
    ),
    (
        "bad_roles.yml",
        "playbooks/bad_roles.yml:3: roles[0]: role 'common' not found (searched playbooks/roles, playbooks)",
    ),
    ("bad_include.yml", "playbooks/bad_include.yml:3: include_tasks.file: file not found: 'more.yml'"),
    ("bad_block.yml", "playbooks/bad_block.yml:4: any_errors_fatal: unsupported keyword 'any_errors_fatal'"),
    (
        "bad_import_playbook.yml",
        "playbooks/bad_import_playbook.yml:1: import_playbook: file not found: playbooks/other.yml",
    ),
    (
        "bad_unknown_module.yml",
        "playbooks/bad_unknown_module.yml:4: docker_container: unknown module 'docker_container'",
    ),
    (
        "bad_no_module.yml",
        "playbooks/bad_no_module.yml:4: tasks[1]: no module: a task needs exactly one module (e.g. command, copy)",
    ),
    (
        "bad_two_modules.yml",
        "playbooks/bad_two_modules.yml:5: service: a task has exactly one module; it also has 'copy' (line 4)",
    ),
    (
        "bad_param_unknown.yml",
        "playbooks/bad_param_unknown.yml:5: copy.contents: unknown parameter for copy; "
        "it accepts: content, dest, mode, src",
    ),
    ("bad_param_missing.yml", "playbooks/bad_param_missing.yml:3: service.name: required by service"),
    (
        "bad_param_choice.yml",
        "playbooks/bad_param_choice.yml:5: service.state: must be one of started, stopped, restarted, reloaded, "
        "got 'sideways'",
    ),
    ("bad_internal_param.yml", "playbooks/bad_internal_param.yml:5: copy._content: unknown parameter for copy"),
    (
        "bad_kv.yml",
        "playbooks/bad_kv.yml:3: copy: expected key=value, got 'oops' (this module takes no free-form text)",
    ),
    ("bad_alias_twice.yml", "playbooks/bad_alias_twice.yml:5: apt.pkg: 'name' and 'pkg' name the same parameter"),
    (
        "bad_notify.yml",
        "playbooks/bad_notify.yml:4: notify: no handler named 'restart web' "
        "(handlers and listen topics: 'restart app')",
    ),
    (
        "bad_duplicate_handler.yml",
        "playbooks/bad_duplicate_handler.yml:6: name: duplicate handler name (first at line 4)",
    ),
    ("bad_jinja_arg.yml", "playbooks/bad_jinja_arg.yml:5: copy.content: template syntax error: unexpected '}'"),
    (
        "bad_jinja_when.yml",
        "playbooks/bad_jinja_when.yml:4: when: template syntax error: unexpected 'end of template'",
    ),
    (
        "bad_jinja_filter.yml",
        "playbooks/bad_jinja_filter.yml:3: vars.name: template syntax error: No filter named 'shout'.",
    ),
    (
        "bad_vars_file_missing.yml",
        "playbooks/bad_vars_file_missing.yml:4: vars_files: file not found: playbooks/vars/missing.yml",
    ),
    ("bad_vars_file_list.yml", "playbooks/vars/list.yml:1: a vars file must be a mapping of variables"),
    (
        "bad_copy_src.yml",
        "playbooks/bad_copy_src.yml:4: copy.src: file not found: 'nowhere.txt' "
        "(searched playbooks/files/nowhere.txt, playbooks/nowhere.txt)",
    ),
    (
        "bad_template_src.yml",
        "playbooks/bad_template_src.yml:3: template.src: file not found: 'nowhere.j2' "
        "(searched playbooks/templates/nowhere.j2, playbooks/nowhere.j2)",
    ),
    (
        "bad_template_syntax.yml",
        "playbooks/templates/broken.j2:2: template syntax error: unexpected '}' "
        "(template of the task at playbooks/bad_template_syntax.yml:3)",
    ),
    (
        "bad_serial.yml",
        "playbooks/bad_serial.yml:2: serial: must be a number of hosts, a percentage like '30%' "
        "or a list of them, got '150%'",
    ),
    ("bad_become.yml", "playbooks/bad_become.yml:2: become: must be true or false, got 'sometimes'"),
    ("bad_register.yml", "playbooks/bad_register.yml:4: register: must be a variable name, got 'my-result'"),
    (
        "bad_loop_control.yml",
        "playbooks/bad_loop_control.yml:6: loop_control.extended: unsupported loop_control key 'extended'",
    ),
    ("bad_loop.yml", "playbooks/bad_loop.yml:4: loop: must be a list or a template giving one, got 'not-a-list'"),
]
"""One fixture per kind of refusal, with the exact message (file:line: field: problem)."""


@pytest.mark.parametrize(("name", "message"), BAD_PLAYBOOKS)
def test_bad_playbooks_are_refused_with_file_line_and_field(name: str, message: str) -> None:
    """Refused by the load, or (a task deployctl cannot run, reached by every host) by the pre-run check."""
    with pytest.raises(InputError) as caught:
        playbook = load(name)
        check_playbook(playbook, playbook.templar(), {"web01": {}}, set(), modules=MODULES)
    assert str(caught.value) == message
    assert caught.value.exit_code == 4


def test_every_bad_fixture_is_tested() -> None:
    listed = {path.name for path in PLAYBOOKS.glob("bad_*.yml")}
    assert listed == {name for name, _ in BAD_PLAYBOOKS}


# --- the host-time check -------------------------------------------------------------------------
HOST_VARS: dict[str, dict[str, Any]] = {
    "web01": {"app_port": 8080, "listen_address": "10.0.0.1"},
    "web02": {"app_port": 8081, "only_on_web02": 1, "listen_address": "::"},
    "db01": {"db_only": "x"},
}
GROUPS = {"web": ["web01", "web02"], "db": ["db01"], "all": ["web01", "web02", "db01"]}
RUNTIME = {"deployctl_release"}


def check(name: str, host_vars: Mapping[str, Mapping[str, Any]] = HOST_VARS) -> None:
    playbook = load(name)
    check_playbook(playbook, playbook.templar(), host_vars, RUNTIME, select=GROUPS.__getitem__, modules=MODULES)


def test_a_good_playbook_renders_for_every_host() -> None:
    check("check_ok.yml")


def test_the_check_renders_template_files_and_loops() -> None:
    without_listen = {**HOST_VARS, "web02": {"app_port": 8081}}
    with pytest.raises(InputError) as caught:
        check("check_ok.yml", without_listen)
    assert str(caught.value) == (
        "playbooks/templates/footer.j2:1: 'listen_address' is undefined "
        "(task 'Write the config' at playbooks/check_ok.yml:10, host web02)"
    )


def test_without_select_every_host_is_checked() -> None:
    playbook = load("check_undefined_arg.yml")
    check_playbook(playbook, playbook.templar(), {"web01": {"app_port": 1}}, set(), modules=MODULES)
    with pytest.raises(InputError, match=r"\(host db01\)$"):
        check_playbook(playbook, playbook.templar(), HOST_VARS, set(), modules=MODULES)


def test_without_a_module_table_values_are_still_rendered() -> None:
    playbook = load("check_undefined_arg.yml")
    with pytest.raises(InputError, match="'app_port' is undefined"):
        check_playbook(playbook, playbook.templar(), {"db01": {}}, set())


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "check_undefined_arg.yml",
            "playbooks/check_undefined_arg.yml:8: copy.content: 'app_port' is undefined (host db01)",
        ),
        (
            "check_undefined_when.yml",
            "playbooks/check_undefined_when.yml:4: when: 'feature_enabled' is undefined (host web01)",
        ),
        (
            "check_undefined_loop.yml",
            "playbooks/check_undefined_loop.yml:4: with_items: 'packages' is undefined (host web01)",
        ),
        (
            "check_item_attribute.yml",
            "playbooks/check_item_attribute.yml:9: copy.content: 'dict object' has no attribute 'port' "
            "(host web01, item={'name': 'b'})",
        ),
        (
            "check_template_undefined.yml",
            "playbooks/templates/app.conf.j2:2: 'app_port' is undefined "
            "(task 'Write the config' at playbooks/check_template_undefined.yml:5, host db01)",
        ),
        (
            "check_param_choice.yml",
            "playbooks/check_param_choice.yml:7: service.state: must be one of started, stopped, restarted, reloaded, "
            "got 'sideways' (host web01)",
        ),
        (
            "check_var_chain.yml",
            "playbooks/check_var_chain.yml:5: command.cmd: 'app_host' is undefined (in variable 'app_url') "
            "(host web01)",
        ),
        (
            "check_become_user.yml",
            "playbooks/check_become_user.yml:5: become_user: 'app_user' is undefined (host web01)",
        ),
    ],
)
def test_undefined_variables_are_reported_with_file_line_and_field(name: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        check(name)
    assert str(caught.value) == message


def test_runtime_names_are_skipped() -> None:
    with pytest.raises(InputError, match="'app_host' is undefined"):
        check("check_var_chain.yml")
    playbook = load("check_var_chain.yml")
    check_playbook(playbook, playbook.templar(), HOST_VARS, {"app_host"}, select=GROUPS.__getitem__, modules=MODULES)


def test_a_false_condition_skips_the_task_for_that_host() -> None:
    playbook = load("check_undefined_when.yml")
    host_vars = {"web01": {"app_port": 0}}
    check_playbook(playbook, playbook.templar(), host_vars, set(), modules=MODULES)


def test_an_undefined_loop_fails_only_where_the_condition_holds() -> None:
    """ansible-core's rule: `when`, without the loop variable, false (or known only to the run) skips the task."""
    with pytest.raises(InputError) as caught:
        check("check_undefined_loop_when.yml")
    assert str(caught.value) == "playbooks/check_undefined_loop_when.yml:10: loop: 'packages' is undefined (host web01)"
    check("check_undefined_loop_when.yml", {name: HOST_VARS[name] for name in ("web02", "db01")})
