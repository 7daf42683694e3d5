"""How each tool is set up, run and read: its project files, its command line, and its per-host change counts.

Every tool gets the same hosts, the same key and the same parallelism (one worker per host), runs the same
workload (workloads.py: benchmarks/workload/app/ or svc/), and is judged by what it says it changed on each host:
- deployctl: its real CLI with `--format json`; the counts come from the JSON recap.
- ansible-core: `ansible-playbook` on the same playbook and the same YAML inventory; counts from PLAY RECAP.
- pyinfra: `pyinfra -y` on pyinfra_deploy.py; counts from its per-host operation lines, and in `--dry` mode
  (which cannot be combined with `-y`: it would skip change detection) from its "Detected changes" table.
"""

from __future__ import annotations

import compileall
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

import yaml
from fleet import BenchHost
from workloads import APP, STAGE, Scenario, Workload

from deployctl.lab.nodes import KeyPair

WORKLOAD = APP.folder
PLAYBOOK = APP.playbook
"""The first workload's playbook (fixed_cost.py's bench host runs it)."""
COMMAND_TIMEOUT = 900.0
"""No single run may take longer than this (seconds); a run that does is reported as failed."""
RSS_INTERVAL = 0.05
"""Seconds between two readings of the memory of a tool's process tree."""
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def executable(name: str) -> str:
    """A console script of this interpreter's environment, not a shim in front of it (pyenv shims cost ~50 ms)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed: pip install -e '.[bench]'")
    return found


@dataclass(frozen=True)
class CommandRun:
    """One timed subprocess: its command line, exit code, output, wall-clock seconds, and the controller's cost.

    cpu_seconds: user + system CPU of the process and every descendant it waited for (wait4's rusage);
    peak_rss_mib: the largest sum of resident memory over its process tree, read every RSS_INTERVAL from /proc
    (rusage's ru_maxrss is no use here: Linux carries the forking harness's own peak into the child's).
    """

    command: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    cpu_seconds: float = 0.0
    peak_rss_mib: float = 0.0

    def tail(self, lines: int = 25) -> str:
        """The last lines of stderr and stdout, for failure reports."""
        text = (self.stdout.rstrip() + "\n" + self.stderr.rstrip()).strip()
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class ScenarioReport:
    """A tool's run of one scenario: its timing, what it reported per host, and every problem found."""

    tool: str
    scenario: Scenario
    run: CommandRun
    changed: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    round_trips: int | None = None
    """The tool's own count of round trips to the hosts (all hosts together), when it gives one."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def seconds(self) -> float:
        return self.run.seconds


class ToolRunner(Protocol):
    """One tool under test: writes its files, builds its command lines, reads its change counts."""

    name: str

    def prepare(self, folder: Path, hosts: Sequence[BenchHost], key: KeyPair) -> None: ...

    def command(self, scenario: Scenario) -> list[str]: ...

    def environment(self) -> dict[str, str]: ...

    def changed_per_host(self, scenario: Scenario, run: CommandRun) -> dict[str, int]:
        """Changed-task counts per host, parsed from the tool's output; ValueError when it cannot be read."""
        ...

    def after_run(self) -> None: ...

    def round_trips(self, run: CommandRun) -> int | None:
        """The tool's own count of round trips in the run, when it reports one."""
        ...


def write_inventory(path: Path, hosts: Sequence[BenchHost], key: KeyPair, user: str = APP.login_user) -> None:
    """The Ansible YAML inventory shared by deployctl and ansible-core: group `bench`, SSH via 127.0.0.1 as `user`;
    `bench_systemd` tells each host's kind."""
    inventory = {
        "all": {
            "vars": {
                "bench_stage": STAGE,
                "ansible_host": "127.0.0.1",
                "ansible_user": user,
                "ansible_ssh_private_key_file": str(key.private_path),
                "ansible_host_key_checking": False,
            },
            "children": {
                "bench": {
                    "hosts": {host.name: {"ansible_port": host.port, "bench_systemd": host.systemd} for host in hosts}
                }
            },
        }
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))


def tool_environment() -> dict[str, str]:
    """This process's environment, less PYTHONDONTWRITEBYTECODE: a tool must not recompile its sources on every
    run (an editable install has no bytecode until a run writes it); the floor runs with no environment at all."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def compile_tool_sources() -> None:
    """Write the bytecode of the deployctl package (an editable install: pip wrote none) and of the floor, as
    pip does for the other tools at install time, so that no timed run pays for compiling."""
    import deployctl

    for folder in (Path(deployctl.__file__).resolve().parent, Path(__file__).resolve().parent):
        compileall.compile_dir(folder, quiet=1)


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of `pid` and all its descendants now (/proc: children of every thread, statm)."""
    total, pending, seen = 0, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * PAGE_SIZE
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except (OSError, ValueError, IndexError):
            continue  # the process ended between two reads
    return total


class TreeMemory(threading.Thread):
    """Reads the resident memory of a process tree every RSS_INTERVAL until stopped; keeps the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            self.done.wait(RSS_INTERVAL)


def _read(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode(errors="replace")


def run_timed(command: Sequence[str], *, cwd: Path, env: dict[str, str]) -> CommandRun:
    """Run `command` to completion, timing it with perf_counter; output goes to files, stdin is empty.

    The process is reaped with wait4, whose rusage gives its CPU and that of every descendant it waited for.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command), cwd=cwd, env={**tool_environment(), **env}, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        memory = TreeMemory(process.pid)
        memory.start()
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(COMMAND_TIMEOUT, kill)
        timer.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        timer.cancel()
        memory.done.set()
        memory.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        return CommandRun(
            tuple(command),
            -1 if timed_out.is_set() else process.returncode,
            _read(out),
            _read(err),
            seconds,
            timed_out=timed_out.is_set(),
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            peak_rss_mib=memory.peak / 2**20,
        )


def judge(
    tool: ToolRunner, workload: Workload, scenario: Scenario, run: CommandRun, hosts: Sequence[BenchHost]
) -> ScenarioReport:
    """Check a run: exit 0, every host reported, and every host changed exactly the expected number of tasks."""
    report = ScenarioReport(tool.name, scenario, run, round_trips=tool.round_trips(run))
    if run.timed_out:
        report.problems.append(f"timed out after {COMMAND_TIMEOUT:.0f} s")
        return report
    if run.exit_code != 0:
        report.problems.append(f"exit code {run.exit_code}")
    try:
        report.changed = tool.changed_per_host(scenario, run)
    except ValueError as exc:
        report.problems.append(f"cannot read the result: {exc}")
        return report
    missing = [host.name for host in hosts if host.name not in report.changed]
    if missing:
        report.problems.append(f"no result for {len(missing)} host(s): {', '.join(missing[:5])}")
    wanted = {host.name: workload.expected_changed(scenario, host.systemd) for host in hosts}
    wrong = {name: count for name, count in report.changed.items() if count != wanted.get(name)}
    if wrong:
        shown = ", ".join(f"{name}={count} (want {wanted.get(name)})" for name, count in list(wrong.items())[:5])
        report.problems.append(f"wrong changed counts: {shown}")
    return report


# --- deployctl -----------------------------------------------------------------------------------------


class DeployctlRunner:
    """deployctl's CLI in a throwaway project: deployctl.yml with one stage, inventories/bench.yml."""

    name = "deployctl"

    def __init__(self, workload: Workload = APP) -> None:
        self.workload = workload
        self.project = Path()
        self.forks = 1
        self.playbook: Path | None = None
        """Another playbook than the workload's (compare_tools --gather-facts)."""

    def prepare(self, folder: Path, hosts: Sequence[BenchHost], key: KeyPair) -> None:
        self.project = folder
        self.forks = len(hosts)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "deployctl.yml").write_text(f"stages: [{STAGE}]\n")
        write_inventory(folder / "inventories" / f"{STAGE}.yml", hosts, key, self.workload.login_user)

    def command(self, scenario: Scenario) -> list[str]:
        playbook = str(self.playbook or self.workload.playbook)
        command = [executable("deployctl"), "--project", str(self.project), "apply", playbook]
        command += ["--stage", STAGE, "--format", "json", "--forks", str(self.forks)]
        return [*command, "--check", "--diff"] if scenario == "check" else command

    def environment(self) -> dict[str, str]:
        return {"NO_COLOR": "1"}

    def changed_per_host(self, scenario: Scenario, run: CommandRun) -> dict[str, int]:
        try:
            payload = json.loads(run.stdout)
        except json.JSONDecodeError as exc:
            raise ValueError(f"stdout is not JSON ({exc})") from None
        recap = payload.get("recap")
        if not isinstance(recap, dict):
            raise ValueError("no `recap` in the JSON result")
        if payload.get("check") is not (scenario == "check"):
            raise ValueError(f"the result says check={payload.get('check')}")
        bad = {h: r for h, r in recap.items() if r.get("failed") or r.get("unreachable")}
        if bad:
            raise ValueError(f"failed or unreachable hosts: {json.dumps(dict(list(bad.items())[:3]))}")
        return {host: int(counts["changed"]) for host, counts in recap.items()}

    def after_run(self) -> None:
        return None

    def round_trips(self, run: CommandRun) -> int | None:
        try:
            count = json.loads(run.stdout).get("round_trips")
        except json.JSONDecodeError:
            return None
        return count if isinstance(count, int) else None


# --- ansible-core --------------------------------------------------------------------------------------

ANSIBLE_RECAP = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)


class AnsibleRunner:
    """ansible-playbook with its best fair settings: forks = hosts, pipelining, no interpreter discovery.

    SSH multiplexing (ControlMaster/ControlPersist) is on, as by default, so the tasks of one run share a
    connection per host; each run gets a fresh control folder and its masters are closed after it, so every
    run starts cold, as deployctl's and pyinfra's do.
    """

    name = "ansible-core"

    def __init__(self, workload: Workload = APP) -> None:
        self.workload = workload
        self.playbook: Path | None = None
        self.folder = Path()
        self.inventory = Path()
        self.runs = 0
        self.control_dir = Path()

    def prepare(self, folder: Path, hosts: Sequence[BenchHost], key: KeyPair) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.inventory = folder / "inventory.yml"
        write_inventory(self.inventory, hosts, key, self.workload.login_user)
        (folder / "ansible.cfg").write_text(
            "[defaults]\n"
            f"forks = {len(hosts)}\n"
            "host_key_checking = False\n"
            "interpreter_python = /usr/bin/python3\n"
            "retry_files_enabled = False\n"
            "nocolor = True\n"
            "\n[ssh_connection]\n"
            "pipelining = True\n"
            "ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null"
            " -o LogLevel=ERROR\n"
        )

    def command(self, scenario: Scenario) -> list[str]:
        playbook = str(self.playbook or self.workload.playbook)
        command = [executable("ansible-playbook"), "-i", str(self.inventory), playbook]
        return [*command, "--check", "--diff"] if scenario == "check" else command

    def environment(self) -> dict[str, str]:
        self.runs += 1
        self.control_dir = self.folder / f"cp{self.runs}"
        self.control_dir.mkdir(mode=0o700)
        return {
            "ANSIBLE_CONFIG": str(self.folder / "ansible.cfg"),
            "ANSIBLE_HOME": str(self.folder / "home"),
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(self.control_dir),
        }

    def changed_per_host(self, scenario: Scenario, run: CommandRun) -> dict[str, int]:
        recap = run.stdout.rpartition("PLAY RECAP")[2]
        rows = list(ANSIBLE_RECAP.finditer(recap))
        if not rows:
            raise ValueError("no PLAY RECAP in the output")
        bad = [row["host"] for row in rows if int(row["failed"]) or int(row["unreachable"])]
        if bad:
            raise ValueError(f"failed or unreachable hosts: {', '.join(bad[:5])}")
        return {row["host"]: int(row["changed"]) for row in rows}

    def round_trips(self, run: CommandRun) -> int | None:
        return None

    def after_run(self) -> None:
        """Close the run's SSH masters (`ssh -O exit`), so the next run connects cold."""
        for socket_path in sorted(self.control_dir.iterdir()):
            subprocess.run(
                ["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", "bench-control"],
                capture_output=True,
                check=False,
                timeout=10,
            )


# --- pyinfra -------------------------------------------------------------------------------------------

PYINFRA_HOST_STATUS = re.compile(r"^\s+\[(?P<host>[^\]]+)\]\s+(?P<status>Success|No changes|Error)\b", re.MULTILINE)
"""`    [bench-1]  Success`: pyinfra pads the space after the name to the longest host name."""
PYINFRA_CHANGE_ROW = re.compile(r"^\s{4}(?P<op>\S.*?)\s{2,}(?P<change>-|\d+ \(.*?\))\s{2,}(?P<maybe>-|\d+ \(.*?\))\s*$")


class PyinfraRunner:
    """pyinfra on an inventory.py of the same hosts: `-y [--sudo] --parallel N`; check mode is `--dry --diff`."""

    name = "pyinfra"

    def __init__(self, workload: Workload = APP) -> None:
        self.workload = workload
        self.folder = Path()
        self.hosts: list[str] = []

    def prepare(self, folder: Path, hosts: Sequence[BenchHost], key: KeyPair) -> None:
        self.folder = folder
        self.hosts = [host.name for host in hosts]
        folder.mkdir(parents=True, exist_ok=True)
        common = {
            "ssh_hostname": "127.0.0.1",
            "ssh_user": self.workload.login_user,
            "ssh_key": str(key.private_path),
            "ssh_strict_host_key_checking": "off",
            "ssh_known_hosts_file": "/dev/null",
            "bench_stage": STAGE,
        }
        entries = ",\n".join(
            f"    ({host.name!r}, {{**COMMON, 'ssh_port': {host.port}, 'bench_systemd': {host.systemd}}})"
            for host in hosts
        )
        (folder / "inventory.py").write_text(f"COMMON = {common!r}\nbench = [\n{entries},\n]\n")

    def command(self, scenario: Scenario) -> list[str]:
        common = [*(["--sudo"] if self.workload.become else []), "--parallel", str(len(self.hosts))]
        files = [str(self.folder / "inventory.py"), str(self.workload.pyinfra_deploy)]
        if scenario == "check":
            return [executable("pyinfra"), *common, "--dry", "--diff", *files]
        return [executable("pyinfra"), "-y", *common, *files]

    def environment(self) -> dict[str, str]:
        return {}

    def changed_per_host(self, scenario: Scenario, run: CommandRun) -> dict[str, int]:
        if scenario == "check":
            return self._detected_changes(run.stdout + run.stderr)
        output = (run.stdout + run.stderr).partition("--> Beginning operation run...")[2]
        if not output:
            raise ValueError("no operation run in the output")
        changed: dict[str, int] = {}  # a host with no status line at all is missing, not "0 changed"
        for match in PYINFRA_HOST_STATUS.finditer(output):
            if match["status"] == "Error":
                raise ValueError(f"an operation failed on {match['host']}")
            changed[match["host"]] = changed.get(match["host"], 0) + (match["status"] == "Success")
        return changed

    def _detected_changes(self, output: str) -> dict[str, int]:
        """Per-host counts from the "Detected changes" table (its host lists are cut at 48 characters)."""
        table = output.partition("--> Detected changes:")[2]
        if not table:
            raise ValueError("no 'Detected changes' table in the output")
        changed = dict.fromkeys(self.hosts, 0)
        for line in table.splitlines()[2:]:
            row = PYINFRA_CHANGE_ROW.match(line)
            if row is None:
                if line.strip():
                    continue
                break
            for column in ("change", "maybe"):
                if row[column] == "-":
                    continue
                count, _, names = row[column].partition(" ")
                if int(count) == len(self.hosts):
                    for host in self.hosts:
                        changed[host] += 1
                elif "..." in names:
                    raise ValueError(f"{row['op']}: {count} hosts, list cut short: {names}")
                else:
                    for host in names.strip("()").split(", "):
                        changed[host] += 1
        return changed

    def round_trips(self, run: CommandRun) -> int | None:
        return None

    def after_run(self) -> None:
        return None


def make_runners(names: Sequence[str], workload: Workload = APP) -> list[ToolRunner]:
    """The runners for the tools named, in the order given, for one workload."""
    known: dict[str, type[DeployctlRunner] | type[AnsibleRunner] | type[PyinfraRunner]] = {
        "deployctl": DeployctlRunner,
        "pyinfra": PyinfraRunner,
        "ansible": AnsibleRunner,
    }
    return [known[name](workload) for name in names]


def shown(command: Sequence[str]) -> str:
    """A command line as a user would type it (console scripts by name)."""
    words = [Path(command[0]).name, *command[1:]]
    return shlex.join(words)
