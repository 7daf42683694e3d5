"""The ansible_* facts parser against ansible-core 2.19's setup module, both run on the same lab host at once.

`ansible_captured/debian12-lab-root-2.19.txt` is the gathering snippet's output (re-capture as described in
test_ansible_facts.py); `debian12-lab-root-2.19.setup.json` is `ansible -m setup -b` against the same host
seconds later, kept for the facts deployctl gathers. Facts that change between the two reads (free memory,
free blocks, the clock) are compared by shape and by their fixed parts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deployctl.facts.ansible import parse_ansible_facts

CAPTURED = Path(__file__).parent / "ansible_captured"
FACTS = parse_ansible_facts((CAPTURED / "debian12-lab-root-2.19.txt").read_text())
ANSIBLE: dict[str, Any] = json.loads((CAPTURED / "debian12-lab-root-2.19.setup.json").read_text())
MOVING = frozenset({"date_time", "memfree_mb", "memory_mb", "mounts", "env", "eth0", "lo", "interfaces"})
"""Facts that differ between two reads a few seconds apart, or that deployctl reports in part (see below)."""
UNORDERED = frozenset({"virtualization_tech_guest"})
"""Lists Ansible builds from a set: their order changes from run to run."""


@pytest.mark.parametrize("name", sorted(set(ANSIBLE) - MOVING))
def test_fact_is_what_ansible_reports(name: str) -> None:
    if name in UNORDERED:
        assert sorted(FACTS[name]) == sorted(ANSIBLE[name])
    else:
        assert FACTS[name] == ANSIBLE[name]


def test_every_fact_ansible_reports_for_the_checked_names_is_gathered() -> None:
    wanted = {"memory_mb", "lsb", "mounts", "selinux", "python", "python_version", "userspace_bits", "date_time"}
    assert wanted <= set(ANSIBLE) and wanted <= set(FACTS)


def test_memory_mb_has_ansibles_shape_and_fixed_totals() -> None:
    ours, theirs = FACTS["memory_mb"], ANSIBLE["memory_mb"]
    assert {key: sorted(value) for key, value in ours.items()} == {key: sorted(value) for key, value in theirs.items()}
    assert ours["real"]["total"] == theirs["real"]["total"] == FACTS["memtotal_mb"]
    assert ours["swap"] == theirs["swap"]
    real = ours["real"]
    assert real["used"] == real["total"] - real["free"] and ours["nocache"]["free"] >= real["free"]


def test_mounts_are_ansibles_with_their_sizes() -> None:
    fixed = (
        "mount",
        "device",
        "fstype",
        "options",
        "dump",
        "passno",
        "uuid",
        "block_size",
        "block_total",
        "size_total",
    )
    assert [{key: mount[key] for key in fixed} for mount in FACTS["mounts"]] == [
        {key: mount[key] for key in fixed} for mount in ANSIBLE["mounts"]
    ]
    assert [sorted(mount) for mount in FACTS["mounts"]] == [sorted(mount) for mount in ANSIBLE["mounts"]]
    first = FACTS["mounts"][0]
    assert first["block_used"] == first["block_total"] - first["block_available"]
    assert first["size_available"] == first["block_available"] * first["block_size"]


def test_date_time_has_ansibles_keys_and_zone() -> None:
    ours, theirs = FACTS["date_time"], ANSIBLE["date_time"]
    assert sorted(ours) == sorted(theirs)
    assert {key: ours[key] for key in ("date", "tz", "tz_dst", "tz_offset", "year", "month", "day", "weekday")} == {
        key: theirs[key] for key in ("date", "tz", "tz_dst", "tz_offset", "year", "month", "day", "weekday")
    }
    assert ours["iso8601"].endswith("Z") and ours["iso8601_micro"][:19] == ours["iso8601"][:19]
    assert ours["epoch"] == ours["epoch_int"] and abs(int(ours["epoch"]) - int(theirs["epoch"])) < 120


def test_interfaces_are_ansibles_without_link_speed() -> None:
    assert sorted(FACTS["interfaces"]) == sorted(ANSIBLE["interfaces"])
    for name in ("eth0", "lo"):
        theirs = {key: value for key, value in ANSIBLE[name].items() if key not in ("promisc", "speed")}
        ours = {key: value for key, value in FACTS[name].items() if key != "macaddress" or "macaddress" in theirs}
        assert ours == theirs


def test_lsb_without_lsb_release_is_empty_as_in_ansible() -> None:
    assert FACTS["lsb"] == ANSIBLE["lsb"] == {}
