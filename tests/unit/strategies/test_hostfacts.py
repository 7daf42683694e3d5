"""A host's facts between round trips: what one round trip reads, and what a change makes stale."""

from __future__ import annotations

from dataclasses import dataclass

from deployctl.facts.base import RawFact
from deployctl.modules.base import Module, Plan
from deployctl.modules.registry import find_module
from deployctl.strategies.hostfacts import HostFacts, TaskVariables


@dataclass(frozen=True)
class Known:
    """A fact that is only a key: what a round trip reads is decided by keys alone."""

    key: str

    def script(self) -> str:
        return "true"

    def parse(self, raw: RawFact) -> str:
        return raw.output


def module(name: str) -> Module:
    found = find_module(name)
    assert found is not None
    return found


def keys(facts: list[Known]) -> list[str]:
    return [fact.key for fact in facts]


def test_nothing_is_read_when_every_fact_is_fresh_and_the_lookahead_is_not_asked() -> None:
    host = HostFacts()
    host.store({"file:/a": 1})

    def ahead() -> list[Known]:
        raise AssertionError("the lookahead is walked only when a round trip is needed")

    assert host.to_read([Known("file:/a")], ahead) == []


def test_one_round_trip_reads_the_missing_the_lookahead_s_unread_and_every_stale_fact() -> None:
    host = HostFacts()
    host.store({"file:/a": 1, "service:web": 2})
    host.known.update({"service:web": Known("service:web")})
    host.stale.add("service:web")
    needed = host.to_read([Known("file:/b")], lambda: [Known("file:/a"), Known("file:/c")])
    assert keys(needed) == ["file:/b", "file:/c", "service:web"]
    host.store({"file:/b": 3, "file:/c": 4, "service:web": 5})
    assert host.stale == set() and host.facts["service:web"] == 5


def test_a_change_stales_what_it_names_and_what_depends_on_it() -> None:
    host = HostFacts()
    host.store({"file:/etc/app": 1, "service:web": 2, "package:nginx": 3, "candidate:nginx": 4, "user:app": 5})
    unit = Plan(True, "wrote a unit", invalidates=("file:/etc/systemd/system/web.service",))
    host.invalidate(module("copy"), unit)
    assert host.stale == {"file:/etc/systemd/system/web.service", "service:web"}
    host.stale.clear()
    host.invalidate(module("apt"), Plan(True, "installed", invalidates=("package:nginx",)))
    assert host.stale == {"package:nginx", "candidate:nginx"}
    host.stale.clear()
    host.invalidate(module("command"), Plan(True, "ran", captures_output=True))
    assert host.stale == set(host.facts)


def test_a_written_file_stales_the_listings_of_the_folders_above_it() -> None:
    host = HostFacts()
    listings = ("find:1::/srv/app", "find:::/srv", "find:1:contents:/srv/app/", "find:1::/srv/other", "find:::/")
    host.store({key: [] for key in listings})
    host.invalidate(module("copy"), Plan(True, "wrote", invalidates=("file:/srv/app/app.conf",)))
    assert host.stale == {
        "file:/srv/app/app.conf",
        "find:1::/srv/app",
        "find:::/srv",
        "find:1:contents:/srv/app/",
        "find:::/",
    }


def test_an_apt_run_stales_debconf_answers_and_python_packages() -> None:
    host = HostFacts()
    host.store({"debconf:tzdata": 1, "pip-packages:python3 -m pip": 2, "user:app": 3})
    host.invalidate(module("apt"), Plan(True, "installed", invalidates=("package:python3-yaml",)))
    assert host.stale == {"package:python3-yaml", "debconf:tzdata", "pip-packages:python3 -m pip"}


def test_gathered_facts_leave_the_facts_once_read() -> None:
    host = HostFacts()
    host.store({"ansible_facts": {"hostname": "web1"}, "file:/a": 1})
    host.keep_gathered()
    assert "ansible_facts" not in host.facts and host.gathered["ansible_hostname"] == "web1"


def test_the_lookahead_s_copy_of_the_variables_is_its_own() -> None:
    run = TaskVariables({"a": 1}, {"b": 2}, {"c": 3})
    walk = run.copy()
    walk.registered["x"] = 1
    walk.params = {}
    assert run == TaskVariables({"a": 1}, {"b": 2}, {"c": 3})
