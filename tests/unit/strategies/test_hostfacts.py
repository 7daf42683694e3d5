"""A host's facts between round trips: what one round trip reads, and what a change makes stale."""

from __future__ import annotations

from dataclasses import dataclass

from deployctl.facts.base import RawFact
from deployctl.facts.stat import StatFact
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
    assert host.stale == set(host.facts)  # what a package's scripts did is not known: every fact
    host.stale.clear()
    host.invalidate(module("command"), Plan(True, "ran", captures_output=True))
    assert host.stale == set(host.facts)


def test_a_changed_path_stales_the_stats_of_it_and_below_it() -> None:
    host = HostFacts()
    stats = [StatFact("/etc/app"), StatFact("/etc/app/conf.d/a.conf"), StatFact("/etc/apparmor"), StatFact("/srv")]
    host.to_read(stats, list)
    host.store({fact.key: None for fact in stats})
    host.invalidate(module("file"), Plan(True, "removed", invalidates=("file:/etc/app",)))
    assert host.stale == {"file:/etc/app", StatFact("/etc/app").key, StatFact("/etc/app/conf.d/a.conf").key}


def test_a_changed_group_stales_what_getent_read() -> None:
    host = HostFacts()
    host.store({"getent:passwd:app": 1, "getent[files]:group:*": 2, "file:/etc/hosts": 3})
    host.invalidate(module("group"), Plan(True, "created", invalidates=("group:app",)))
    assert host.stale == {"group:app", "getent:passwd:app", "getent[files]:group:*"}


def test_facts_a_task_returns_become_variables_and_ansible_facts_entries() -> None:
    host = HostFacts()
    host.store({"ansible_facts": {"hostname": "web1"}})
    host.keep_gathered()
    host.add_module_facts({"getent_passwd": {"root": ["x"]}, "ansible_hostname": "web2"})
    assert host.gathered["getent_passwd"] == {"root": ["x"]} and host.gathered["ansible_hostname"] == "web2"
    assert host.gathered["ansible_facts"] == {"hostname": "web2", "getent_passwd": {"root": ["x"]}}


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
    assert host.stale == {"package:python3-yaml", "debconf:tzdata", "pip-packages:python3 -m pip", "user:app"}


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


def test_a_fact_read_ahead_before_an_unpredictable_change_is_read_again_before_its_task() -> None:
    host = HostFacts()
    install, conf = Known("package:chrony"), Known("file:/etc/chrony")
    assert set(keys(host.to_read([install], lambda: [install, conf]))) == {"package:chrony", "file:/etc/chrony"}
    host.store({"package:chrony": "absent", "file:/etc/chrony": "absent"})
    host.invalidate(module("apt"), Plan(True, "install chrony", invalidates=("package:chrony",)))
    assert set(keys(host.to_read([conf], lambda: [install, conf]))) == {"file:/etc/chrony", "package:chrony"}
