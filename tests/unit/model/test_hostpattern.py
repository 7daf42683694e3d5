"""Ansible host ranges and patterns."""

from __future__ import annotations

import pytest

from deployctl.model.hostpattern import expand_host_range, match_hosts


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("plain", ["plain"]),
        ("web[1:3]", ["web1", "web2", "web3"]),
        ("web[01:03].lan", ["web01.lan", "web02.lan", "web03.lan"]),
        ("web[0:8:4]", ["web0", "web4", "web8"]),
        ("db-[a:c]", ["db-a", "db-b", "db-c"]),
        ("r[1:2]c[a:b]", ["r1ca", "r1cb", "r2ca", "r2cb"]),
    ],
)
def test_expand_host_range(name: str, expected: list[str]) -> None:
    assert expand_host_range(name) == expected


@pytest.mark.parametrize("name", ["web[3:1]", "web[a:3]", "web[1:5:0]"])
def test_bad_ranges(name: str) -> None:
    with pytest.raises(ValueError, match="host range"):
        expand_host_range(name)


def test_intersection_alone_starts_from_all() -> None:
    groups = {"web": ["a", "b"], "prod": ["b", "c"]}
    assert match_hosts("&prod", ["a", "b", "c"], groups) == ["b", "c"]
    assert match_hosts("web,prod:!b", ["a", "b", "c"], groups) == ["a", "c"]
