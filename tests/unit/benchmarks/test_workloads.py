"""The workloads' pure parts: expected change counts per host kind, state parsing and judging, drift judging."""

from __future__ import annotations

import hashlib
import subprocess

import pytest
from workloads import APP, SVC, SVC_LIMITS, WORKLOAD_ROOT, WORKLOADS, HostState, Workload, parse_state


def svc_state(host: str = "bench-3", *, systemd: bool = True, **changes: str | None) -> HostState:
    """The state script's output of a host on which the svc workload is right, with `changes` (None: line absent)."""
    unit = hashlib.sha256((WORKLOAD_ROOT / "svc" / "files" / "benchsvc.service").read_bytes()).hexdigest()
    lines = {
        "stat /srv/benchsvc/releases/1.0": "directory|benchsvc|benchsvc|755",
        "stat /srv/benchsvc/current": "symbolic link|root|root|777",
        "stat /home/benchsvc": "directory|benchsvc|benchsvc|755",
        "stat /etc/benchsvc.ini": "regular file|root|benchsvc|640",
        "stat /etc/systemd/system/benchsvc.service": "regular file|root|root|644",
        "stat /srv/benchsvc/.seeded": "regular file|root|root|644",
        "group": "2710",
        "user": "2710:2710:/home/benchsvc:/bin/bash",
        "groups": "benchsvc adm",
        "link": "/srv/benchsvc/releases/1.0",
        "maxdays": "1",
        "limits": "|".join(SVC_LIMITS) + "|",
        "limitblocks": "1",
        "seeded": f"seeded {host}",
        "sha256 /etc/systemd/system/benchsvc.service": unit,
    }
    if systemd:
        lines |= {"enabled": "enabled", "active": "active"}
    for key, value in changes.items():
        lines.pop(key.replace("__", " "), None)
        if value is not None:
            lines[key.replace("__", " ")] = value
    ini = [f"host = {host}", "stage = bench", "release = 1.0", "slot = 1", "slot = 2", "slot = 3"]
    output = "\n".join(f"{key} {value}" for key, value in lines.items())
    output += "\n" + "\n".join(f"ini {line}" for line in ini) + "\nend\n"
    return parse_state(host, output)


@pytest.mark.parametrize(
    ("workload", "systemd", "first", "check"),
    [(APP, True, 10, 2), (APP, False, 10, 2), (SVC, True, 10, 2), (SVC, False, 9, 2)],
)
def test_expected_changed_per_host_kind(workload: Workload, systemd: bool, first: int, check: int) -> None:
    assert workload.expected_changed("first", systemd) == first
    assert workload.expected_changed("noop", systemd) == 0
    assert workload.expected_changed("check", systemd) == check


def test_every_workload_has_its_files() -> None:
    for workload in WORKLOADS.values():
        assert workload.playbook.is_file()
        assert workload.pyinfra_deploy.is_file()


@pytest.mark.parametrize("name", ["reset_script", "drift_script", "state_script"])
@pytest.mark.parametrize("workload", list(WORKLOADS.values()), ids=list(WORKLOADS))
def test_scripts_are_valid_shell(workload: Workload, name: str) -> None:
    done = subprocess.run(["sh", "-n", "-c", getattr(workload, name)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_parse_state_splits_paths_from_values() -> None:
    state = parse_state("h", "stat /a b|c\nsha256 /f abc\nuser 1:2\nconf x = 1\nconf y = 2\nend\n")
    assert state.get("stat /a") == "b|c"
    assert state.get("sha256 /f") == "abc"
    assert state.get("user") == "1:2"
    assert state.all("conf") == ["x = 1", "y = 2"]
    assert state.complete


def test_a_state_read_without_its_last_line_is_incomplete() -> None:
    assert not parse_state("h", "stat /a b\n").complete


def test_svc_state_as_declared_has_no_problem_on_either_kind() -> None:
    assert SVC.state_problems(svc_state(systemd=True), True) == []
    assert SVC.state_problems(svc_state(systemd=False), False) == []


def test_svc_service_must_run_on_systemd_hosts_and_not_exist_elsewhere() -> None:
    stopped = svc_state(active="inactive")
    assert any("benchsvc.service" in p for p in SVC.state_problems(stopped, True))
    assert any("without systemd" in p for p in SVC.state_problems(svc_state(systemd=True), False))


@pytest.mark.parametrize(
    ("change", "value", "needle"),
    [
        ("stat__/etc/benchsvc.ini", "regular file|root|root|644", "/etc/benchsvc.ini"),
        ("groups", "benchsvc", "groups"),
        ("link", "/srv/benchsvc/releases/0.9", "current"),
        ("maxdays", "0", "login.defs"),
        ("limitblocks", "2", "limits.conf"),
        ("seeded", "seeded bench-1", ".seeded"),
        ("sha256__/etc/systemd/system/benchsvc.service", "0" * 64, "benchsvc.service"),
    ],
)
def test_svc_state_problems_name_what_is_wrong(change: str, value: str, needle: str) -> None:
    problems = SVC.state_problems(svc_state(**{change: value}), True)
    assert len(problems) == 1
    assert needle in problems[0]


def test_svc_drift_judge() -> None:
    drifted = parse_state("h", "ini release = 0.9\nlimitblocks 0\nend\n")
    assert SVC.drift_problems(drifted) == []
    restored = parse_state("h", "ini release = 1.0\nlimitblocks 1\nend\n")
    assert len(SVC.drift_problems(restored)) == 2


def test_app_drift_judge() -> None:
    drifted = parse_state("h", "stat /opt/benchapp/app.py absent\nconf listen = 0.0.0.0:9999\nend\n")
    assert APP.drift_problems(drifted) == []
    restored = parse_state("h", "stat /opt/benchapp/app.py regular file|root|root|755\nconf listen = 127.0.0.1:8080\n")
    assert len(APP.drift_problems(restored)) == 2


def test_app_state_problems_report_a_wrong_mode_and_a_missing_line() -> None:
    app_py = hashlib.sha256((WORKLOAD_ROOT / "app" / "files" / "app.py").read_bytes()).hexdigest()
    right = {
        "stat /opt/benchapp": "directory|root|root|755",
        "stat /etc/benchapp": "directory|root|benchapp|750",
        "stat /var/log/benchapp": "directory|benchapp|benchapp|750",
        "stat /etc/benchapp/app.conf": "regular file|root|benchapp|640",
        "stat /opt/benchapp/app.py": "regular file|root|root|755",
        "stat /etc/benchapp/app.env": "regular file|root|root|644",
        "stat /opt/benchapp/.initialized": "regular empty file|root|root|644",
        "group": "998",
        "user": "998:/opt/benchapp:/usr/sbin/nologin",
        "primary": "benchapp",
        "sha256 /opt/benchapp/app.py": app_py,
        "env": "BENCH_STAGE=bench|BENCH_WORKERS=4|",
    }
    conf = "conf host = bench-1\nconf stage = bench\nconf listen = 127.0.0.1:8080\nend\n"
    text = "\n".join(f"{k} {v}" for k, v in right.items()) + "\n" + conf
    assert APP.state_problems(parse_state("bench-1", text), True) == []
    wrong = text.replace("regular file|root|root|755", "regular file|root|root|644").replace("conf stage = bench\n", "")
    problems = APP.state_problems(parse_state("bench-1", wrong), True)
    assert len(problems) == 2
    assert "/opt/benchapp/app.py" in problems[0]
    assert "app.conf" in problems[1]


def test_a_state_read_missing_a_stat_line_is_not_whole() -> None:
    whole = svc_state()
    assert SVC.read_whole(whole)
    cut = HostState(whole.host, tuple(line for line in whole.lines if line[0] != "stat /srv/benchsvc/current"))
    assert cut.complete
    assert not SVC.read_whole(cut)
