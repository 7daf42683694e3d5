"""CrontabFact's script, run by /bin/sh against a stand-in `crontab`, and its parser."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from deployctl.facts.base import RawFact
from deployctl.facts.cron import Crontab, CrontabFact, parse_crontab_output

FAKE_CRONTAB = """#!/bin/sh
[ "$1" = "-u" ] && { user=$2; shift 2; }
case $user in
  none) echo "no crontab for none" >&2; exit 1 ;;
  broken) exit 2 ;;
  *) printf '#Ansible: a\\n* * * * * a\\nno final newline' ;;
esac
"""


def run_fact(fact: CrontabFact, bin_dir: Path | None) -> Crontab:
    path = f"{bin_dir}:/usr/bin:/bin" if bin_dir else "/nonexistent"
    done = subprocess.run(
        ["/bin/sh", "-c", fact.script()],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
        check=False,
    )
    return fact.parse(RawFact(done.stdout, done.returncode))


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    crontab = tmp_path / "crontab"
    crontab.write_text(FAKE_CRONTAB, encoding="utf-8")
    crontab.chmod(0o755)
    return tmp_path


def test_the_text_is_read_whole_without_a_final_newline(fake_bin: Path) -> None:
    assert run_fact(CrontabFact("app"), fake_bin) == Crontab(text="#Ansible: a\n* * * * * a\nno final newline")


def test_no_crontab_is_an_empty_one_and_other_failures_unreadable(fake_bin: Path) -> None:
    assert run_fact(CrontabFact("none"), fake_bin) == Crontab(text="")
    assert run_fact(CrontabFact("broken"), fake_bin) == Crontab(readable=False)


def test_a_host_without_crontab() -> None:
    assert parse_crontab_output("crontab:", "missing\n") == Crontab(tool=False)
    assert CrontabFact(None).key == "crontab:" and CrontabFact("app").key == "crontab:app"
    with pytest.raises(ValueError, match="unexpected output"):
        parse_crontab_output("crontab:", "garbage")
