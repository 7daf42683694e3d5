"""deployctl vs ansible-core vs pyinfra vs the bare SSH floor: one workload, N lab-style hosts, one run.

    python benchmarks/compare_tools.py --hosts 10 50

Starts max(N) bench containers (`deployctl-bench-N`, label `deployctl.bench=1`), then for each N: times the
bare floor (paramiko connect + `true` on every host, in-process and as a fresh process), and for each tool
times a first apply, a no-op apply and a check after drift, verifying each run (exit code, per-host change
counts, the state left on the hosts) before trusting its time. Prints one table per N with the ratios and
writes every figure to benchmarks/results/latest.json. The containers are removed at the end, on failure
and on Ctrl-C. See benchmarks/README.md.
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

import floor
import runners
from fleet import (
    BenchHost,
    Fleet,
    FleetError,
    HostState,
    check_inotify_headroom,
    expected_state_problems,
    free_port_base,
)
from runners import (
    EXPECTED_CHANGED,
    SCENARIO_TITLES,
    SCENARIOS,
    STAGE,
    WORKLOAD,
    CommandRun,
    Scenario,
    ScenarioReport,
    ToolRunner,
    compile_tool_sources,
    judge,
    make_runners,
    run_timed,
    shown,
)

from deployctl.lab.nodes import KeyPair, generate_key

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_OUTPUT = BENCH_DIR / "results" / "latest.json"
TOOL_CHOICES = ("deployctl", "pyinfra", "ansible")
TARGETS = {"floor": 2.0, "pyinfra": 5.0, "ansible-core": 20.0}
"""The issue's targets on the no-op apply: deployctl/floor <= 2x, pyinfra/deployctl >= 5x, ansible/deployctl >= 20x."""

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


def drift_problems(state: HostState) -> list[str]:
    """After a check run the drift must still be there: check mode changes nothing."""
    problems = []
    if state.get("stat /opt/benchapp/app.py") != "absent":
        problems.append(f"{state.host}: /opt/benchapp/app.py was restored by a check run")
    if "listen = 0.0.0.0:9999" not in state.all("conf"):
        problems.append(f"{state.host}: the drifted app.conf line was changed by a check run")
    return problems


def verify_state(fleet: Fleet, hosts: Sequence[BenchHost], report: ScenarioReport) -> list[HostState]:
    """Read every host after a run and add to the report what is not as the scenario leaves it."""
    states = fleet.states(hosts)
    app_py = (WORKLOAD / "files" / "app.py").read_bytes()
    wrong: list[str] = []
    for state in states:
        if report.scenario == "check":
            wrong.extend(drift_problems(state))
        else:
            wrong.extend(f"{state.host}: {problem}" for problem in expected_state_problems(state, app_py, STAGE))
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
    fleet: Fleet, runner: ToolRunner, hosts: Sequence[BenchHost], key: KeyPair, folder: Path, repeat: int
) -> ToolResult:
    """Reset, then time first apply, no-op apply, drift + check; `repeat` times; verify each run."""
    runner.prepare(folder, hosts, key)
    result = ToolResult(runner.name, repeat)
    for _ in range(repeat):
        fleet.reset(hosts)
        for scenario in SCENARIOS:
            if scenario == "check":
                fleet.drift(hosts)
            command, env = runner.command(scenario), runner.environment()
            run = run_timed(command, cwd=folder, env=env)
            runner.after_run()
            report = judge(runner, scenario, run, hosts)
            states = verify_state(fleet, hosts, report)
            if scenario == "first":
                result.conf_digests = {s.host: s.get("sha256 /etc/benchapp/app.conf") or "" for s in states}
            keep(result, report)
            status = "ok" if report.ok else "FAILED"
            trips = "" if report.round_trips is None else f"  {report.round_trips / len(hosts):g} round trips per host"
            line = f"    {runner.name:<12} {SCENARIO_TITLES[scenario]:<18} {run.seconds:8.2f} s  {status}{trips}"
            print(line, flush=True)
    fleet.reset(hosts)
    return result


# --- report --------------------------------------------------------------------------------------------


@dataclass
class SizeResult:
    """Everything measured for one N."""

    hosts: int
    floor: FloorReport
    tools: list[ToolResult]
    notes: list[str] = field(default_factory=list)

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


def target_verdicts(size: SizeResult) -> list[str]:
    """The issue's targets on the no-op apply, each met or not (or not measurable)."""
    found = ratios(size)
    checks = [
        ("deployctl / floor (process)", "<=", TARGETS["floor"]),
        ("pyinfra / deployctl", ">=", TARGETS["pyinfra"]),
        ("ansible-core / deployctl", ">=", TARGETS["ansible-core"]),
    ]
    lines = []
    for name, sign, target in checks:
        value = found[name]["noop"]
        if value is None:
            verdict = "not measurable (a run failed or was not run)"
        else:
            met = value <= target if sign == "<=" else value >= target
            verdict = f"{value:.2f}x -> {'met' if met else 'NOT met'}"
        lines.append(f"  no-op {name} {sign} {target:g}x: {verdict}")
    return lines


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
    lines = [f"=== {size.hosts} hosts ===", row(titles), row(["-" * w for w in widths])]
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
    lines += ["", "targets (no-op apply, this run):", *target_verdicts(size)]
    if size.notes:
        lines += ["", "notes:", *(f"  - {note}" for note in size.notes)]
    if footnotes:
        lines += ["", "failures:", *(f"[{i}] {note}" for i, note in enumerate(footnotes, 1))]
    return "\n".join(lines)


def cross_tool_notes(tools: Sequence[ToolResult]) -> list[str]:
    """Whether every tool rendered byte-identical app.conf files (same template, same variables)."""
    digests = {tool.name: tool.conf_digests for tool in tools if tool.ok("first")}
    if len(digests) < 2:
        return []
    names = sorted(digests)
    reference = digests[names[0]]
    differ = [name for name in names[1:] if digests[name] != reference]
    if differ:
        return [f"app.conf differs byte for byte between {names[0]} and {', '.join(differ)}"]
    return [f"app.conf is byte-identical on every host across {', '.join(names)}"]


def as_json(size: SizeResult) -> dict[str, Any]:
    """One N's figures for results/latest.json."""
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
                "expected_changed_per_host": EXPECTED_CHANGED[scenario],
                "problems": report.problems,
                "command": shown(report.run.command),
            }
        tools[tool.name] = scenarios
    return {
        "hosts": size.hosts,
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
        "targets": target_verdicts(size),
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
            "pyinfra": "-y --sudo --parallel N (check: --sudo --parallel N --dry --diff)",
        },
    }


# --- main ----------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, nargs="+", default=[10, 50], help="host counts to measure (10 50)")
    parser.add_argument(
        "--tools", nargs="+", choices=TOOL_CHOICES, default=list(TOOL_CHOICES), help="tools to run (all three)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="cycles of deployctl and pyinfra; the fastest run is kept (3)"
    )
    parser.add_argument("--ansible-repeat", type=int, default=1, help="cycles of ansible-core (1: it is slow)")
    parser.add_argument("--floor-samples", type=int, default=3, help="floor samples each way; the best is kept (3)")
    parser.add_argument("--ready-timeout", type=float, default=300.0, help="seconds for the hosts to boot (300)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    parser.add_argument(
        "--gather-facts",
        action="store_true",
        help="deployctl and ansible-core gather facts (gather_facts: true and a task reading one); pyinfra unchanged",
    )
    args = parser.parse_args(argv)
    if any(n < 1 or n > 200 for n in args.hosts) or min(args.repeat, args.ansible_repeat, args.floor_samples) < 1:
        parser.error("--hosts must be 1..200; --repeat, --ansible-repeat and --floor-samples at least 1")
    return args


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def write_json(path: Path, info: dict[str, Any], sizes: Sequence[SizeResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    load = [round(x, 2) for x in os.getloadavg()]
    payload = {**info, "load_average_at_end": load, "runs": [as_json(size) for size in sizes]}
    path.write_text(json.dumps(payload, indent=2) + "\n")


GATHER_FACTS_PLAYBOOK = "playbook-gather-facts.yml"
"""The workload with facts gathered (written at run time, not committed)."""


FACT_READING_TASK = "        creates: /opt/benchapp/.initialized\n"
"""The last task's last line: a condition on a gathered fact follows it in the gather-facts workload."""


def gather_facts_workload() -> Path:
    """The workload with `gather_facts: true` and a task reading a fact (deployctl gathers only for content that
    reads facts), written beside it (its templates and files resolve the same)."""
    text = runners.PLAYBOOK.read_text()
    if "  gather_facts: false\n" not in text or not text.endswith(FACT_READING_TASK):
        raise RuntimeError(f"{runners.PLAYBOOK}: no `gather_facts: false` line to turn on, or another last task")
    text = text.replace("  gather_facts: false\n", "  gather_facts: true\n")
    path = runners.PLAYBOOK.with_name(GATHER_FACTS_PLAYBOOK)
    path.write_text(text + "      when: ansible_os_family == 'Debian'\n")
    return path


def run(args: argparse.Namespace, workdir: Path) -> int:
    """Start the hosts, measure every N, print the tables, write the JSON; return the exit code."""
    info = environment_info(args)
    print(
        f"deployctl {info['versions']['deployctl']} ({info['deployctl_revision']}), "
        f"ansible-core {info['versions']['ansible-core']}, pyinfra {info['versions']['pyinfra']}; "
        f"Python {info['python']}; {info['cpus']} CPUs; load average {info['load_average_at_start']}",
        flush=True,
    )
    compile_tool_sources()
    if args.gather_facts:
        runners.PLAYBOOK = gather_facts_workload()
    key = generate_key(workdir, "deployctl-bench")
    fleet = Fleet(key)
    sizes: list[SizeResult] = []
    try:
        leftovers = fleet.remove_all()
        if leftovers:
            print(f"removed {leftovers} bench container(s) left by an earlier run", flush=True)
        count = max(args.hosts)
        check_inotify_headroom(count)
        base = free_port_base(count + 1)
        started = time.perf_counter()
        all_hosts = fleet.start(count, base)
        print(f"started {count} hosts (127.0.0.1:{base + 1}-{base + count}) in {time.perf_counter() - started:.1f} s")
        ready = fleet.wait_ready(all_hosts, args.ready_timeout)
        print(f"all {count} hosts accept the key, booted, sudo ok, after {ready:.1f} s more", flush=True)
        for n in args.hosts:
            hosts = all_hosts[:n]
            print(f"\n--- {n} hosts: floor", flush=True)
            floor_report = measure_floor(hosts, key, args.floor_samples)
            tools = []
            for runner in make_runners(args.tools):
                print(f"--- {n} hosts: {runner.name}", flush=True)
                repeat = args.ansible_repeat if runner.name == "ansible-core" else args.repeat
                tools.append(run_tool(fleet, runner, hosts, key, workdir / f"{runner.name}-{n}", repeat))
            size = SizeResult(n, floor_report, tools, cross_tool_notes(tools))
            sizes.append(size)
            print("\n" + render(size), flush=True)
            write_json(args.output, info, sizes)
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
