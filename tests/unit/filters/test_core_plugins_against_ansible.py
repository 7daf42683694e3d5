"""ansible.builtin tests and filters deployctl adds (truthy, falsy, contains, subset, zip, path_join...), rendered
by deployctl's Templar, equal ansible-core's own functions; every filter and test has its fully qualified names."""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import pytest

from deployctl.templating import Templar, TemplateError

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from ansible.plugins.filter.core import path_join as ansible_path_join
    from ansible.plugins.filter.mathstuff import inversepower, logarithm, power
    from ansible.plugins.test.core import falsy as ansible_falsy
    from ansible.plugins.test.core import finished as ansible_finished
    from ansible.plugins.test.core import reachable as ansible_reachable
    from ansible.plugins.test.core import timedout as ansible_timedout
    from ansible.plugins.test.core import truthy as ansible_truthy
    from ansible.plugins.test.mathstuff import contains as ansible_contains
    from ansible.plugins.test.mathstuff import isnotanumber, issubset, issuperset


def render(template: str, **variables: Any) -> Any:
    return Templar().render(template, variables)


TRUTH_VALUES = ["no", "Yes", " off ", "t", "F", "1", "0", "maybe", "", 0, 1, 2, 0.0, 1.0, [], [0], {}, {"a": 1}, None]


@pytest.mark.parametrize("value", TRUTH_VALUES)
@pytest.mark.parametrize("convert_bool", [False, True])
def test_truthy_and_falsy_match_ansible(value: Any, convert_bool: bool) -> None:
    assert render("{{ v is truthy(convert_bool=c) }}", v=value, c=convert_bool) is ansible_truthy(value, convert_bool)
    assert render("{{ v is falsy(convert_bool=c) }}", v=value, c=convert_bool) is ansible_falsy(value, convert_bool)
    assert render("{{ v is ansible.builtin.truthy }}", v=value) is ansible_truthy(value)


@pytest.mark.parametrize(
    ("first", "second"), [([1, 2], [1, 2, 3]), ([1, 4], [1, 2]), ([], [1]), (["a"], ["a"]), ([1, 2, 3], [2])]
)
def test_set_tests_match_ansible(first: list[Any], second: list[Any]) -> None:
    assert render("{{ a is subset(b) }}", a=first, b=second) is issubset(first, second)
    assert render("{{ a is issubset(b) }}", a=first, b=second) is issubset(first, second)
    assert render("{{ a is superset(b) }}", a=first, b=second) is issuperset(first, second)
    assert render("{{ a is contains(b[0]) }}", a=first, b=second) is ansible_contains(first, second[0])
    assert render("{{ a is all }}", a=first) is all(first)
    assert render("{{ a is any }}", a=first) is any(first)


def test_contains_selects_as_in_ansible() -> None:
    users = [{"name": "a", "groups": ["admin"]}, {"name": "b", "groups": []}]
    assert render("{{ u | selectattr('groups', 'contains', 'admin') | map(attribute='name') | list }}", u=users) == [
        "a"
    ]


@pytest.mark.parametrize("value", [math.nan, 1.5, "nan", None])
def test_nan_matches_ansible(value: Any) -> None:
    assert render("{{ v is nan }}", v=value) is isnotanumber(value)


@pytest.mark.parametrize(
    "result",
    [{}, {"unreachable": True}, {"finished": 0}, {"finished": 1}, {"timedout": {"period": 5}}, {"timedout": {}}],
)
def test_result_tests_match_ansible(result: dict[str, Any]) -> None:
    assert render("{{ r is reachable }}", r=result) is ansible_reachable(result)
    assert render("{{ r is unreachable }}", r=result) is not ansible_reachable(result)
    assert render("{{ r is timedout }}", r=result) is ansible_timedout(result)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert render("{{ r is finished }}", r=result) is ansible_finished(result)


@pytest.mark.parametrize("paths", [["/a", "b"], ["/a", "b", "/c", "d"], "x/y", ["a", "", "b"]])
def test_path_join_matches_ansible(paths: Any) -> None:
    assert render("{{ p | path_join }}", p=paths) == ansible_path_join(paths)


@pytest.mark.parametrize("number", [1, 8, 100, 2.5])
def test_math_filters_match_ansible(number: float) -> None:
    assert render("{{ n | log }}", n=number) == logarithm(number)
    assert render("{{ n | log(10) }}", n=number) == logarithm(number, 10)
    assert render("{{ n | pow(3) }}", n=number) == power(number, 3)
    assert render("{{ n | root }}", n=number) == inversepower(number)
    assert render("{{ n | root(3) }}", n=number) == inversepower(number, 3)


def test_list_filters_give_lists_as_ansible() -> None:
    assert render("{{ [1, 2] | zip([3, 4], [5]) }}") == [[1, 3, 5]]
    assert render("{{ [1, 2] | zip_longest([3], fillvalue='-') }}") == [[1, 3], [2, "-"]]
    assert render("{{ [1, 2] | product(['a']) }}") == [list(p) for p in itertools.product([1, 2], ["a"])]
    assert render("{{ [1, 2, 3] | permutations(2) | length }}") == 6
    assert render("{{ [1, 2, 3] | combinations(2) }}") == [[1, 2], [1, 3], [2, 3]]
    assert render("{{ [1, 2, 3] | symmetric_difference([3, 4]) }}") == [1, 2, 4]
    assert render("{{ 'a, b,c' | split(',') }}") == ["a", " b", "c"]
    assert render("{{ 'a b  c' | split }}") == ["a", "b", "c"]
    assert render("{{ 'a/b.tar.gz' | splitext }}") == ["a/b.tar", ".gz"]
    assert render("{{ '/a//b/../c/.' | normpath }}") == "/a/c"
    assert render("{{ ['x'] | map('extract', {'x': {'y': 1}}, 'y') | list }}") == [1]
    assert [render("{{ v | type_debug }}", v=v) for v in ("s", 1, [1], {"a": 1}, None)] == [
        "str",
        "int",
        "list",
        "dict",
        "NoneType",
    ]
    with pytest.raises(TemplateError, match="log\\(\\) can only be used on numbers"):
        render("{{ 'x' | log }}")


def test_every_filter_and_test_has_its_fully_qualified_names() -> None:
    templar = Templar()
    assert templar.render("{{ 'x' | ansible.builtin.to_json }}", {}) == '"x"'
    assert templar.render("{{ 'yes' | ansible.legacy.bool }}", {}) is True
    assert templar.render("{{ '1.2' is ansible.builtin.version('1.10', '<') }}", {}) is True
    assert templar.render("{{ ['b', 'a'] | ansible.builtin.sort | ansible.builtin.first }}", {}) == "a"
    assert templar.evaluate("x is ansible.builtin.defined", {"x": 1}) is True
