"""Lookups as Ansible runs them on the controller: first_found, file, template, env, vars, varnames, items, list."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest

from deployctl.lookups import LOOKUP_SITE_VAR, LookupFailure, LookupSite, first_found, first_found_search
from deployctl.templating import Templar, TemplateError


@pytest.fixture
def role(tmp_path: Path) -> Path:
    """A role folder beside a playbook folder: vars/, files/, templates/ and a file at the top."""
    folder = tmp_path / "roles" / "web"
    for part, name, text in (
        ("vars", "Debian.yml", "family: debian\n"),
        ("vars", "default.yml", "family: other\n"),
        ("files", "banner.txt", "  Managed by deployctl  \n\n"),
        ("templates", "motd.j2", "Welcome to {{ host }}{{ suffix | default('') }}\n"),
        ("templates", "greet.j2", "{{ lookup('template', 'motd.j2') | trim }}!"),
    ):
        (folder / part).mkdir(parents=True, exist_ok=True)
        (folder / part / name).write_text(text)
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "site.txt").write_text("site-wide\n")
    return folder


def site_of(role: Path, kind: str = "files") -> LookupSite:
    return LookupSite((role, role.parents[1]), kind)


def render(text: str, role: Path, kind: str = "files", **variables: Any) -> Any:
    return Templar().render(text, {LOOKUP_SITE_VAR: site_of(role, kind), **variables})


def problem(text: str, role: Path, kind: str = "files", **variables: Any) -> str:
    with pytest.raises(TemplateError) as caught:
        render(text, role, kind, **variables)
    return caught.value.problem


# --- first_found -----------------------------------------------------------------------------------


def test_first_found_with_params_as_real_roles_write_them(role: Path) -> None:
    params = {"files": ["{{ distro }}.yml", "{{ family }}.yml", "default.yml"], "paths": ["vars"]}
    text = "{{ lookup('first_found', params) }}"
    assert render(text, role, "vars", params=params, distro="Debian", family="Debian") == str(role / "vars/Debian.yml")
    assert render(text, role, "vars", params=params, distro="Ubuntu", family="Debian") == str(role / "vars/Debian.yml")
    assert render(text, role, "vars", params=params, distro="Alma", family="RedHat") == str(role / "vars/default.yml")


def test_first_found_names_search_the_tasks_kind_then_the_folder(role: Path) -> None:
    assert render("{{ lookup('first_found', ['nope.yml', 'Debian.yml']) }}", role, "vars") == str(
        role / "vars/Debian.yml"
    )
    assert render("{{ query('first_found', 'missing.txt,banner.txt') }}", role) == [str(role / "files/banner.txt")]
    assert render("{{ q('first_found', 'site.txt') }}", role) == [str(role.parents[1] / "files/site.txt")]


def test_first_found_skip_and_errors(role: Path) -> None:
    assert render("{{ query('first_found', files=['nope'], skip=true) }}", role) == []
    assert render("{{ lookup('first_found', {'files': ['nope'], 'skip': True}) }}", role) == []  # as ansible-core 2.19
    assert problem("{{ lookup('first_found', 'nope.yml') }}", role).startswith(
        "lookup('first_found'): No file was found when using first_found (tried nope.yml)"
    )
    assert render("{{ lookup('first_found', 'nope.yml', errors='ignore') }}", role) is None
    assert "unknown option(s) path" in problem("{{ lookup('first_found', {'files': ['a'], 'path': ['b']}) }}", role)


def test_first_found_search_order_and_splitting() -> None:
    terms = [{"files": "a.yml;b.yml", "paths": "x:y"}, ["c.yml", {"files": ["d.yml"]}]]
    assert first_found_search(terms, {"skip": True}) == (
        ["x/a.yml", "x/b.yml", "y/a.yml", "y/b.yml", "c.yml", "d.yml"],
        True,
    )


def test_first_found_absolute_names_and_failure(role: Path) -> None:
    absolute = str(role / "vars" / "default.yml")
    assert first_found(LookupSite(()), [absolute]) == [absolute]
    with pytest.raises(LookupFailure):
        first_found(LookupSite((role,)), ["missing.yml"])


# --- file, template, env, vars, items, list ----------------------------------------------------------


def test_file_reads_controller_files_rstripped_as_ansible(role: Path) -> None:
    assert render("{{ lookup('file', 'banner.txt') }}", role) == "  Managed by deployctl"
    assert render("{{ lookup('file', 'banner.txt', lstrip=true) }}", role) == "Managed by deployctl"
    assert render("{{ lookup('file', 'banner.txt', rstrip=false) }}", role) == "  Managed by deployctl  \n\n"
    assert render("{{ lookup('file', 'banner.txt', 'site.txt') }}", role) == "  Managed by deployctl,site-wide"
    assert render("{{ query('file', 'site.txt') }}", role) == ["site-wide"]


def test_file_not_found_names_where_it_looked_and_errors_modes(role: Path, caplog: pytest.LogCaptureFixture) -> None:
    found = problem("{{ lookup('file', 'nope.txt') }}", role)
    assert found.startswith("lookup('file'): could not locate file in lookup: nope.txt (searched ")
    assert str(role / "files" / "nope.txt") in found
    with caplog.at_level(logging.WARNING):
        assert render("{{ lookup('file', 'nope.txt', errors='warn') }}", role) is None
    assert "Lookup failed but the error is being ignored" in caplog.text
    assert render("{{ query('file', 'nope.txt', errors='ignore') }}", role) == []
    assert problem("{{ lookup('file', 'nope.txt', errors='loud') }}", role) == (
        "lookup(): errors must be one of strict, warn, ignore"
    )


def test_template_renders_with_the_callers_variables(role: Path) -> None:
    assert render("{{ lookup('template', 'motd.j2') }}", role, host="web1") == "Welcome to web1\n"
    extra = "{{ lookup('template', 'motd.j2', template_vars={'suffix': '!'}) }}"
    assert render(extra, role, host="web1") == "Welcome to web1!\n"
    assert render("{{ lookup('template', 'greet.j2') }}", role, host="web1") == "Welcome to web1!"
    assert problem("{{ lookup('template', 'motd.j2') }}", role) == "'host' is undefined"
    assert problem("{{ lookup('template', 'motd.j2', errors='ignore') }}", role) == "'host' is undefined"


def test_lookup_results_are_never_templated_again(role: Path) -> None:
    (role / "files" / "raw.txt").write_text("{{ secret }}\n")
    assert render("{{ lookup('file', 'raw.txt') }}", role) == "{{ secret }}"


def test_env_reads_the_controllers_environment(role: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPLOYCTL_LOOKUP_TEST", "here")
    monkeypatch.delenv("DEPLOYCTL_LOOKUP_UNSET", raising=False)
    assert render("{{ lookup('env', 'DEPLOYCTL_LOOKUP_TEST') }}", role) == "here"
    assert render("{{ lookup('env', 'DEPLOYCTL_LOOKUP_UNSET') }}", role) == ""
    assert render("{{ lookup('env', 'DEPLOYCTL_LOOKUP_UNSET', default='d') }}", role) == "d"
    assert render("{{ query('env', 'DEPLOYCTL_LOOKUP_TEST', 'DEPLOYCTL_LOOKUP_UNSET') }}", role) == ["here", ""]


def test_vars_reads_variables_by_computed_name(role: Path) -> None:
    variables = {"port_web": 80, "which": "web", "url": "http://{{ host }}", "host": "h"}
    assert render("{{ lookup('vars', 'port_' + which) }}", role, **variables) == 80
    assert render("{{ lookup('vars', 'url') }}", role, **variables) == "http://h"
    assert render("{{ lookup('vars', 'nope', default=7) }}", role) == 7
    assert problem("{{ lookup('vars', 'nope') }}", role) == "No variable found with this name: nope"
    assert problem("{{ lookup('vars', 'nope', errors='ignore') }}", role) == "No variable found with this name: nope"


def test_varnames_finds_the_names_of_defined_variables(role: Path) -> None:
    """ansible-core 2.19 gives the same: names matched with re.search per term, an empty result as []."""
    variables = {"ssh_port": 22, "ssh_ciphers": "{{ nope }}", "os_vars": {}, "item": {"key": "ssh_port"}}
    assert render("{{ lookup('varnames', '^ssh_.*') }}", role, **variables) == "ssh_port,ssh_ciphers"
    assert render("{{ query('varnames', 'port$', '^os_') }}", role, **variables) == ["ssh_port", "os_vars"]
    assert render("{{ lookup('varnames', '^zz$') }}", role, **variables) == []
    assert render("{{ not lookup('varnames', '^' + item.key + '$') }}", role, **variables) is False
    assert "is not a string" in problem("{{ lookup('varnames', 1) }}", role)
    assert "as a search parameter" in problem("{{ lookup('varnames', '(') }}", role)
    assert LOOKUP_SITE_VAR not in render("{{ query('varnames', '.') }}", role, **variables)
    assert Templar().referenced_names("{{ lookup('varnames', '^a$') }}") == {"vars"}


def test_vars_holds_every_variable(role: Path) -> None:
    """Ansible's `vars` magic variable: `vars['x']`, `vars[item]`, templated values rendered when read."""
    variables = {"port": "{{ base + 1 }}", "base": 21, "item": "port"}
    assert render("{{ vars['port'] }} {{ vars[item] }} {{ vars.base }}", role, **variables) == "22 22 21"
    assert render("{{ 'base' in vars and 'nope' not in vars }}", role, **variables) is True
    assert render("{{ vars['nope'] | default('d') }}", role, **variables) == "d"
    assert render("{{ vars }}", role, vars={"own": 1}) == {"own": 1}  # a variable named vars wins
    assert Templar().referenced_names("{{ vars[item] }}") == {"vars", "item"}


def test_items_list_and_wantlist(role: Path) -> None:
    assert render("{{ query('items', [1, 2], 3) }}", role) == [1, 2, 3]
    assert render("{{ lookup('items', ['a', 'b']) }}", role) == "a,b"
    assert render("{{ lookup('list', ['a', 'b'], wantlist=True) }}", role) == [["a", "b"]]
    assert render("{{ lookup('list', 1) }}", role) == 1
    assert render("{{ query('list', 1, 2) }}", role) == [1, 2]


def test_undefined_arguments_and_bad_options_always_fail(role: Path) -> None:
    assert problem("{{ lookup('file', missing_name, errors='ignore') }}", role) == "'missing_name' is undefined"
    assert problem("{{ lookup('env', 'HOME', nope=1) }}", role) == "lookup('env'): env: unknown option(s) nope"
    assert problem("{{ lookup('file', 'banner.txt', rstrip='maybe') }}", role).endswith(
        "rstrip must be a boolean, got 'maybe'"
    )


# --- load-time checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ lookup('dig', 'example.org') }}", "unsupported lookup plugin 'dig' in lookup() (supported: "),
        ("{{ q('password', '/tmp/x') | first }}", "unsupported lookup plugin 'password' in q() (supported: "),
        ("x {{ query(plugin, 'a') }}", "query(): name the lookup plugin with a quoted string"),
    ],
)
def test_unknown_plugins_are_refused_when_the_content_loads(text: str, expected: str) -> None:
    with pytest.raises(TemplateError) as caught:
        Templar().check_syntax({"key": [text]})
    assert caught.value.problem.startswith(expected)
    Templar().check_syntax("{{ lookup('file', 'x') ~ query('env', 'HOME') | join }}")


def test_unknown_plugins_in_conditions_and_template_files(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="unsupported lookup plugin 'redis'"):
        Templar().check_condition_syntax("lookup('redis', 'k') == 'v'")
    template = tmp_path / "t.j2"
    template.write_text("line one\n{{ lookup('pipe', 'date') }}\n")
    with pytest.raises(TemplateError) as caught:
        Templar().check_file_syntax(template, "templates/t.j2")
    assert (caught.value.template, caught.value.line) == ("templates/t.j2", 2)


def test_referenced_names_follow_vars_and_template_lookups(role: Path) -> None:
    variables = {LOOKUP_SITE_VAR: site_of(role)}
    assert Templar().referenced_names("{{ lookup('vars', 'a', 'b') }}") == {"a", "b"}
    assert Templar().referenced_names("{{ lookup('template', 'motd.j2') }}", variables) == {"host", "suffix"}


@pytest.mark.parametrize("prefix", ["ansible.builtin.", "ansible.legacy."])
def test_fully_qualified_plugin_names_are_the_same_plugins(role: Path, prefix: str) -> None:
    Templar().check_syntax(f"{{{{ lookup('{prefix}first_found', 'a') ~ q('{prefix}env', 'HOME') | join }}}}")
    assert render(f"{{{{ lookup('{prefix}file', 'banner.txt') }}}}", role) == "  Managed by deployctl"
    assert render(f"{{{{ query('{prefix}items', 1, [2]) }}}}", role) == [1, 2]
    found = render(f"{{{{ lookup('{prefix}first_found', ['nope.yml', 'default.yml']) }}}}", role, "vars")
    assert found == str(role / "vars" / "default.yml")
    assert Templar().referenced_names(f"{{{{ lookup('{prefix}vars', 'a') }}}}") == {"a"}
    variables = {LOOKUP_SITE_VAR: site_of(role)}
    assert Templar().referenced_names(f"{{{{ q('{prefix}template', 'motd.j2') }}}}", variables) == {"host", "suffix"}
    with pytest.raises(TemplateError, match=re.escape(f"unsupported lookup plugin '{prefix}dig'")):
        Templar().check_syntax(f"{{{{ lookup('{prefix}dig', 'x') }}}}")
    with pytest.raises(TemplateError, match=re.escape("unsupported lookup plugin 'community.general.file'")):
        Templar().check_syntax("{{ lookup('community.general.file', 'x') }}")
