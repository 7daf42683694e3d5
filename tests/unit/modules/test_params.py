"""validate_params: unknown and missing parameters, aliases, Ansible's coercions, templated values."""

from __future__ import annotations

from typing import Any

import pytest

from deployctl.modules.base import Module, Param, no_change
from deployctl.modules.params import ParamError, coerce, normalise_mode, validate_params
from deployctl.modules.registry import MODULES, find_module


def module(name: str) -> Module:
    found = find_module(name)
    assert found is not None
    return found


def error(name: str, args: dict[str, Any], *, partial: bool = False) -> ParamError:
    with pytest.raises(ParamError) as caught:
        validate_params(module(name), args, partial=partial)
    return caught.value


def test_defaults_are_filled_and_every_parameter_is_present() -> None:
    params = validate_params(module("lineinfile"), {"path": "/etc/x", "line": "a"})
    assert params["state"] == "present"
    assert params["backrefs"] is False
    assert params["regexp"] is None
    assert set(params) == set(module("lineinfile").params)


def test_unknown_parameter_names_it_and_lists_the_known_ones() -> None:
    problem = error("copy", {"dest": "/etc/x", "content": "a", "backup": True})
    assert problem.field == "backup"
    assert "unknown parameter for copy" in problem.problem
    assert "content, dest, force, group, mode, owner, src" in problem.problem
    assert "_content" not in problem.problem
    assert str(problem).startswith("backup: ")


def test_aliases_become_canonical_names() -> None:
    assert validate_params(module("file"), {"dest": "/srv", "state": "directory"})["path"] == "/srv"
    assert validate_params(module("apt"), {"pkg": "nginx"})["name"] == ["nginx"]
    assert validate_params(module("systemd"), {"daemon-reload": "yes"})["daemon_reload"] is True
    assert validate_params(module("command"), {"_raw_params": "ls"})["cmd"] == "ls"


def test_a_parameter_given_twice_through_an_alias_is_refused() -> None:
    problem = error("file", {"path": "/a", "dest": "/b"})
    assert problem.field == "dest"
    assert "given twice, as path and as dest" in problem.problem


def test_missing_required_parameter() -> None:
    problem = error("copy", {"content": "a"})
    assert (problem.field, problem.problem) == ("dest", "required by copy")


def test_null_counts_as_missing() -> None:
    assert validate_params(module("copy"), {"dest": "/x", "force": None})["force"] is True
    assert error("copy", {"dest": None}).problem == "required by copy"


def test_bad_choice_lists_the_choices() -> None:
    problem = error("service", {"name": "nginx", "state": "running"})
    assert problem.field == "state"
    assert problem.problem == "must be one of started, stopped, restarted, reloaded, got 'running'"


def test_error_names_the_field_as_written() -> None:
    assert error("file", {"dest": ["/a"]}).field == "dest"


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("bool", "yes", True),
        ("bool", "No", False),
        ("bool", "on", True),
        ("bool", "0", False),
        ("bool", 1, True),
        ("bool", False, False),
        ("int", "42", 42),
        ("int", " -3 ", -3),
        ("int", 7.0, 7),
        ("str", 8080, "8080"),
        ("str", 1.5, "1.5"),
        ("path", "/etc/x", "/etc/x"),
        ("list", "a, b,,c", ["a", "b", "c"]),
        ("list", "", []),
        ("list", ["a", 1], ["a", "1"]),
        ("list", 5, ["5"]),
        ("dict", {"a": 1}, {"a": 1}),
        ("dict", '{"a": 1}', {"a": 1}),
        ("raw", {"any": ["thing"]}, {"any": ["thing"]}),
    ],
)
def test_coercions_as_ansible(kind: Any, value: Any, expected: Any) -> None:
    assert coerce("field", kind, value) == expected


@pytest.mark.parametrize(
    ("kind", "value", "problem"),
    [
        ("bool", "maybe", "expected a boolean"),
        ("bool", 2, "expected a boolean"),
        ("int", "12a", "expected an integer"),
        ("int", True, "boolean"),
        ("int", 1.5, "expected an integer"),
        ("str", True, "quote it"),
        ("str", ["a"], "got a list"),
        ("list", {"a": 1}, "expected a list"),
        ("list", [["nested"]], "item 1: expected a string, got a list"),
        ("dict", "a=1", "expected a mapping"),
    ],
)
def test_bad_types(kind: Any, value: Any, problem: str) -> None:
    with pytest.raises(ParamError) as caught:
        coerce("field", kind, value)
    assert caught.value.field == "field"
    assert problem in caught.value.problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0644", "0644"),
        ("644", "0644"),
        ("1777", "1777"),
        ("01777", "1777"),
        ("0o750", "0750"),
        ("4755", "4755"),
        (0o644, "0644"),
        (420, "0644"),
        (0o4755, "4755"),
        (0o1777, "1777"),
        (0, "0000"),
        (400, "0620"),
        ("go-w", "go-w"),
        (" u=rwX,g=rX,o= ", "u=rwX,g=rX,o="),
        ("a-s", "a-s"),
    ],
)
def test_modes(value: Any, expected: str) -> None:
    assert normalise_mode("mode", value) == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (644, "decimal number in YAML (octal 1204); write it with a leading zero (0644) or quoted ('644')"),
        (755, "leading zero (0755)"),
        (0o17777, "out of range"),
        ("u+q", "bad symbolic permission for mode: u+q"),
        ("ua+x", "bad symbolic permission for mode: ua+x"),
        ("rwx", "mode must be in octal or symbolic form ('0644', 'u=rw,go=r'): bad symbolic permission for mode: rwx"),
        ("0888", "expected an octal mode"),
        ("77777", "expected an octal mode"),
        (True, "boolean"),
        ([644], "got a list"),
    ],
)
def test_bad_modes(value: Any, problem: str) -> None:
    with pytest.raises(ParamError) as caught:
        normalise_mode("mode", value)
    assert problem in caught.value.problem


def test_mode_parameter_is_normalised_through_validation() -> None:
    assert validate_params(module("file"), {"path": "/x", "mode": 0o600})["mode"] == "0600"


def test_partial_keeps_templated_values_unchecked() -> None:
    params = validate_params(
        module("apt"),
        {"name": ["{{ extra }}", "nginx"], "state": "{{ pkg_state }}", "cache_valid_time": "{{ ttl }}"},
        partial=True,
    )
    assert params["name"] == ["{{ extra }}", "nginx"]
    assert params["state"] == "{{ pkg_state }}"
    assert params["cache_valid_time"] == "{{ ttl }}"
    assert validate_params(module("file"), {"path": "/x", "mode": "{% if a %}0600{% endif %}"}, partial=True)["mode"]


def test_partial_still_checks_what_is_not_templated() -> None:
    assert error("apt", {"name": "nginx", "state": "running"}, partial=True).field == "state"
    assert error("apt", {"name": "nginx", "update_cache": "{{ x }}", "unknown": 1}, partial=True).field == "unknown"
    assert error("copy", {"content": "{{ body }}"}, partial=True).field == "dest"


def test_templated_values_are_checked_when_not_partial() -> None:
    assert error("apt", {"name": "nginx", "cache_valid_time": "{{ ttl }}"}).field == "cache_valid_time"


def test_a_module_with_choices_other_than_strings() -> None:
    custom = Module(
        name="custom",
        params={"level": Param("int", choices=(1, 2, 3))},
        facts=lambda params: [],
        plan=lambda params, facts: no_change("nothing"),
    )
    assert validate_params(custom, {"level": "2"})["level"] == 2
    with pytest.raises(ParamError, match="must be one of 1, 2, 3"):
        validate_params(custom, {"level": 5})


def test_registry_knows_every_module_by_short_and_qualified_names() -> None:
    expected = {
        "apt",
        "package",
        "copy",
        "template",
        "file",
        "lineinfile",
        "user",
        "group",
        "service",
        "systemd",
        "systemd_service",
        "command",
        "shell",
        "sysctl",
    }
    assert expected <= set(MODULES)
    assert module("ansible.builtin.package") is module("apt")
    assert module("ansible.legacy.systemd_service") is module("systemd")
    assert module("command").free_form == "cmd"
    assert module("shell").free_form == "cmd"


def test_every_module_documents_its_choices() -> None:
    for found in MODULES.values():
        assert found.doc.strip(), f"{found.name} has no doc"
        for name, param in found.params.items():
            assert name == name.strip() and param.type in ("str", "int", "bool", "list", "dict", "path", "mode", "raw")
