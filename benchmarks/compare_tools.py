"""deployctl vs ansible-core vs pyinfra vs the bare SSH floor: two workloads, N lab-style hosts, one run.

    python benchmarks/compare_tools.py --hosts 10 50 200

Host counts below --light-from (100) run on systemd hosts, as lab VMs; the others (the scale point, 200) on light
hosts: the same image with sshd instead of systemd, so that 200 fit on a small machine. For each kind, starts
max(N) bench containers (`deployctl-bench-N`, label `deployctl.bench=1`), then for each N: times the bare floor
(paramiko connect + `true` on every host, in-process and as a fresh process), and for each workload and tool
times a first apply, a no-op apply and a check after drift, verifying each run (exit code, per-host change
counts, the state left on the hosts) before trusting its time, and reads the tool's CPU and peak memory. Prints
one table per workload and N with the ratios and issue 17's targets, and writes every figure to
benchmarks/results/latest.json. The containers are removed at the end, on failure and on Ctrl-C.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

import floor
import runners
import targets
from fleet import BenchHost, Fleet, FleetError, check_limits, free_port_base
from runners import (
    CommandRun,
    ScenarioReport,
    ToolRunner,
    compile_tool_sources,
    judge,
    make_runners,
    run_timed,
    shown,
)
from workloads import APP, SCENARIO_TITLES, SCENARIOS, WORKLOADS, HostState, Scenario, Workload

from deployctl.lab.nodes import KeyPair, generate_key

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_OUTPUT = BENCH_DIR / "results" / "latest.json"
TOOL_CHOICES = ("deployctl", "pyinfra", "ansible")
LIGHT_FROM = 100
"""Host counts from this on run on light hosts (sshd only, no systemd): the scale point."""

FLOOR_CODE = f"import sys; sys.path.insert(0, {str(BENCH_DIR)!r}); import floor; sys.exit(floor.main(sys.argv[1:]))"


# --- floor ---------------------------------------------------------------------------------------------


@dataclass
class FloorReport:
    """The bare floor's samples (seconds), in-process and as a fresh `python -c` process."""

    in_process: list[float] = field(default_factory=list)
    process: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.process) and bool(self.in_process)

    @property
    def best_process(self) -> float:
        return min(self.process)

    @property
    def best_in_process(self) -> float:
        return min(self.in_process)


def measure_floor(hosts: Sequence[BenchHost], key: KeyPair, samples: int) -> FloorReport:
    """Time connect + `true` on every host at once, `samples` times each way; keep every sample."""
    report = FloorReport()
    ports = [host.port for host in hosts]
    for _ in range(samples):
        started = time.perf_counter()
        try:
            floor.run_floor(ports, str(key.private_path))
        except RuntimeError as exc:
            report.problems.append(f"in-process: {exc}")
        report.in_process.append(time.perf_counter() - started)
        run = run_timed(
            [sys.executable, "-c", FLOOR_CODE, str(key.private_path), *map(str, ports)], cwd=BENCH_DIR, env={}
        )
        if run.exit_code != 0:
            report.problems.append(f"process: exit {run.exit_code}: {run.tail(5)}")
        report.process.append(run.seconds)
    return report


# --- tools ---------------------------------------------------------------------------------------------


def state_problems(workload: Workload, scenario: Scenario, host: BenchHost, state: HostState) -> list[str]:
    """What is wrong with one host's state after a run of `scenario`: after a check the drift must still be there
    (check mode changes nothing), otherwise every resource must be as the workload declares it."""
    if state.get("raw") is not None:
        return [f"{host.name}: incomplete state read, twice: {state.get('raw')!r}"]
    if scenario == "check":
        return workload.drift_problems(state)
    return [f"{host.name}: {problem}" for problem in workload.state_problems(state, host.systemd)]


def verify_state(
    fleet: Fleet, workload: Workload, hosts: Sequence[BenchHost], report: ScenarioReport
) -> list[HostState]:
    """Read every host after a run and add to the report what is not as the scenario leaves it."""
    states = fleet.states(hosts, workload)
    wrong = [
        problem
        for host, state in zip(hosts, states, strict=True)
        for problem in state_problems(workload, report.scenario, host, state)
    ]
    if wrong:
        report.problems.append(f"{len(wrong)} host state problem(s): " + "; ".join(wrong[:4]))
    return states


@dataclass
class ToolResult:
    """One tool at one N: the kept report per scenario (fastest of the repeats; any failure wins)."""

    name: str
    repeat: int = 1
    reports: dict[Scenario, ScenarioReport] = field(default_factory=dict)
    samples: dict[Scenario, list[float]] = field(default_factory=dict)
    conf_digests: dict[str, str] = field(default_factory=dict)

    def ok(self, scenario: Scenario) -> bool:
        report = self.reports.get(scenario)
        return report is not None and report.ok

    def seconds(self, scenario: Scenario) -> float:
        return self.reports[scenario].seconds


def keep(result: ToolResult, report: ScenarioReport) -> None:
    """Keep the fastest passing run of a scenario, unless some repeat failed: then keep the failure."""
    result.samples.setdefault(report.scenario, []).append(report.seconds)
    kept = result.reports.get(report.scenario)
    if kept is None or (kept.ok and (not report.ok or report.seconds < kept.seconds)):
        result.reports[report.scenario] = report


def run_tool(
    fleet: Fleet,
    workload: Workload,
    runner: ToolRunner,
    hosts: Sequence[BenchHost],
    key: KeyPair,
    folder: Path,
    repeat: int,
) -> ToolResult:
    """Reset, then time first apply, no-op apply, drift + check; `repeat` times; verify each run."""
    runner.prepare(folder, hosts, key)
    result = ToolResult(runner.name, repeat)
    for _ in range(repeat):
        fleet.reset(hosts, workload)
        for scenario in SCENARIOS:
            if scenario == "check":
                fleet.drift(hosts, workload)
            command, env = runner.command(scenario), runner.environment()
            run = run_timed(command, cwd=folder, env=env)
            runner.after_run()
            report = judge(runner, workload, scenario, run, hosts)
            states = verify_state(fleet, workload, hosts, report)
            if scenario == "first":
                result.conf_digests = {s.host: s.get(f"sha256 {workload.rendered_file}") or "" for s in states}
            keep(result, report)
            status = "ok" if report.ok else "FAILED"
            trips = "" if report.round_trips is None else f"  {report.round_trips / len(hosts):g} round trips per host"
            print(
                f"    {runner.name:<12} {SCENARIO_TITLES[scenario]:<18} {run.seconds:8.2f} s  {status}"
                f"  (CPU {run.cpu_seconds:.2f} s, peak {run.peak_rss_mib:.0f} MiB){trips}",
                flush=True,
            )
    fleet.reset(hosts, workload)
    return result


# --- report --------------------------------------------------------------------------------------------


@dataclass
class SizeResult:
    """Everything measured for one workload at one N (the floor is shared by the workloads of that N)."""

    workload: Workload
    hosts: int
    light: bool
    floor: FloorReport
    tools: list[ToolResult]
    notes: list[str] = field(default_factory=list)
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def kind(self) -> str:
        return "light hosts: sshd only, no systemd" if self.light else "systemd hosts"

    def tool(self, name: str) -> ToolResult | None:
        return next((tool for tool in self.tools if tool.name == name), None)


def ratio(numerator: ToolResult | None, denominator: ToolResult | None, scenario: Scenario) -> float | None:
    """numerator time / denominator time for one scenario, when both runs passed."""
    if numerator is None or denominator is None or not numerator.ok(scenario) or not denominator.ok(scenario):
        return None
    return numerator.seconds(scenario) / denominator.seconds(scenario)


def ratios(size: SizeResult) -> dict[str, dict[str, float | None]]:
    """The table's ratios, per scenario: deployctl/floor, pyinfra/deployctl, ansible-core/deployctl."""
    deployctl = size.tool("deployctl")
    table: dict[str, dict[str, float | None]] = {}
    floor_ok = size.floor.ok
    table["deployctl / floor (process)"] = {
        s: deployctl.seconds(s) / size.floor.best_process if deployctl and deployctl.ok(s) and floor_ok else None
        for s in SCENARIOS
    }
    for other in ("pyinfra", "ansible-core"):
        table[f"{other} / deployctl"] = {s: ratio(size.tool(other), deployctl, s) for s in SCENARIOS}
    return table


def target_verdicts(size: SizeResult) -> list[targets.Verdict]:
    """Issue 17's targets for this table (the scale point's when on light hosts), each judged on this run."""
    return targets.verdicts(ratios(size), targets.targets(scale_point=size.light))


def controller_rows(size: SizeResult) -> list[tuple[str, list[str]]]:
    """Per tool: the kept run's peak memory of the tool's process tree and its CPU per host, per scenario."""
    rows = []
    for tool in size.tools:
        cells = []
        for scenario in SCENARIOS:
            report = tool.reports.get(scenario)
            if report is None:
                cells.append("not run")
                continue
            run = report.run
            cells.append(f"{run.peak_rss_mib:.0f} MiB, {1000 * run.cpu_seconds / size.hosts:.1f} ms")
        rows.append((tool.name, cells))
    return rows


def _cell(tool: ToolResult, scenario: Scenario, footnotes: list[str]) -> str:
    report = tool.reports.get(scenario)
    if report is None:
        return "not run"
    if report.ok:
        return f"{report.seconds:.2f} s"
    footnotes.append(_failure_note(report))
    return f"FAILED [{len(footnotes)}]"


def _failure_note(report: ScenarioReport) -> str:
    run: CommandRun = report.run
    lines = [
        f"{report.tool}, {SCENARIO_TITLES[report.scenario]} ({run.seconds:.2f} s, exit {run.exit_code}):",
        *(f"    - {problem}" for problem in report.problems),
        f"    command: {shown(run.command)}",
        "    output (last lines):",
        *(f"      | {line}" for line in run.tail(15).splitlines()),
    ]
    return "\n".join(lines)


def _fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def render(size: SizeResult) -> str:
    """One N's table: seconds per tool and scenario, the floor, the ratios, the targets, failures."""
    widths = (38, 14, 14, 18)
    titles = ("tool", *(SCENARIO_TITLES[s] for s in SCENARIOS))

    def row(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    footnotes: list[str] = []
    load = ", ".join(f"{x:.2f}" for x in size.load_average)
    lines = [
        f"=== workload {size.workload.name}, {size.hosts} hosts ({size.kind}); load average before: {load} ===",
        row(titles),
        row(["-" * w for w in widths]),
    ]
    fl = size.floor
    if fl.ok:
        best = f"(best of {len(fl.process)})"
        lines.append(row([f"bare floor, fresh process {best}", "", f"{fl.best_process:.2f} s", ""]))
        lines.append(row([f"bare floor, in-process {best}", "", f"{fl.best_in_process:.2f} s", ""]))
    else:
        lines.append(row(["bare floor", "", "FAILED", ""]))
        footnotes.append("bare floor: " + "; ".join(fl.problems))
    for tool in size.tools:
        label = f"{tool.name} (best of {tool.repeat})" if tool.repeat > 1 else f"{tool.name} (1 run)"
        lines.append(row([label, *(_cell(tool, s, footnotes) for s in SCENARIOS)]))
    lines += ["", row(["ratio", *(SCENARIO_TITLES[s] for s in SCENARIOS)]), row(["-" * w for w in widths])]
    for name, values in ratios(size).items():
        lines.append(row([name, *(_fmt_ratio(values[s]) for s in SCENARIOS)]))
    lines += ["", row(["controller: peak RSS, CPU per host", *(SCENARIO_TITLES[s] for s in SCENARIOS)])]
    lines.append(row(["-" * w for w in widths]))
    lines += [row([name, *cells]) for name, cells in controller_rows(size)]
    lines += ["", "issue 17's targets (this run):", *(f"  {verdict.line()}" for verdict in target_verdicts(size))]
    if size.notes:
        lines += ["", "notes:", *(f"  - {note}" for note in size.notes)]
    if footnotes:
        lines += ["", "failures:", *(f"[{i}] {note}" for i, note in enumerate(footnotes, 1))]
    return "\n".join(lines)


def cross_tool_notes(workload: Workload, tools: Sequence[ToolResult]) -> list[str]:
    """Whether every tool rendered byte-identical template files (same template, same variables)."""
    digests = {tool.name: tool.conf_digests for tool in tools if tool.ok("first")}
    if len(digests) < 2:
        return []
    names = sorted(digests)
    reference = digests[names[0]]
    differ = [name for name in names[1:] if digests[name] != reference]
    rendered = workload.rendered_file
    if differ:
        return [f"{rendered} differs byte for byte between {names[0]} and {', '.join(differ)}"]
    return [f"{rendered} is byte-identical on every host across {', '.join(names)}"]


def as_json(size: SizeResult) -> dict[str, Any]:
    """One workload's figures at one N for results/latest.json."""
    tools: dict[str, Any] = {}
    for tool in size.tools:
        scenarios: dict[str, Any] = {}
        for scenario, report in tool.reports.items():
            changed = sorted(set(report.changed.values()))
            scenarios[scenario] = {
                "ok": report.ok,
                "seconds": round(report.seconds, 4),
                "samples": [round(s, 4) for s in tool.samples.get(scenario, [])],
                "exit_code": report.run.exit_code,
                "changed_per_host_values": changed,
                "round_trips_per_host": None
                if report.round_trips is None
                else round(report.round_trips / size.hosts, 2),
                "expected_changed_per_host": sorted({size.workload.expected_changed(scenario, not size.light)}),
                "cpu_seconds": round(report.run.cpu_seconds, 3),
                "cpu_ms_per_host": round(1000 * report.run.cpu_seconds / size.hosts, 2),
                "peak_rss_mib": round(report.run.peak_rss_mib, 1),
                "problems": report.problems,
                "command": shown(report.run.command),
            }
        tools[tool.name] = scenarios
    return {
        "workload": size.workload.name,
        "hosts": size.hosts,
        "host_kind": "light (sshd only, no systemd)" if size.light else "systemd",
        "load_average_before": list(size.load_average),
        "floor": {
            "ok": size.floor.ok,
            "process_seconds": [round(s, 4) for s in size.floor.process],
            "in_process_seconds": [round(s, 4) for s in size.floor.in_process],
            "best_process_seconds": round(size.floor.best_process, 4) if size.floor.process else None,
            "best_in_process_seconds": round(size.floor.best_in_process, 4) if size.floor.in_process else None,
            "problems": size.floor.problems,
        },
        "tools": tools,
        "ratios": {
            name: {s: (round(v, 3) if v is not None else None) for s, v in values.items()}
            for name, values in ratios(size).items()
        },
        "targets": [
            {
                "scenario": v.target.scenario,
                "ratio": v.target.ratio,
                "sign": v.target.sign,
                "bound": v.target.bound,
                "value": None if v.value is None else round(v.value, 3),
                "met": v.met,
                "line": v.line(),
            }
            for v in target_verdicts(size)
        ],
        "notes": size.notes,
    }


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def deployctl_revision() -> str:
    """The checkout's commit, and whether deployctl/ has uncommitted changes (read-only git commands)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BENCH_DIR, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "deployctl"], cwd=BENCH_DIR.parent, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}{' + uncommitted changes in deployctl/' if dirty else ''}"


def environment_info(args: argparse.Namespace) -> dict[str, Any]:
    """What the figures were measured with."""
    return {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "deployctl_revision": deployctl_revision(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {name: _version(name) for name in ("deployctl", "ansible-core", "pyinfra", "paramiko")},
        "repeat": {"deployctl": args.repeat, "pyinfra": args.repeat, "ansible-core": args.ansible_repeat},
        "floor_samples": args.floor_samples,
        "settings": {
            "deployctl": (
                f"apply --format json --forks N (check: --check --diff), gather_facts: {str(args.gather_facts).lower()}"
            ),
            "ansible-core": (
                "forks=N, pipelining=True, interpreter_python=/usr/bin/python3, "
                f"gather_facts: {str(args.gather_facts).lower()}, "
                "ControlMaster=auto ControlPersist=60s (fresh control dir per run), host_key_checking=False"
            ),
            "pyinfra": "-y [--sudo: app] --parallel N (check: [--sudo] --parallel N --dry --diff)",
        },
        "workloads": {name: WORKLOADS[name].summary for name in args.workloads},
        "light_from": args.light_from,
        "ansible_max_hosts": args.ansible_max_hosts,
        "controller_cost": (
            "cpu: user+system seconds of the tool's process and the descendants it reaped (wait4 rusage); "
            f"peak RSS: the tool's process tree summed, read every {runners.RSS_INTERVAL} s from /proc"
        ),
    }


# --- main ----------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--hosts", type=int, nargs="+", default=[10, 50, 200], help="host counts to measure (10 50 200)"
    )
    parser.add_argument(
        "--workloads", nargs="+", choices=tuple(WORKLOADS), default=list(WORKLOADS), help="workloads (app svc)"
    )
    parser.add_argument(
        "--light-from",
        type=int,
        default=LIGHT_FROM,
        help=f"host counts from this on run on light hosts: sshd only, no systemd ({LIGHT_FROM})",
    )
    parser.add_argument(
        "--tools", nargs="+", choices=TOOL_CHOICES, default=list(TOOL_CHOICES), help="tools to run (all three)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="cycles of deployctl and pyinfra; the fastest run is kept (3)"
    )
    parser.add_argument("--ansible-repeat", type=int, default=1, help="cycles of ansible-core (1: it is slow)")
    parser.add_argument(
        "--ansible-max-hosts", type=int, default=50, help="ansible-core runs only up to this many hosts (50)"
    )
    parser.add_argument("--floor-samples", type=int, default=3, help="floor samples each way; the best is kept (3)")
    parser.add_argument("--ready-timeout", type=float, default=300.0, help="seconds for the hosts to boot (300)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    parser.add_argument(
        "--gather-facts",
        action="store_true",
        help="app workload: deployctl and ansible-core gather facts (and a task reads one); pyinfra unchanged",
    )
    args = parser.parse_args(argv)
    if any(n < 1 or n > 250 for n in args.hosts) or min(args.repeat, args.ansible_repeat, args.floor_samples) < 1:
        parser.error("--hosts must be 1..250; --repeat, --ansible-repeat and --floor-samples at least 1")
    return args


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def write_json(path: Path, info: dict[str, Any], sizes: Sequence[SizeResult]) -> None:
    """Every figure so far, per workload (rewritten after each table, so a partial run keeps what it measured)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    load = [round(x, 2) for x in os.getloadavg()]
    workloads = {
        name: {"summary": WORKLOADS[name].summary, "runs": [as_json(s) for s in sizes if s.workload.name == name]}
        for name in info["workloads"]
    }
    payload = {**info, "load_average_at_end": load, "workloads": workloads}
    path.write_text(json.dumps(payload, indent=2) + "\n")


GATHER_FACTS_PLAYBOOK = "playbook-gather-facts.yml"
"""The workload with facts gathered (written at run time, not committed)."""


FACT_READING_TASK = "        creates: /opt/benchapp/.initialized\n"
"""The last task's last line: a condition on a gathered fact follows it in the gather-facts workload."""


def gather_facts_workload() -> Path:
    """The workload with `gather_facts: true` and a task reading a fact (deployctl gathers only for content that
    reads facts), written beside it (its templates and files resolve the same)."""
    text = APP.playbook.read_text()
    if "  gather_facts: false\n" not in text or not text.endswith(FACT_READING_TASK):
        raise RuntimeError(f"{APP.playbook}: no `gather_facts: false` line to turn on, or another last task")
    text = text.replace("  gather_facts: false\n", "  gather_facts: true\n")
    path = APP.playbook.with_name(GATHER_FACTS_PLAYBOOK)
    path.write_text(text + "      when: ansible_os_family == 'Debian'\n")
    return path


def workload_runners(
    args: argparse.Namespace, workload: Workload, hosts: int, playbook: Path | None
) -> list[ToolRunner]:
    """The tools to run for one workload at one N (ansible-core only up to --ansible-max-hosts)."""
    names = [n for n in args.tools if n != "ansible" or hosts <= args.ansible_max_hosts]
    chosen = make_runners(names, workload)
    if playbook is not None and workload is APP:
        for runner in chosen:
            if isinstance(runner, runners.DeployctlRunner | runners.AnsibleRunner):
                runner.playbook = playbook
    return chosen


def measure_kind(
    args: argparse.Namespace,
    fleet: Fleet,
    key: KeyPair,
    workdir: Path,
    counts: Sequence[int],
    light: bool,
    on_size: Callable[[SizeResult], None],
    playbook: Path | None,
) -> None:
    """Start max(counts) hosts of one kind, measure every N and workload on the first N of them, remove them."""
    count = max(counts)
    kind = "light" if light else "systemd"
    base = free_port_base(count + 1)
    check_limits(count, systemd=not light, port_base=base)
    started = time.perf_counter()
    all_hosts = fleet.start(count, base, systemd=not light)
    print(
        f"started {count} {kind} hosts (127.0.0.1:{base + 1}-{base + count}) in {time.perf_counter() - started:.1f} s"
    )
    ready = fleet.wait_ready(all_hosts, args.ready_timeout)
    print(f"all {count} hosts accept the key, booted, sudo ok, after {ready:.1f} s more", flush=True)
    for n in counts:
        hosts = all_hosts[:n]
        print(f"\n--- {n} {kind} hosts: floor", flush=True)
        load = os.getloadavg()
        floor_report = measure_floor(hosts, key, args.floor_samples)
        for workload in (WORKLOADS[name] for name in args.workloads):
            tools = []
            for runner in workload_runners(args, workload, n, playbook):
                print(f"--- {n} {kind} hosts, workload {workload.name}: {runner.name}", flush=True)
                repeat = args.ansible_repeat if runner.name == "ansible-core" else args.repeat
                folder = workdir / f"{workload.name}-{runner.name}-{n}"
                tools.append(run_tool(fleet, workload, runner, hosts, key, folder, repeat))
            notes = cross_tool_notes(workload, tools)
            if "ansible" in args.tools and n > args.ansible_max_hosts:
                notes.append(f"ansible-core not run above {args.ansible_max_hosts} hosts (--ansible-max-hosts)")
            size = SizeResult(workload, n, light, floor_report, tools, notes, load)
            on_size(size)
            load = os.getloadavg()
    print(f"removed the {fleet.remove_all()} {kind} hosts", flush=True)


def run(args: argparse.Namespace, workdir: Path) -> int:
    """Start the hosts, measure every N and workload, print the tables, write the JSON; return the exit code."""
    info = environment_info(args)
    print(
        f"deployctl {info['versions']['deployctl']} ({info['deployctl_revision']}), "
        f"ansible-core {info['versions']['ansible-core']}, pyinfra {info['versions']['pyinfra']}; "
        f"Python {info['python']}; {info['cpus']} CPUs; load average {info['load_average_at_start']}",
        flush=True,
    )
    compile_tool_sources()
    playbook = gather_facts_workload() if args.gather_facts else None
    key = generate_key(workdir, "deployctl-bench")
    fleet = Fleet(key)
    sizes: list[SizeResult] = []

    def on_size(size: SizeResult) -> None:
        sizes.append(size)
        print("\n" + render(size), flush=True)
        write_json(args.output, info, sizes)

    systemd_counts = sorted({n for n in args.hosts if n < args.light_from})
    light_counts = sorted({n for n in args.hosts if n >= args.light_from})
    try:
        leftovers = fleet.remove_all()
        if leftovers:
            print(f"removed {leftovers} bench container(s) left by an earlier run", flush=True)
        for counts, light in ((systemd_counts, False), (light_counts, True)):
            if counts:
                measure_kind(args, fleet, key, workdir, counts, light, on_size, playbook)
    finally:
        removed = fleet.remove_all()
        print(f"\nremoved {removed} bench container(s)", flush=True)
    if sizes:
        print(f"results written to {args.output}")
        print("\n\n".join(["", *(render(size) for size in sizes)]))
    failed = any(not report.ok for size in sizes for tool in size.tools for report in tool.reports.values())
    return 1 if failed or any(not size.floor.ok for size in sizes) else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)  # readiness polling: refused banners are expected
    signal.signal(signal.SIGTERM, _terminate)
    try:
        with tempfile.TemporaryDirectory(prefix="deployctl-bench-") as workdir:
            return run(args, Path(workdir))
    except KeyboardInterrupt:
        print("interrupted; the bench containers were removed", file=sys.stderr)
        return 130
    except FleetError as exc:
        print(f"compare_tools: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
