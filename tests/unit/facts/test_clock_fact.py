"""The clock fact: timedatectl's status where it runs, files (and dpkg-reconfigure) elsewhere."""

from __future__ import annotations

import subprocess

from deployctl.facts.base import RawFact
from deployctl.facts.system import ClockFact, ClockInfo

STATUS = """\
               Local time: Mon 2026-12-07 18:00:00 UTC
           Universal time: Mon 2026-12-07 18:00:00 UTC
                 RTC time: n/a
                Time zone: Etc/UTC (UTC, +0000)
System clock synchronized: yes
              NTP service: active
          RTC in local TZ: no"""


def test_systemd_status_is_kept_for_the_planner() -> None:
    parsed = ClockFact().parse(RawFact(f"systemd\n{STATUS}\n@@dpkg-reconfigure\n", 0))
    assert parsed == ClockInfo(systemd=True, status=STATUS, debian=True)


def test_this_machine_answers_one_way_or_the_other() -> None:
    done = subprocess.run(["sh", "-c", ClockFact().script()], capture_output=True, text=True, check=False)
    parsed = ClockFact().parse(RawFact(done.stdout, done.returncode))
    assert done.returncode == 0 and (parsed.systemd or parsed.status == "")
