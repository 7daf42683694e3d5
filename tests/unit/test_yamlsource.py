"""YAML loading with lines: aliases shared once, limits on size, depth and values, merge keys, tags."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.cli.main import main
from deployctl.errors import InputError
from deployctl.yamlsource import MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES, load_yaml_file, parse_yaml


def laughs(levels: int) -> str:
    """The "billion laughs": each level a list of nine aliases to the level before (9**levels values)."""
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def problem(text: str) -> InputError:
    with pytest.raises(InputError) as raised:
        parse_yaml(text, "site.yml")
    return raised.value


def test_every_key_and_item_keeps_the_line_it_starts_on() -> None:
    data = parse_yaml("tasks:\n  - name: a\n    debug: {}\n  - &b\n    name: b\n  - *b\nend: 1\n", "site.yml")
    assert data["tasks"].item_lines == [2, 4, 6]
    assert (data.line_of("tasks"), data.line_of("end"), data["tasks"][0].line_of("debug")) == (1, 7, 3)


def test_an_alias_bomb_is_refused_at_the_alias_that_crosses_the_limit() -> None:
    assert MAX_YAML_NODES < 9**9
    error = problem(laughs(9))
    assert (error.source, error.line) == ("site.yml", 7)
    assert "once aliases are expanded" in error.problem


def test_aliases_are_one_shared_value_not_copies() -> None:
    data = parse_yaml(laughs(6), "site.yml")
    assert all(item is data["a4"] for item in data["a5"])
    assert all(item is data["a0"] for item in data["a1"])
    distinct = {id(data[f"a{n}"]) for n in range(6)} | {id(item) for n in range(1, 6) for item in data[f"a{n}"]}
    assert len(distinct) == 6


def test_a_recursive_alias_is_a_one_line_error() -> None:
    error = problem("a: &a [1, *a]\n")
    assert (error.line, "recursive alias *a" in error.problem) == (1, True)
    assert problem("b:\n  c: &c\n    d: *c\n").line == 3


def test_nesting_deeper_than_the_limit_is_refused_also_through_an_alias() -> None:
    assert parse_yaml("[" * MAX_YAML_DEPTH + "]" * MAX_YAML_DEPTH, "site.yml") is not None
    assert "nested deeper than" in problem("[" * (MAX_YAML_DEPTH + 1) + "]" * (MAX_YAML_DEPTH + 1)).problem
    deep = "[" * (MAX_YAML_DEPTH - 1) + "]" * (MAX_YAML_DEPTH - 1)
    error = problem(f"a: &a {deep}\nb: [[*a]]\n")
    assert (error.line, "nested deeper than" in error.problem) == (2, True)


def test_a_file_larger_than_the_limit_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    big = tmp_path / "big.yml"
    line = b"# " + b"x" * 1021 + b"\n"
    big.write_bytes(line * (MAX_YAML_BYTES // len(line) + 1))
    with pytest.raises(InputError) as raised:
        load_yaml_file(big, "inventories/big.yml")
    assert raised.value.source == "inventories/big.yml"
    assert "MiB" in raised.value.problem


def test_merge_keys_with_an_overriding_key_follow_yaml_1_1() -> None:
    text = (
        "base: &base {port: 80, user: web}\nextra: &extra {port: 81, group: www}\n"
        "site:\n  <<: [*base, *extra]\n  user: app\n"
    )
    data = parse_yaml(text, "site.yml")
    assert data["site"] == {"port": 80, "user": "app", "group": "www"}
    assert (data["site"].line_of("user"), data["site"].line_of("port")) == (5, 1)
    assert parse_yaml("b: &b {x: 1}\nc:\n  x: 2\n  <<: *b\n", "s.yml")["c"] == {"x": 2}


def test_duplicate_keys_stay_an_error_merge_key_included() -> None:
    assert "duplicate key (first at line 1)" in problem("a: 1\na: 2\n").problem
    assert problem("b: &b {x: 1}\nc:\n  <<: *b\n  <<: *b\n").field == "<<"
    assert "merge key takes a mapping" in problem("c:\n  <<: 1\n").problem


@pytest.mark.parametrize("text", ["a: !foo [1]\n", "a: !unsafe {x: 1}\n", "a: !!set {x}\n", "!vault [1]\n"])
def test_tags_on_lists_and_mappings_are_refused_like_tags_on_scalars(text: str) -> None:
    assert "invalid YAML: tags on lists and mappings are not supported" in problem(text).problem
    assert "invalid YAML" in problem("a: !unsafe '{{ x }}'\n").problem


def test_lint_on_an_alias_bomb_exits_4_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bomb.yml").write_text(laughs(9))
    with pytest.raises(SystemExit) as done:
        main(["lint", str(tmp_path / "bomb.yml")])
    out, err = capsys.readouterr()
    assert done.value.code == 4
    assert [line.strip() for line in (out + err).splitlines() if "bomb.yml:7" in line] == [
        f"{tmp_path / 'bomb.yml'}:7: more than {MAX_YAML_NODES} values once aliases are expanded"
    ]
    assert "Traceback" not in out + err
    assert "1 playbook(s), 1 problem(s)" in out
