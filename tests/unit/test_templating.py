"""The Templar: Ansible's Jinja2 semantics (native values, strict undefined, lazy variables, filters, tests)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from deployctl.lookups import LOOKUP_SITE_VAR, LookupSite
from deployctl.templating import OMIT, Templar, TemplateError, UndefinedVariableError, is_templated, mark_unsafe


@pytest.fixture
def templar() -> Templar:
    return Templar()


def render(text: Any, **variables: Any) -> Any:
    return Templar().render(text, variables)


def problem_of(text: str, **variables: Any) -> str:
    with pytest.raises(TemplateError) as caught:
        Templar().render(text, variables)
    return caught.value.problem


# --- render ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ ports }}", [80, 443]),
        ("{{ port }}", 8080),
        ("{{ port > 1000 }}", True),
        ("{{ nothing }}", None),
        ("{{ conf }}", {"a": 1}),
        ("port={{ port }}", "port=8080"),
        ("{{ port }}{{ port }}", "80808080"),
        (" {{ port }}", " 8080"),
        ("{{- port -}}", 8080),
        ("{% if port %}yes{% endif %}", "yes"),
        ("plain", "plain"),
        ("a{{ nothing }}b", "ab"),
    ],
)
def test_render_gives_native_values_for_one_expression(text: str, expected: Any) -> None:
    variables = {"ports": [80, 443], "port": 8080, "nothing": None, "conf": {"a": 1}}
    assert render(text, **variables) == expected


def test_render_recurses_and_passes_other_values_through(templar: Templar) -> None:
    value = {"dest": "/etc/{{ name }}.conf", "opts": ["{{ port }}", 3, True], "{{ name }}_key": None}
    assert templar.render(value, {"name": "app", "port": 80}) == {
        "dest": "/etc/app.conf",
        "opts": [80, 3, True],
        "app_key": None,
    }
    assert templar.render(42, {}) == 42


def test_variables_are_templated_lazily_and_recursively(templar: Templar) -> None:
    variables = {
        "url": "http://{{ host }}:{{ port }}",
        "host": "web01",
        "port": "{{ base_port + 1 }}",
        "base_port": 8079,
        "endpoints": ["{{ url }}/a"],
        "broken": "{{ not_defined }}",  # never read, never an error
    }
    assert templar.render("{{ url }}", variables) == "http://web01:8080"
    assert templar.render("{{ endpoints }}", variables) == ["http://web01:8080/a"]
    assert templar.render("{{ port }}", variables) == 8080


def test_undefined_variables_are_named() -> None:
    assert problem_of("{{ app_port }}") == "'app_port' is undefined"
    assert problem_of("port={{ app_port }}") == "'app_port' is undefined"
    assert problem_of("{{ [app_port] }}") == "'app_port' is undefined"
    assert problem_of("{{ conf.port }}", conf={}) == "'dict object' has no attribute 'port'"
    assert problem_of("{{ url }}", url="http://{{ host }}") == "'host' is undefined (in variable 'url')"


def test_a_loop_between_variables_is_reported() -> None:
    assert problem_of("{{ a }}", a="{{ b }}", b="{{ a }}") == "recursive loop detected in variable 'a'"


def test_undefined_is_chainable_for_default() -> None:
    assert render("{{ missing.deep.key | default('d') }}") == "d"
    assert render("{{ missing | d(5) }}") == 5
    assert render("{{ 'yes' if missing is defined else 'no' }}") == "no"


def test_omit_drops_keys_and_items(templar: Templar) -> None:
    value = {"mode": "{{ mode | default(omit) }}", "dest": "/x", "list": [1, "{{ omit }}"]}
    assert templar.render(value, {}) == {"dest": "/x", "list": [1]}
    assert templar.render("{{ omit }}", {}) == OMIT


def test_unsafe_values_are_never_templated(templar: Templar) -> None:
    result = mark_unsafe({"stdout": "{{ secret }}", "lines": ["{% x %}"]})
    assert templar.render("{{ result.stdout }}", {"result": result}) == "{{ secret }}"
    assert templar.render(result, {}) == result
    assert not is_templated(result)


def test_syntax_errors_and_unknown_filters() -> None:
    assert problem_of("{{ port }").startswith("template syntax error: unexpected '}'")
    assert problem_of("{{ port | shout }}") == "template syntax error: No filter named 'shout'."


def test_errors_raised_by_filters_are_template_errors() -> None:
    assert problem_of("{{ 'x' | from_json }}").startswith("JSONDecodeError: ")
    assert problem_of("{{ 1 / 0 }}") == "ZeroDivisionError: division by zero"


def test_lookup_plugins_deployctl_lacks_are_refused_by_name_when_they_run() -> None:
    assert problem_of("{{ lookup(name, 'x') }}", name="dig").startswith(
        "lookup('dig'): unsupported lookup plugin 'dig' (supported: first_found, file, template, env, vars"
    )
    assert problem_of("{{ query('pipe', 'date') }}").startswith("query('pipe'): unsupported lookup plugin 'pipe'")


# --- filters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ missing | default('x') }}", "x"),
        ("{{ '' | default('x', true) }}", "x"),
        ("{{ ['a', 'b'] | join(',') }}", "a,b"),
        ("{{ {'b': 1, 'a': [1]} | to_json }}", '{"b": 1, "a": [1]}'),
        ("{{ {'b': 1, 'a': 2} | to_nice_json(indent=2) }}", '{\n  "a": 2,\n  "b": 1\n}'),
        ("{{ '{\"a\": [1]}' | from_json }}", {"a": [1]}),
        ("{{ {'a': [1, 2]} | to_yaml }}", "a: [1, 2]\n"),
        ("{{ {'a': [1, 2]} | to_nice_yaml(indent=2) }}", "a:\n- 1\n- 2\n"),
        ("{{ 'a: [1]' | from_yaml }}", {"a": [1]}),
        ("{{ 'yes' | bool }}", True),
        ("{{ 'off' | bool }}", False),
        ("{{ none | bool }}", False),
        ("{{ '42' | int + 1 }}", 43),
        ("{{ '1.5' | float }}", 1.5),
        ("{{ 5 | string }}", "5"),
        ("{{ 'Ab' | lower }}{{ 'Ab' | upper }}", "abAB"),
        ("{{ 'web-01' | regex_replace('-(\\d+)$', '_\\1') }}", "web_01"),
        ("{{ 'a1b22' | regex_replace('\\d', 'X', count=2) }}", "aXbX2"),
        ("{{ 'version 1.22' | regex_search('\\d+\\.\\d+') }}", "1.22"),
        ("{{ 'k=v' | regex_search('(\\w)=(\\w)', '\\2', '\\1') }}", ["v", "k"]),
        ("{{ 'abc' | regex_search('z') }}", None),
        ("{{ 'a1b2' | regex_findall('\\d') }}", ["1", "2"]),
        ("{{ '/etc/app/app.conf' | basename }}", "app.conf"),
        ("{{ '/etc/app/app.conf' | dirname }}", "/etc/app"),
        ("{{ 'hello' | b64encode }}", "aGVsbG8="),
        ("{{ 'aGVsbG8=' | b64decode }}", "hello"),
        ('{{ "it\'s here" | quote }}', "'it'\"'\"'s here'"),
        ("{{ true | ternary('on', 'off') }}", "on"),
        ("{{ none | ternary('on', 'off', 'unset') }}", "unset"),
        ("{{ 3 | mandatory }}", 3),
        ("{{ {'a': 1, 'n': {'x': 1}} | combine({'n': {'y': 2}}) }}", {"a": 1, "n": {"y": 2}}),
        ("{{ {'n': {'x': 1}} | combine({'n': {'y': 2}}, recursive=true) }}", {"n": {"x": 1, "y": 2}}),
        ("{{ [{'a': 1}, {'b': 2}] | combine }}", {"a": 1, "b": 2}),
        ("{{ {'l': [1]} | combine({'l': [2]}, list_merge='append') }}", {"l": [1, 2]}),
        ("{{ {'a': 1} | dict2items }}", [{"key": "a", "value": 1}]),
        ("{{ [{'name': 'a', 'v': 1}] | items2dict(key_name='name', value_name='v') }}", {"a": 1}),
        ("{{ ['b', 'a', 'b', 'B'] | unique }}", ["b", "a"]),
        ("{{ ['b', 'B'] | unique(case_sensitive=true) }}", ["b", "B"]),
        ("{{ [{'a': 1}, {'a': 1}] | unique }}", [{"a": 1}]),
        ("{{ [1, [2, [3, none]]] | flatten }}", [1, 2, 3]),
        ("{{ [1, [2, [3]]] | flatten(levels=1) }}", [1, 2, [3]]),
        ("{{ [1, 2] | union([2, 3]) }}", [1, 2, 3]),
        ("{{ [1, 2] | intersect([2, 3]) }}", [2]),
        ("{{ [1, 2] | difference([2, 3]) }}", [1]),
    ],
)
def test_ansible_filters(text: str, expected: Any) -> None:
    assert render(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # values as YAML hands them over (its own escapes read), with what ansible-core 2.19 renders
        (r'{{ "web-01" | regex_replace("-(\\d+)$", "_\\1") }}', "web-01"),  # single-quoted YAML keeps both
        (r'{{ "web-01" | regex_replace("-(\d+)$", "_\1") }}', "web_01"),
        (r'{{ "HAProxy version 2.6.12-1" | regex_replace("^HA-?Proxy version (\d+(\.\d+)*).*$", "\1") }}', "2.6.12"),
        (r'{{ "\1" }}', "\\1"),
        (r'x{{ "\t" }}y{% if "\t" == "\x09" %}T{% endif %}', "x\\tyT"),
    ],
)
def test_backslashes_in_value_expressions_are_kept_as_ansible_keeps_them(text: str, expected: str) -> None:
    assert render(text) == expected


def test_conditions_and_template_files_keep_jinja_escapes(templar: Templar, tmp_path: Path) -> None:
    assert templar.evaluate(r'"\x41" == "A"', {})
    (tmp_path / "t.j2").write_text(r'{{ "a\tb" }}')
    assert templar.render_file(tmp_path / "t.j2", {}) == "a\tb"


def test_mandatory_names_the_variable() -> None:
    assert problem_of("{{ app_port | mandatory }}") == "Mandatory variable 'app_port' not defined."
    assert problem_of("{{ app_port | mandatory('set app_port') }}") == "set app_port"


# --- conditions and tests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("port == 80", True),
        ("{{ port == 80 }}", True),
        (True, True),
        (False, False),
        ("", True),
        ("flag", False),  # the string "no" is false, as a YAML boolean would be
        ("missing is defined", False),
        ("items | length > 1", True),
        ("ok is succeeded and ok is success", True),
        ("bad is failed and bad is failure", True),
        ("ok is changed or ok is change", False),
        ("looped is changed", True),
        ("skipped_result is skipped and skipped_result is skip", True),
        ("'web01' is match('web')", True),
        ("'aweb01' is match('web')", False),
        ("'aweb01' is search('web')", True),
        ("'WEB' is regex('web', ignorecase=true)", True),
    ],
)
def test_evaluate(templar: Templar, condition: str | bool, expected: bool) -> None:
    variables = {
        "port": 80,
        "flag": "no",
        "items": [1, 2],
        "ok": {"changed": False, "failed": False},
        "bad": {"failed": True},
        "looped": {"results": [{"changed": False}, {"changed": True}]},
        "skipped_result": {"skipped": True},
    }
    assert templar.evaluate(condition, variables) is expected


def test_evaluate_errors(templar: Templar) -> None:
    with pytest.raises(TemplateError, match=r"^'app_port' is undefined$"):
        templar.evaluate("app_port > 1", {})
    with pytest.raises(TemplateError, match="not a boolean"):
        templar.evaluate("name", {"name": "web"})
    with pytest.raises(TemplateError, match="bare Jinja expression"):
        templar.evaluate("{{ port }} == 80", {"port": 80})
    with pytest.raises(TemplateError, match="expects a registered result"):
        templar.evaluate("'x' is changed", {})


# --- template files --------------------------------------------------------------------------------


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "app.conf.j2").write_text(
        "# {{ name }}\n{% for p in ports %}\nlisten {{ p }}\n{% endfor %}\n{% include 'footer.j2' %}\n"
    )
    (folder / "footer.j2").write_text("# end of {{ name }}: {{ footer_note }}\n")
    (folder / "broken.j2").write_text("ok\n{% if name %}\nno end\n")
    return folder


def test_render_file_keeps_trailing_newline_and_trims_blocks(templates: Path) -> None:
    templar = Templar([templates])
    text = templar.render_file(templates / "app.conf.j2", {"name": "app", "ports": [80, 81], "footer_note": "hi"})
    assert text == "# app\nlisten 80\nlisten 81\n# end of app: hi\n"


def test_render_file_errors_name_the_file_and_line(templates: Path) -> None:
    templar = Templar([templates])
    with pytest.raises(TemplateError) as caught:
        templar.render_file(templates / "app.conf.j2", {"ports": []}, display="templates/app.conf.j2")
    assert str(caught.value) == "templates/app.conf.j2:1: 'name' is undefined"
    assert (caught.value.template, caught.value.line) == ("templates/app.conf.j2", 1)
    with pytest.raises(TemplateError) as caught:
        templar.render_file(templates / "app.conf.j2", {"name": "a", "ports": []}, display="templates/app.conf.j2")
    assert str(caught.value) == "templates/footer.j2:1: 'footer_note' is undefined"
    with pytest.raises(TemplateError) as caught:
        templar.render_file(templates / "broken.j2", {"name": "a"}, display="templates/broken.j2")
    assert caught.value.template == "templates/broken.j2"
    assert caught.value.problem.startswith("template syntax error: Unexpected end of template")
    with pytest.raises(TemplateError, match=r"^templates/none\.j2: template file not found$"):
        templar.render_file(templates / "none.j2", {}, display="templates/none.j2")


def test_check_file_syntax(templates: Path) -> None:
    templar = Templar([templates])
    templar.check_file_syntax(templates / "app.conf.j2")
    with pytest.raises(TemplateError) as caught:
        templar.check_file_syntax(templates / "broken.j2", "t/broken.j2")
    assert caught.value.template == "t/broken.j2"
    assert caught.value.line == 3


# --- names ---------------------------------------------------------------------------------------


def test_is_templated() -> None:
    assert is_templated("{{ x }}")
    assert is_templated({"a": ["{% if x %}{% endif %}"]})
    assert is_templated("{# note #}")
    assert not is_templated("plain { text }")
    assert not is_templated(3)


def test_referenced_names(templar: Templar, templates: Path) -> None:
    assert templar.referenced_names("{{ a + b }} {% for i in items %}{{ i }}{{ range(3) }}{% endfor %}") == {
        "a",
        "b",
        "items",
    }
    assert templar.referenced_names({"x": ["{{ a }}"], "{{ k }}": 1}) == {"a", "k"}
    assert templar.referenced_names("{{ url }}", {"url": "{{ host }}:{{ port }}", "port": 80}) == {
        "url",
        "host",
        "port",
    }
    assert templar.referenced_names(templates / "app.conf.j2") == {"name", "ports", "footer_note"}
    assert templar.condition_names("result is changed and port > 1") == {"result", "port"}


def test_includes_also_resolve_beside_the_including_template(templates: Path) -> None:
    (templates / "sub").mkdir()
    (templates / "sub" / "page.j2").write_text("page {% include 'part.j2' %}")
    (templates / "sub" / "part.j2").write_text("part {{ name }}")
    templar = Templar([templates])
    assert templar.render_file(templates / "sub" / "page.j2", {"name": "x"}) == "page part x"
    assert templar.referenced_names(templates / "sub" / "page.j2") == {"name"}


def test_check_syntax_compiles_every_string(templar: Templar) -> None:
    templar.check_syntax({"a": ["{{ x | default(1) }}", "{% if y %}y{% endif %}"], "b": 3})
    with pytest.raises(TemplateError, match="No filter named 'nope'"):
        templar.check_syntax({"a": ["ok", "{{ x | nope }}"]})
    templar.check_condition_syntax("x is defined and x > 1")
    with pytest.raises(TemplateError, match="template syntax error"):
        templar.check_condition_syntax("x >")
    assert templar.condition_expression(" {{ x == 1 }} ") == "x == 1"


def test_unknown_filters_and_tests_inside_statements_are_refused_before_they_run(
    templar: Templar, templates: Path
) -> None:
    with pytest.raises(TemplateError, match="No filter named 'nope'"):
        templar.check_syntax("{% if x %}{{ x | nope }}{% endif %}")
    with pytest.raises(TemplateError, match="No test named 'nopetest'"):
        templar.check_syntax("{{ 1 if x is nopetest else 2 }}")
    with pytest.raises(TemplateError, match="No test named 'nopetest'"):
        templar.check_condition_syntax("x is nopetest")
    (templates / "page.j2").write_text("a\n{% if x %}\n{{ x | nope }}\n{% endif %}\n")
    with pytest.raises(TemplateError, match="No filter named 'nope'") as raised:
        templar.check_file_syntax(templates / "page.j2", "templates/page.j2")
    assert (raised.value.template, raised.value.line) == ("templates/page.j2", 3)
    templar.check_syntax("{% if x is defined %}{{ x | default(1) | to_json }}{% endif %}")


# --- the sandbox, and host text that is never templated ---------------------------------------------


def popen_payload(marker: Path) -> str:
    """A template that would create `marker` if Jinja let it reach Python's os module."""
    return "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}"


ESCAPES = [
    "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "before {{ joiner.__init__.__globals__.os.popen('touch MARKER').read() }} after",
    "{{ lipsum.__globals__['os'].popen('touch MARKER').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.popen('touch MARKER') }}",
    "{{ (cycler | attr('__in' ~ 'it__')).__globals__.os.popen('touch MARKER').read() }}",
    "{{ namespace['__in' ~ 'it__'].__globals__.os.popen('touch MARKER').read() }}",
    "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{{ c }}{% endfor %}",
    "{{ '{0.__init__.__globals__[os].popen}'.format(cycler) }}",
]


@pytest.mark.parametrize("payload", ESCAPES, ids=[str(i) for i in range(len(ESCAPES))])
def test_the_sandbox_refuses_walks_to_python_internals_in_one_line(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "PWNED"
    text = payload.replace("MARKER", str(marker))
    with pytest.raises(TemplateError) as caught:
        Templar().render({"value": "{{ hostile }}"}, {"hostile": text})
    assert caught.value.problem.startswith("refused by the template sandbox: ")
    assert "\n" not in str(caught.value)
    assert not marker.exists()


def test_the_sandbox_refuses_in_conditions_and_template_files(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    with pytest.raises(TemplateError) as in_condition:
        Templar().evaluate("cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() == ''", {})
    assert in_condition.value.problem.startswith("refused by the template sandbox: ")
    (tmp_path / "evil.j2").write_text("line one\n" + popen_payload(marker) + "\n")
    with pytest.raises(TemplateError) as in_file:
        Templar([tmp_path]).render_file(tmp_path / "evil.j2", {}, "templates/evil.j2")
    assert str(in_file.value).startswith("templates/evil.j2:2: refused by the template sandbox: ")
    assert not marker.exists()


def test_objects_that_are_not_data_show_no_attributes(tmp_path: Path) -> None:
    """A Path (or the lookup site deployctl passes along) could write files: templates see data only."""
    marker = tmp_path / "PWNED"
    variables = {LOOKUP_SITE_VAR: LookupSite((tmp_path,)), "path": marker}
    for text in [
        "{{ " + LOOKUP_SITE_VAR + ".candidates('PWNED')[0].write_text('x') }}",
        "{{ path.write_text('x') }}",
        "{{ (path | attr('write_text'))('x') }}",
        "{{ path['touch']() }}",
    ]:
        with pytest.raises(TemplateError, match=r"^refused by the template sandbox: access to attribute"):
            Templar().render(text, variables)
    assert not marker.exists()
    when = {"day": date(2024, 5, 1), "items": {"a": 1}}
    assert render("{{ day.year }} {{ items.keys() | list }} {{ missing.x | default('-') }}", **when) == "2024 ['a'] -"


def test_internals_written_out_are_refused_when_the_content_loads(tmp_path: Path) -> None:
    """check_syntax (what the loader runs on every value) refuses them without rendering anything."""
    templar = Templar([tmp_path])
    for value in ["{{ x.__class__ }}", "{{ x['__globals__'] }}", "{{ x | attr('__dict__') }}", "{{ self._T__c }}"]:
        with pytest.raises(TemplateError, match="refused by the template sandbox: attribute '_"):
            templar.check_syntax({"key": [value]})
    with pytest.raises(TemplateError, match="refused by the template sandbox"):
        templar.check_condition_syntax("x.__class__ is defined")
    (tmp_path / "evil.j2").write_text("ok\n\n{{ lipsum.__globals__ }}\n")
    with pytest.raises(TemplateError) as caught:
        templar.check_file_syntax(tmp_path / "evil.j2", "templates/evil.j2")
    assert str(caught.value).startswith("templates/evil.j2:3: refused by the template sandbox: attribute '__globals__'")
    templar.check_syntax("{{ conf._private }} {{ conf['_tmp'] }} {{ a__b }}")  # ordinary names stay fine


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ csv.split(',') | map('trim') | list }}", ["a", "b"]),
        ("{{ conf.items() | list | length }}", 2),
        ("{{ conf.get('port', 1) }}", 80),
        ("{{ '%s:%s' | format(name, conf.port) }}", "web:80"),
        ("{{ '{}:{}'.format(name, conf.port) }}", "web:80"),
        ("{{ users | selectattr('admin') | map(attribute='name') | list }}", ["ann"]),
        ("{{ conf | dict2items | items2dict }}", {"port": 80, "tls": True}),
        ("{{ conf | combine({'port': 81}) | to_json }}", '{"port": 81, "tls": true}'),
        ("{{ name | regex_replace('^w', 'W') | upper }}", "WEB"),
        ("{{ [1, [2, [3]]] | flatten | union([4]) | sum }}", 10),
        ("{{ name | b64encode | b64decode }}", "web"),
        ("{{ range(3) | list | difference([1]) }}", [0, 2]),
        ("{{ users | map(attribute='name') | join(',') | quote }}", "ann,bob"),
        ("{{ conf | to_nice_yaml | from_yaml }}", {"port": 80, "tls": True}),
        ("{% set ns = namespace(n=0) %}{% for u in users %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}", "2"),
    ],
)
def test_ansible_filters_and_methods_work_in_the_sandbox(text: str, expected: Any) -> None:
    users = [{"name": "ann", "admin": True}, {"name": "bob", "admin": False}]
    assert render(text, csv="a, b", conf={"port": 80, "tls": True}, name="web", users=users) == expected


def test_host_text_stays_literal_wherever_it_flows(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    payload = popen_payload(marker)
    host = mark_unsafe({"hostname": payload, "mounts": [{"device": payload}], "lines": [payload, "{% raw %}"]})
    variables = {
        "fact": host,
        "banner": "host {{ fact.hostname }}",  # a variable reading the fact, read by another
        "motd": "{{ banner }}!",
        "nested": {"devices": ["{{ fact.mounts[0].device }}"], "by_line": "{{ fact.lines }}"},
    }
    templar = Templar([tmp_path])
    assert templar.render("{{ motd }}", variables) == f"host {payload}!"
    assert templar.render("{{ nested }}", variables) == {"devices": [payload], "by_line": [payload, "{% raw %}"]}
    assert templar.evaluate("fact.hostname == banner[5:] and fact.hostname.startswith('{' ~ '{')", variables)
    assert templar.evaluate("'popen' in banner", variables)
    (tmp_path / "motd.j2").write_text("{{ motd }}\n{% for line in fact.lines %}{{ line }}\n{% endfor %}")
    assert templar.render_file(tmp_path / "motd.j2", variables) == f"host {payload}!\n{payload}\n{{% raw %}}\n"
    # a rendered result holding host text (a loop item, a set_fact value) is not templated a second time
    item = templar.render("{{ fact.hostname }} and more", variables)
    assert templar.render("{{ item }}", {"item": item}) == f"{payload} and more"
    assert templar.render("{{ items }}", {"items": templar.render(["x {{ fact.lines[0] }}"], variables)}) == [
        f"x {payload}"
    ]
    assert not is_templated(item)
    assert not marker.exists()


def test_from_yaml_reads_host_output_through_the_bounded_reader() -> None:
    """A host's output parsed with from_yaml cannot expand an alias bomb on the controller."""
    templar = Templar()
    assert templar.render("{{ out | from_yaml }}", {"out": "a: [1, 2]\nb: x"}) == {"a": [1, 2], "b": "x"}
    levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for index in range(8):
        name, previous = chr(98 + index), chr(97 + index)
        levels.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    with pytest.raises(TemplateError, match="values once aliases are expanded"):
        templar.render("{{ out | from_yaml }}", {"out": "\n".join(levels)})


def test_an_undefined_variable_is_told_apart_from_other_template_errors() -> None:
    templar = Templar()
    variables = {"users": "{{ missing }}", "port": "x"}
    for template in ("{{ missing }}", "{{ users }}", "{{ port.number }}", "{{ lookup('vars', 'missing') }}"):
        with pytest.raises(UndefinedVariableError):
            templar.render(template, variables)
    with pytest.raises(UndefinedVariableError, match="'missing' is undefined"):
        templar.evaluate("users | length > 0", variables)
    with pytest.raises(TemplateError) as caught:
        templar.render("{{ 1 / 0 }}", variables)
    assert not isinstance(caught.value, UndefinedVariableError)


def test_a_variable_whose_value_is_undefined_is_undefined() -> None:
    """As ansible-core: `is defined` is false and `default` applies; reading it tells what is missing."""
    templar = Templar()
    variables = {"users": "{{ missing }}"}
    assert templar.evaluate("users is not defined", variables)
    assert templar.render("{{ users | default([]) }}", variables) == []
    with pytest.raises(UndefinedVariableError, match=r"'missing' is undefined \(in variable 'users'\)"):
        templar.render("{{ users }}", variables)
