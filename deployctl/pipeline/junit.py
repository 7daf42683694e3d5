"""Per-host results from a testinfra run's JUnit XML: each test case's host is its pytest id in brackets."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

_PARAM = re.compile(r"\[(?P<param>[^\[\]]+)\]$")


@dataclass
class HostChecks:
    """Checks on one host: how many passed, failed (or errored) and were skipped, and the failed ones' names."""

    host: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)


def host_of(test_name: str) -> str | None:
    """`test_x[ssh://qa-vm1]` -> qa-vm1; `test_x[docker://root@name]` -> name; None without a host id."""
    found = _PARAM.search(test_name)
    if found is None or "://" not in found.group("param"):
        return None
    return found.group("param").split("://", 1)[1].rsplit("@", 1)[-1]


def host_checks(xml_text: str) -> dict[str, HostChecks]:
    """Count each host's test cases by result; a case without a host id counts for host `-`."""
    root = ET.fromstring(xml_text)  # noqa: S314 (pytest wrote this file on this machine)
    results: dict[str, HostChecks] = {}
    for case in root.iter("testcase"):
        name = case.get("name", "")
        host = host_of(name) or "-"
        checks = results.setdefault(host, HostChecks(host))
        if case.find("failure") is not None or case.find("error") is not None:
            checks.failed += 1
            checks.failures.append(name.split("[", 1)[0])
        elif case.find("skipped") is not None:
            checks.skipped += 1
        else:
            checks.passed += 1
    return results


def verdict(expected_hosts: list[str], results: dict[str, HostChecks], exit_code: int) -> tuple[bool, str]:
    """Passed when pytest exited 0, every expected host ran checks and none failed; else why not."""
    problems = []
    for host in expected_hosts:
        checks = results.get(host)
        if checks is None or checks.passed + checks.failed == 0:
            problems.append(f"no check ran on {host}")
        elif checks.failed:
            problems.append(f"{checks.failed} checks failed on {host} ({', '.join(sorted(set(checks.failures)))})")
    stray = results.get("-")
    if stray is not None and stray.failed:
        problems.append(f"{stray.failed} checks failed outside any host ({', '.join(sorted(set(stray.failures)))})")
    if not problems and exit_code != 0:
        problems.append(f"pytest exited {exit_code}")
    return not problems, "; ".join(problems)
