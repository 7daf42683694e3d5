"""Facts batched into one script: markers fence each fact, exit codes reach the parsers."""

from __future__ import annotations

import subprocess

from deployctl.facts.base import batch
from deployctl.facts.system import Hostname, OsRelease, SystemdState, Uptime, parse_os_release

OS_RELEASE = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
ID=debian
"""


def test_batch_runs_every_fact_once_in_one_shell() -> None:
    facts = batch([OsRelease(), Uptime(), Hostname(), OsRelease()])
    assert [fact.key for fact in facts.facts] == ["os_release", "uptime", "hostname"]
    done = subprocess.run(["sh", "-c", facts.script()], capture_output=True, text=True, check=True)
    values = facts.split(done.stdout)
    assert values["os_release"].get("ID")
    assert isinstance(values["uptime"], float)
    assert values["hostname"]


def test_exit_code_and_output_reach_the_parser() -> None:
    facts = batch([SystemdState()])
    marker = facts.marker
    output = f"\n{marker} 0\ndegraded\n\n{marker} 0 rc=1\n"
    assert facts.split(output) == {"systemd_state": "degraded"}


def test_output_that_looks_like_a_marker_cannot_forge_one() -> None:
    first, second = batch([OsRelease()]), batch([OsRelease()])
    assert first.marker != second.marker


def test_parse_os_release_unquotes() -> None:
    parsed = parse_os_release(OS_RELEASE)
    assert parsed["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)"
    assert parsed["ID"] == "debian"
