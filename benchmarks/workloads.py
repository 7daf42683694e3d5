"""The benchmark's workloads: where each one's files are, how it logs in, what each run must change, and how the
harness resets, drifts and reads its resources on a host (shell run as root with `docker exec`) and judges them.

Pure: scripts are text, a host's state is parsed from text, and judging it returns the problems found. Two workloads:
- `app`: ten tasks with short module names, logged in as `vagrant` with become (sudo) (benchmarks/workload/app/);
- `svc`: eleven tasks with `ansible.builtin.*` names, logged in as root without become, a guarded shell with
  `creates:` and a systemd service, skipped on hosts without systemd (benchmarks/workload/svc/).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Scenario = Literal["first", "noop", "check"]
SCENARIOS: tuple[Scenario, ...] = ("first", "noop", "check")
SCENARIO_TITLES = {"first": "first apply", "noop": "no-op apply", "check": "check after drift"}
WORKLOAD_ROOT = Path(__file__).resolve().parent / "workload"
STAGE = "bench"
END = "end"
"""The last line of every state script: a read without it was cut short."""


@dataclass(frozen=True)
class HostState:
    """What a workload left on one host, as `key -> value` lines read by its state script."""

    host: str
    lines: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        return next((value for k, value in self.lines if k == key), None)

    def all(self, key: str) -> list[str]:
        return [value for k, value in self.lines if k == key]

    @property
    def complete(self) -> bool:
        return self.get(END) is not None


def parse_state(host: str, output: str) -> HostState:
    """Split a state script's output into (kind + path, value) pairs: `stat PATH VALUE`, `sha256 PATH VALUE`,
    `KIND VALUE`."""
    lines: list[tuple[str, str]] = []
    for line in output.splitlines():
        kind, _, rest = line.partition(" ")
        if kind in ("stat", "sha256"):
            path, _, value = rest.partition(" ")
            lines.append((f"{kind} {path}", value))
        else:
            lines.append((kind, rest))
    return HostState(host, tuple(lines))


def _stat_lines(paths: tuple[str, ...]) -> str:
    """Shell printing `stat PATH TYPE|OWNER|GROUP|MODE` (or `absent`) for every path, links not followed."""
    return (
        f"for p in {' '.join(paths)}; do\n"
        '  if [ -e "$p" ] || [ -L "$p" ]; then echo "stat $p $(stat -c \'%F|%U|%G|%a\' "$p")";'
        ' else echo "stat $p absent"; fi\n'
        "done\n"
    )


def _sha_lines(paths: tuple[str, ...]) -> str:
    return (
        f"for f in {' '.join(paths)}; do\n"
        '  if [ -f "$f" ]; then echo "sha256 $f $(sha256sum < "$f" | cut -d\' \' -f1)"; fi\n'
        "done\n"
    )


def _stat_problems(state: HostState, wanted: dict[str, str]) -> list[str]:
    return [
        f"{path}: {state.get(f'stat {path}')} (want {want})"
        for path, want in wanted.items()
        if state.get(f"stat {path}") != want
    ]


@dataclass(frozen=True)
class Workload:
    """One workload: its folder (playbook.yml, pyinfra_deploy.py, files/, templates/), its login, its expected
    change counts, and its reset, drift and state scripts with the judges of what they read."""

    name: str
    summary: str
    login_user: str
    become: bool
    changed_first_systemd: int
    changed_first_light: int
    changed_check: int
    reset_script: str
    drift_script: str
    state_script: str
    state_problems: Callable[[HostState, bool], list[str]]
    """(state, host has systemd) -> what is not as the workload declares it."""
    drift_problems: Callable[[HostState], list[str]]
    """state -> what a check run changed of the drift (check mode must change nothing)."""
    rendered_file: str
    """The template's destination: the cross-tool note compares its digest."""
    stat_paths: tuple[str, ...]
    """The paths the state script stats: a read must have a line for each (docker exec can lose the start of
    an output under load)."""

    def read_whole(self, state: HostState) -> bool:
        """Whether a state read has every line it must have: each stat line and the last line."""
        return state.complete and all(state.get(f"stat {path}") is not None for path in self.stat_paths)

    @property
    def folder(self) -> Path:
        return WORKLOAD_ROOT / self.name

    @property
    def playbook(self) -> Path:
        return self.folder / "playbook.yml"

    @property
    def pyinfra_deploy(self) -> Path:
        return self.folder / "pyinfra_deploy.py"

    def expected_changed(self, scenario: Scenario, systemd: bool) -> int:
        """Tasks a host must report changed in `scenario`; a host without systemd skips the systemd tasks."""
        if scenario == "first":
            return self.changed_first_systemd if systemd else self.changed_first_light
        return 0 if scenario == "noop" else self.changed_check


# --- app: the first workload (vagrant + sudo, short module names) ----------------------------------------------

APP_RESET = """
userdel benchapp 2>/dev/null || true
groupdel benchapp 2>/dev/null || true
rm -rf /opt/benchapp /etc/benchapp /var/log/benchapp
! getent passwd benchapp >/dev/null && ! getent group benchapp >/dev/null
"""

APP_DRIFT = """
set -e
sed -i 's/^listen = .*/listen = 0.0.0.0:9999/' /etc/benchapp/app.conf
grep -q '^listen = 0.0.0.0:9999$' /etc/benchapp/app.conf
rm /opt/benchapp/app.py
"""

APP_STAT_PATHS = (
    "/opt/benchapp",
    "/etc/benchapp",
    "/var/log/benchapp",
    "/etc/benchapp/app.conf",
    "/opt/benchapp/app.py",
    "/etc/benchapp/app.env",
    "/opt/benchapp/.initialized",
)

APP_STATE = (
    _stat_lines(APP_STAT_PATHS)
    + """echo "group $(getent group benchapp | cut -d: -f3)"
echo "user $(getent passwd benchapp | cut -d: -f3,6,7)"
echo "primary $(id -gn benchapp 2>/dev/null)"
"""
    + _sha_lines(("/etc/benchapp/app.conf", "/opt/benchapp/app.py", "/etc/benchapp/app.env"))
    + """if [ -f /etc/benchapp/app.env ]; then echo "env $(tr '\\n' '|' < /etc/benchapp/app.env)"; fi
if [ -f /etc/benchapp/app.conf ]; then grep -E '^(host|stage|listen) = ' /etc/benchapp/app.conf | sed 's/^/conf /'; fi
echo end
"""
)


def app_state_problems(state: HostState, systemd: bool) -> list[str]:
    """Differences between a host's state and what the app workload declares; empty when it is right."""
    problems = _stat_problems(
        state,
        {
            "/opt/benchapp": "directory|root|root|755",
            "/etc/benchapp": "directory|root|benchapp|750",
            "/var/log/benchapp": "directory|benchapp|benchapp|750",
            "/etc/benchapp/app.conf": "regular file|root|benchapp|640",
            "/opt/benchapp/app.py": "regular file|root|root|755",
            "/etc/benchapp/app.env": "regular file|root|root|644",
            "/opt/benchapp/.initialized": "regular empty file|root|root|644",
        },
    )
    gid = state.get("group") or ""
    if not gid.isdigit() or int(gid) >= 1000:
        problems.append(f"group benchapp: gid {gid!r} (want a system group)")
    uid, _, home_shell = (state.get("user") or "").partition(":")
    if not uid.isdigit() or int(uid) >= 1000 or home_shell != "/opt/benchapp:/usr/sbin/nologin":
        problems.append(f"user benchapp: {state.get('user')!r} (want system, /opt/benchapp, /usr/sbin/nologin)")
    if state.get("primary") != "benchapp":
        problems.append(f"user benchapp: primary group {state.get('primary')!r} (want benchapp)")
    app_py = (WORKLOAD_ROOT / "app" / "files" / "app.py").read_bytes()
    if state.get("sha256 /opt/benchapp/app.py") != hashlib.sha256(app_py).hexdigest():
        problems.append("/opt/benchapp/app.py: content differs from files/app.py")
    if state.get("env") != f"BENCH_STAGE={STAGE}|BENCH_WORKERS=4|":
        problems.append(f"/etc/benchapp/app.env: {state.get('env')!r}")
    conf = set(state.all("conf"))
    wanted_conf = {f"host = {state.host}", f"stage = {STAGE}", "listen = 127.0.0.1:8080"}
    if conf != wanted_conf:
        problems.append(f"/etc/benchapp/app.conf: {sorted(conf)} (want {sorted(wanted_conf)})")
    return problems


def app_drift_problems(state: HostState) -> list[str]:
    """After a check run the app workload's drift must still be there."""
    problems = []
    if state.get("stat /opt/benchapp/app.py") != "absent":
        problems.append(f"{state.host}: /opt/benchapp/app.py was restored by a check run")
    if "listen = 0.0.0.0:9999" not in state.all("conf"):
        problems.append(f"{state.host}: the drifted app.conf line was changed by a check run")
    return problems


APP = Workload(
    name="app",
    summary="10 tasks, short module names, vagrant with become (sudo)",
    login_user="vagrant",
    become=True,
    changed_first_systemd=10,
    changed_first_light=10,
    changed_check=2,
    reset_script=APP_RESET,
    drift_script=APP_DRIFT,
    state_script=APP_STATE,
    state_problems=app_state_problems,
    drift_problems=app_drift_problems,
    rendered_file="/etc/benchapp/app.conf",
    stat_paths=APP_STAT_PATHS,
)


# --- svc: the second workload (root, ansible.builtin.*, a service) ----------------------------------------------

SVC_HAS_SYSTEMD = "[ -d /run/systemd/system ]"
"""True on a host booted by systemd (sd_booted's test)."""

SVC_RESET = f"""
if {SVC_HAS_SYSTEMD}; then systemctl disable --now benchsvc.service >/dev/null 2>&1 || true; fi
rm -f /etc/systemd/system/benchsvc.service
if {SVC_HAS_SYSTEMD}; then systemctl daemon-reload; fi
userdel -r benchsvc 2>/dev/null || true
groupdel benchsvc 2>/dev/null || true
rm -rf /srv/benchsvc /etc/benchsvc.ini /home/benchsvc
sed -i 's/^PASS_MAX_DAYS\\t90$/PASS_MAX_DAYS\\t99999/' /etc/login.defs
sed -i '/^# BEGIN BENCHSVC LIMITS$/,/^# END BENCHSVC LIMITS$/d' /etc/security/limits.conf
! getent passwd benchsvc >/dev/null && ! getent group benchsvc >/dev/null
grep -q '^PASS_MAX_DAYS\t99999$' /etc/login.defs
"""

SVC_DRIFT = """
set -e
sed -i 's/^release = .*/release = 0.9/' /etc/benchsvc.ini
grep -q '^release = 0.9$' /etc/benchsvc.ini
sed -i '/^# BEGIN BENCHSVC LIMITS$/,/^# END BENCHSVC LIMITS$/d' /etc/security/limits.conf
"""

SVC_STAT_PATHS = (
    "/srv/benchsvc/releases/1.0",
    "/srv/benchsvc/current",
    "/home/benchsvc",
    "/etc/benchsvc.ini",
    "/etc/systemd/system/benchsvc.service",
    "/srv/benchsvc/.seeded",
)

SVC_LIMITS = (
    "# BEGIN BENCHSVC LIMITS",
    "benchsvc soft nofile 16384",
    "benchsvc hard nofile 32768",
    "# END BENCHSVC LIMITS",
)

SVC_STATE = (
    _stat_lines(SVC_STAT_PATHS)
    + """echo "group $(getent group benchsvc | cut -d: -f3)"
echo "user $(getent passwd benchsvc | cut -d: -f3,4,6,7)"
echo "groups $(id -Gn benchsvc 2>/dev/null)"
echo "link $(readlink /srv/benchsvc/current)"
echo "maxdays $(grep -c '^PASS_MAX_DAYS\t90$' /etc/login.defs)"
echo "limits $(grep -A3 '^# BEGIN BENCHSVC LIMITS$' /etc/security/limits.conf | tr '\\n' '|')"
echo "limitblocks $(grep -c '^# BEGIN BENCHSVC LIMITS$' /etc/security/limits.conf)"
echo "seeded $(cat /srv/benchsvc/.seeded 2>/dev/null)"
if [ -f /etc/benchsvc.ini ]; then grep -E '^(host|stage|release|slot) = ' /etc/benchsvc.ini | sed 's/^/ini /'; fi
"""
    + _sha_lines(("/etc/systemd/system/benchsvc.service", "/etc/benchsvc.ini"))
    + f"""if {SVC_HAS_SYSTEMD}; then
  echo "enabled $(systemctl is-enabled benchsvc.service 2>/dev/null)"
  echo "active $(systemctl is-active benchsvc.service 2>/dev/null)"
fi
echo end
"""
)


def svc_state_problems(state: HostState, systemd: bool) -> list[str]:
    """Differences between a host's state and what the svc workload declares; empty when it is right."""
    problems = _stat_problems(
        state,
        {
            "/srv/benchsvc/releases/1.0": "directory|benchsvc|benchsvc|755",
            "/srv/benchsvc/current": "symbolic link|root|root|777",
            "/home/benchsvc": "directory|benchsvc|benchsvc|755",
            "/etc/benchsvc.ini": "regular file|root|benchsvc|640",
            "/etc/systemd/system/benchsvc.service": "regular file|root|root|644",
            "/srv/benchsvc/.seeded": "regular file|root|root|644",
        },
    )
    if state.get("group") != "2710":
        problems.append(f"group benchsvc: gid {state.get('group')!r} (want 2710)")
    if state.get("user") != "2710:2710:/home/benchsvc:/bin/bash":
        problems.append(f"user benchsvc: {state.get('user')!r} (want 2710:2710:/home/benchsvc:/bin/bash)")
    if sorted((state.get("groups") or "").split()) != ["adm", "benchsvc"]:
        problems.append(f"user benchsvc: groups {state.get('groups')!r} (want benchsvc adm)")
    if state.get("link") != "/srv/benchsvc/releases/1.0":
        problems.append(f"/srv/benchsvc/current -> {state.get('link')!r} (want /srv/benchsvc/releases/1.0)")
    if state.get("maxdays") != "1":
        problems.append("/etc/login.defs: no `PASS_MAX_DAYS<tab>90` line")
    if state.get("limits") != "|".join(SVC_LIMITS) + "|" or state.get("limitblocks") != "1":
        problems.append(f"/etc/security/limits.conf: block {state.get('limits')!r} x{state.get('limitblocks')}")
    if state.get("seeded") != f"seeded {state.host}":
        problems.append(f"/srv/benchsvc/.seeded: {state.get('seeded')!r}")
    unit = (WORKLOAD_ROOT / "svc" / "files" / "benchsvc.service").read_bytes()
    if state.get("sha256 /etc/systemd/system/benchsvc.service") != hashlib.sha256(unit).hexdigest():
        problems.append("/etc/systemd/system/benchsvc.service: content differs from files/benchsvc.service")
    ini = state.all("ini")
    wanted_ini = [f"host = {state.host}", f"stage = {STAGE}", "release = 1.0", "slot = 1", "slot = 2", "slot = 3"]
    if ini != wanted_ini:
        problems.append(f"/etc/benchsvc.ini: {ini} (want {wanted_ini})")
    service = (state.get("enabled"), state.get("active"))
    if systemd and service != ("enabled", "active"):
        problems.append(f"benchsvc.service: {service} (want enabled, active)")
    if not systemd and service != (None, None):
        problems.append(f"benchsvc.service: {service} on a host without systemd")
    return problems


def svc_drift_problems(state: HostState) -> list[str]:
    """After a check run the svc workload's drift must still be there."""
    problems = []
    if "release = 0.9" not in state.all("ini"):
        problems.append(f"{state.host}: the drifted release line of /etc/benchsvc.ini was changed by a check run")
    if state.get("limitblocks") != "0":
        problems.append(f"{state.host}: the removed limits block was put back by a check run")
    return problems


SVC = Workload(
    name="svc",
    summary="11 tasks, ansible.builtin.* names, root without become, a service (skipped without systemd)",
    login_user="root",
    become=False,
    changed_first_systemd=10,
    changed_first_light=9,
    changed_check=2,
    reset_script=SVC_RESET,
    drift_script=SVC_DRIFT,
    state_script=SVC_STATE,
    state_problems=svc_state_problems,
    drift_problems=svc_drift_problems,
    rendered_file="/etc/benchsvc.ini",
    stat_paths=SVC_STAT_PATHS,
)

WORKLOADS = {workload.name: workload for workload in (APP, SVC)}
