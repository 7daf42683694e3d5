"""The items of `with_<lookup>` loops, shaped as ansible-core's lookup plugins shape them."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.lookups import LookupSite
from deployctl.model.loops import LoopError, with_items, with_loop_keyword

USERS = [
    {"name": "alice", "keys": ["a1", "a2"], "shell": "/bin/sh"},
    {"name": "bob", "keys": ["b1"]},
    {"name": "carol"},
]


def test_with_dict_gives_key_value_mappings_in_order() -> None:
    assert with_items("with_dict", {"b": 1, "a": {"x": 2}}) == [
        {"key": "b", "value": 1},
        {"key": "a", "value": {"x": 2}},
    ]
    assert with_items("with_dict", [{"a": 1}, {"b": 2}]) == [{"key": "a", "value": 1}, {"key": "b", "value": 2}]


def test_with_dict_refuses_a_list_of_words() -> None:
    with pytest.raises(LoopError, match="expects a dictionary"):
        with_items("with_dict", ["a", "b"])


def test_with_subelements_pairs_each_parent_without_its_sub_list() -> None:
    items = with_items("with_subelements", [USERS[:2], "keys"])
    assert items == [
        [{"name": "alice", "shell": "/bin/sh"}, "a1"],
        [{"name": "alice", "shell": "/bin/sh"}, "a2"],
        [{"name": "bob"}, "b1"],
    ]
    assert USERS[0]["keys"] == ["a1", "a2"]  # the variable itself is not changed


def test_with_subelements_skip_missing_and_its_absence() -> None:
    assert len(with_items("with_subelements", [USERS, "keys", {"skip_missing": True}])) == 3
    with pytest.raises(LoopError, match="could not find 'keys'"):
        with_items("with_subelements", [USERS, "keys"])
    with pytest.raises(LoopError, match="flags skip_missing"):
        with_items("with_subelements", [USERS, "keys", {"skip": True}])


def test_with_subelements_dotted_path_and_a_dict_of_parents() -> None:
    parents = {"one": {"name": "x", "acl": {"rules": [1, 2]}}, "two": {"name": "y", "skipped": True}}
    assert with_items("with_subelements", [parents, "acl.rules"]) == [
        [{"name": "x", "acl": {}}, 1],
        [{"name": "x", "acl": {}}, 2],
    ]


def test_with_nested_is_the_cartesian_product_as_lists() -> None:
    assert with_items("with_nested", [["a", "b"], [1, 2], ["x"]]) == [
        ["a", 1, "x"],
        ["a", 2, "x"],
        ["b", 1, "x"],
        ["b", 2, "x"],
    ]
    assert with_items("with_nested", [["a", "b"]]) == [["a"], ["b"]]


def test_with_flattened_opens_every_level_and_stops_at_null() -> None:
    assert with_items("with_flattened", [1, [2, [3, [4]]], "five"]) == [1, 2, 3, 4, "five"]
    assert with_items("with_flattened", [1, "null", 2]) == [1]


def test_with_together_zips_with_none_for_the_shorter() -> None:
    assert with_items("with_together", [["a", "b", "c"], [1, 2]]) == [["a", 1], ["b", 2], ["c", None]]


def test_with_indexed_items_and_with_list_and_with_items() -> None:
    assert with_items("with_indexed_items", ["a", ["b", "c"]]) == [[0, "a"], [1, "b"], [2, "c"]]
    assert with_items("with_list", [[1, 2], [3]]) == [[1, 2], [3]]
    assert with_items("with_items", [[1, 2], [3, [4]]]) == [1, 2, 3, [4]]
    assert with_items("with_items", "one") == ["one"]


@pytest.mark.parametrize(
    ("term", "items"),
    [
        ("start=1 end=3", ["1", "2", "3"]),
        ("start=0 count=3 stride=2", ["0", "2", "4"]),
        ("start=5 end=1 stride=-2", ["5", "3", "1"]),
        ("4", ["1", "2", "3", "4"]),
        ("2-6/2:host%02d", ["host02", "host04", "host06"]),
        ("start=1 end=2 format=disk%d", ["disk1", "disk2"]),
        ("count=0", []),
    ],
)
def test_with_sequence(term: str, items: list[str]) -> None:
    assert with_items("with_sequence", term) == items


@pytest.mark.parametrize("term", ["start=1", "start=1 end=3 count=2", "start=5 end=1", "bogus=1 end=2"])
def test_with_sequence_refuses(term: str) -> None:
    with pytest.raises(LoopError):
        with_items("with_sequence", term)


def test_with_fileglob_finds_controller_files(tmp_path: Path) -> None:
    (tmp_path / "files" / "conf.d").mkdir(parents=True)
    for name in ("b.conf", "a.conf", "c.txt"):
        (tmp_path / "files" / "conf.d" / name).write_text("x")
    (tmp_path / "top.conf").write_text("x")
    site = LookupSite((tmp_path,))
    assert with_items("with_fileglob", "conf.d/*.conf", site) == [
        str(tmp_path / "files" / "conf.d" / "a.conf"),
        str(tmp_path / "files" / "conf.d" / "b.conf"),
    ]
    assert with_items("with_fileglob", ["*.conf"], site) == [str(tmp_path / "top.conf")]
    assert with_items("with_fileglob", ["missing/*"], site) == []


@pytest.mark.parametrize(
    ("key", "keyword"),
    [
        ("with_items", "with_items"),
        ("with_ansible.builtin.dict", "with_dict"),
        ("with_ansible.legacy.subelements", "with_subelements"),
        ("with_community.general.flattened", "with_flattened"),
        ("with_community.general.dig", None),
        ("with_ansible.builtin.pipe", None),
        ("loop", None),
    ],
)
def test_with_loop_keywords_by_their_fully_qualified_names(key: str, keyword: str | None) -> None:
    assert with_loop_keyword(key) == keyword
