"""The fixed cost of a command, in one run: --version, --help, status, history and a no-op apply, whole processes.

Every command runs as a fresh `python -m deployctl ...` of this interpreter (sys.executable, never a PATH shim)
with PYTHONPATH set to the tree measured: this checkout, and with `--baseline DIR` older ones (e.g.
`git archive 428dcc5 deployctl | tar -x -C DIR`), alternated round by round so that all see the same load.
The interpreter's own start-up (`python -c pass`) is measured beside them. status and history read the project
at the root of this checkout. Import times come from `python -X importtime` (the fastest of `--samples` runs
per module).

The no-op apply needs hosts, and takes /tmp/deployctl-lab.lock while it uses them:
- `--lab` (default): the lab recorded in this checkout's state folder, `playbooks/webapp.yml --stage dev`.
  When the lab's keys do not open its hosts (the lab was recreated from another checkout), that is recorded and
  the apply is not measured: the lab is never brought up or down here.
- `--bench-host`: one host of compare_tools' fleet (a `deployctl-bench-1` container, removed at the end) with
  its workload, in a throwaway project per tree; `--bench-hosts N` takes N hosts (`--forks N`), as compare_tools'
  no-op at N hosts, so that trees are compared on it alternately (raise the inotify limit first, see the README).
The first apply of each tree converges the host and is not counted; every counted run must change nothing.
Its cost beyond the run is the process's wall time less the run's own `seconds` (its JSON result).

    python benchmarks/fixed_cost.py [--baseline [NAME=]DIR ...] [--samples 7] [--lab | --bench-host | --no-apply]
                                    [--bench-hosts N] [--output FILE]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from compare_tools import deployctl_revision  # noqa: E402 (after the path above)
from fleet import check_inotify_headroom  # noqa: E402

LAB_LOCK = Path("/tmp/deployctl-lab.lock")  # noqa: S108 (the lock every user of the lab takes)
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [],
    "--version": ["--version"],
    "--help": ["--help"],
    "status": ["--project", str(REPO), "status"],
    "history": ["--project", str(REPO), "history"],
}
TARGETS = {"--version": 0.150, "--help": 0.150, "status": 0.250, "history": 0.250}
"""Wall time (median) each command must stay under, in seconds (issue 17)."""
APPLY_OVERHEAD_TARGET = 0.150
"""A no-op apply's whole process may exceed its own run time by this much at most, in seconds (issue 17)."""
IMPORT_COMMANDS = {"--version": ["--version"], "status": COMMANDS["status"], "apply --help": ["apply", "--help"]}
"""Commands whose imports are itemised: `apply --help` imports everything apply does, and needs no host."""
COMMAND_TIMEOUT = 300.0


@dataclass(frozen=True)
class Tree:
    """A deployctl source tree measured: its name in the results and the folder on PYTHONPATH."""

    name: str
    path: Path


@dataclass
class Samples:
    """The wall times of one command of one tree; for apply, the run's own seconds too."""

    wall: list[float] = field(default_factory=list)
    run: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"samples": [round(s, 4) for s in self.wall]}
        if self.wall:
            shown |= {"min_s": round(min(self.wall), 4), "median_s": round(statistics.median(self.wall), 4)}
        if self.run:
            beyond = [wall - run for wall, run in zip(self.wall, self.run, strict=True)]
            shown |= {
                "run_seconds": self.run,
                "beyond_run_s": [round(b, 4) for b in beyond],
                "beyond_run_median_s": round(statistics.median(beyond), 4),
            }
        if self.problems:
            shown["problems"] = self.problems
        return shown


def tree_environment(tree: Tree) -> dict[str, str]:
    """This environment with the tree first on PYTHONPATH, no colour, and bytecode written (not recompiled)."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(tree.path), "NO_COLOR": "1"}


def deployctl_command(args: Sequence[str]) -> list[str]:
    """`python -m deployctl ARGS` with this interpreter (its real path, not a shim)."""
    return [sys.executable, "-m", "deployctl", *args] if args else [sys.executable, "-c", "pass"]


def timed(command: Sequence[str], tree: Tree) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run `command` in the tree's folder (`-m` puts the working folder first on sys.path: the tree's deployctl
    is the one imported); its wall time (perf_counter) and what it printed."""
    started = time.perf_counter()
    done = subprocess.run(
        list(command),
        cwd=tree.path,
        env=tree_environment(tree),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    return time.perf_counter() - started, done


def imported_from(tree: Tree) -> Path:
    """The folder the tree's processes import deployctl from (it must be the tree's own)."""
    _, done = timed([sys.executable, "-c", "import deployctl; print(deployctl.__file__)"], tree)
    return Path(done.stdout.strip()).parent.parent


def measure_commands(trees: Sequence[Tree], samples: int) -> dict[str, dict[str, Samples]]:
    """Every command of COMMANDS for every tree, `samples` rounds, alternated within each round."""
    found = {tree.name: {name: Samples() for name in COMMANDS} for tree in trees}
    for tree in trees:  # one unmeasured round: bytecode written, files in the page cache
        for args in COMMANDS.values():
            timed(deployctl_command(args), tree)
    for _ in range(samples):
        for name, args in COMMANDS.items():
            for tree in trees:
                seconds, done = timed(deployctl_command(args), tree)
                kept = found[tree.name][name]
                kept.wall.append(seconds)
                if done.returncode != 0:
                    kept.problems.append(f"exit {done.returncode}: {done.stderr.strip()[-300:]}")
    return found


def parse_importtime(stderr: str) -> dict[str, int]:
    """Cumulative microseconds of each import made at the top level (not by another import), by module."""
    found: dict[str, int] = {}
    for line in stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or "cumulative" in line:
            continue
        name = parts[2]
        if name.startswith(" ") and not name.startswith("  "):  # depth 0: one space after the bar
            found[name.strip()] = int(parts[1])
    return found


def measure_imports(trees: Sequence[Tree], samples: int) -> dict[str, dict[str, dict[str, float]]]:
    """Per tree and command: the top-level imports over 1 ms, in ms, the fastest of `samples` runs each."""
    found: dict[str, dict[str, dict[str, float]]] = {}
    for tree in trees:
        found[tree.name] = {}
        for name, args in IMPORT_COMMANDS.items():
            best: dict[str, int] = {}
            for _ in range(samples):
                _, done = timed([sys.executable, "-X", "importtime", "-m", "deployctl", *args], tree)
                for module, micros in parse_importtime(done.stderr).items():
                    best[module] = min(micros, best.get(module, micros))
            ranked = sorted(best.items(), key=lambda item: -item[1])
            found[tree.name][name] = {module: round(micros / 1000, 1) for module, micros in ranked if micros >= 1000}
    return found


@contextmanager
def lab_lock() -> Iterator[None]:
    """Hold the lab's lock (as `flock /tmp/deployctl-lab.lock` does) while the block uses hosts."""
    with LAB_LOCK.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class ApplyTarget:
    """What a no-op apply runs against: per tree, the project folder and the apply's arguments."""

    description: str
    projects: dict[str, Path]
    args: tuple[str, ...]


def noop_problems(done: subprocess.CompletedProcess[str]) -> tuple[float | None, list[str]]:
    """The run's own seconds from apply's JSON result, and why it is not a clean no-op (if it is not)."""
    try:
        payload = json.loads(done.stdout)
    except json.JSONDecodeError:
        return None, [f"exit {done.returncode}, no JSON: {done.stderr.strip()[-300:]}"]
    problems = [f"exit {done.returncode}"] if done.returncode != 0 else []
    changed = {host: r["changed"] for host, r in payload["recap"].items() if r["changed"] or r["failed"]}
    unreachable = [host for host, r in payload["recap"].items() if r["unreachable"]]
    if changed:
        problems.append(f"not a no-op: changed or failed on {changed}")
    if unreachable:
        problems.append(f"unreachable: {unreachable}")
    return float(payload["seconds"]), problems


def measure_apply(trees: Sequence[Tree], target: ApplyTarget, samples: int) -> dict[str, Samples]:
    """A converging first apply per tree (not counted), then `samples` no-op applies per tree, alternated."""
    found = {tree.name: Samples() for tree in trees}
    for tree in trees:
        _, done = timed(deployctl_command(["--project", str(target.projects[tree.name]), *target.args]), tree)
        if done.returncode != 0:
            found[tree.name].problems.append(f"first apply: exit {done.returncode}: {done.stderr.strip()[-300:]}")
    for _ in range(samples):
        for tree in trees:
            command = deployctl_command(["--project", str(target.projects[tree.name]), *target.args])
            seconds, done = timed(command, tree)
            run, problems = noop_problems(done)
            kept = found[tree.name]
            kept.problems += problems
            if run is not None and not problems:
                kept.wall.append(seconds)
                kept.run.append(run)
    return found


def lab_target(trees: Sequence[Tree]) -> ApplyTarget | str:
    """The lab's dev stage with playbooks/webapp.yml, or why it cannot be used (its keys do not open its hosts)."""
    import paramiko
    from floor import connect_and_run

    from deployctl.errors import DeployctlError
    from deployctl.lab.state import load_lab_state
    from deployctl.model.project import find_project

    project = find_project(REPO)
    try:
        lab = load_lab_state(project.state_dir)
    except DeployctlError as exc:
        return f"the lab state of this checkout is unreadable: {exc}"
    if lab is None:
        return f"no lab state in {project.state_dir}: the lab is not up for this checkout"
    endpoint = lab.endpoints.get("dev-vm1")
    if endpoint is None:
        return "the lab state has no dev-vm1"
    try:
        connect_and_run(endpoint.port, str(endpoint.key_file))
    except (paramiko.SSHException, OSError, RuntimeError) as exc:
        return (
            f"the lab's keys do not match this checkout's lab state (dev-vm1, 127.0.0.1:{endpoint.port}, key "
            f"{endpoint.key_file}: {type(exc).__name__}: {exc}); the lab was not recreated, the apply not measured"
        )
    args = ("apply", str(REPO / "playbooks" / "webapp.yml"), "--stage", "dev", "--format", "json")
    return ApplyTarget("the lab: playbooks/webapp.yml --stage dev (dev-vm1)", {t.name: REPO for t in trees}, args)


@contextmanager
def bench_host_target(trees: Sequence[Tree], workdir: Path, count: int = 1) -> Iterator[ApplyTarget]:
    """`count` bench hosts (compare_tools' fleet) with its workload, a project per tree; removed at the end."""
    import runners
    from fleet import Fleet, free_port_base

    from deployctl.lab.nodes import generate_key

    key = generate_key(workdir, "deployctl-fixed-cost")
    fleet = Fleet(key)
    try:
        fleet.remove_all()
        hosts = fleet.start(count, free_port_base(count + 1))
        fleet.wait_ready(hosts, 120.0 + 10.0 * count)
        projects = {}
        for tree in trees:
            runner = runners.DeployctlRunner()
            runner.prepare(workdir / tree.name, hosts, key)
            projects[tree.name] = runner.project
        args = ("apply", str(runners.PLAYBOOK), "--stage", runners.STAGE, "--format", "json", "--forks", str(count))
        shown = hosts[0].container if count == 1 else f"{count} hosts, --forks {count}"
        yield ApplyTarget(f"bench hosts ({shown}): benchmarks/workload/app/playbook.yml", projects, args)
    finally:
        fleet.remove_all()


def render(trees: Sequence[Tree], commands: dict[str, dict[str, Samples]], apply: dict[str, Samples] | None) -> str:
    """One line per command: the median (and fastest) wall time per tree, the target, and the ratio."""
    names = [tree.name for tree in trees]
    ratios = " ".join(f"current/{name}" for name in names[1:])
    lines = [f"{'command':<16}" + "".join(f"{name:>24}" for name in names) + f"   target    {ratios}"]
    for command in COMMANDS:
        cells = [commands[name][command] for name in names]
        shown = "".join(f"{_cell(c.wall):>24}" for c in cells)
        target = f"< {TARGETS[command]:.3f} s" if command in TARGETS else ""
        lines.append(f"{command:<16}{shown}   {target:<10}{_ratio(cells)}")
    if apply is not None:
        cells = [apply[name] for name in names]
        shown = "".join(f"{_cell(c.wall):>24}" for c in cells)
        lines.append(f"{'no-op apply':<16}{shown}   {'':<10}{_ratio(cells)}")
        beyond = [[w - r for w, r in zip(c.wall, c.run, strict=True)] for c in cells]
        shown = "".join(f"{_cell(b):>24}" for b in beyond)
        lines.append(f"{'  beyond its run':<16}{shown}   < {APPLY_OVERHEAD_TARGET:.3f} s")
    return "\n".join(lines)


def _cell(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.3f} s (min {min(values):.3f})" if values else "-"


def _ratio(cells: Sequence[Samples]) -> str:
    """The current tree's median over each other tree's."""
    if len(cells) < 2 or not all(c.wall for c in cells):
        return ""
    current = statistics.median(cells[0].wall)
    return " ".join(f"{current / statistics.median(other.wall):.2f}x" for other in cells[1:])


def verdicts(commands: dict[str, Samples], apply: Samples | None) -> list[str]:
    """The issue's targets, met or not, for the current tree (medians)."""
    lines = []
    for command, limit in TARGETS.items():
        median = statistics.median(commands[command].wall)
        lines.append(f"{command}: {median:.3f} s, target < {limit:.3f} s: {'met' if median < limit else 'NOT met'}")
    if apply is not None and apply.run:
        beyond = statistics.median(w - r for w, r in zip(apply.wall, apply.run, strict=True))
        met = "met" if beyond <= APPLY_OVERHEAD_TARGET else "NOT met"
        lines.append(f"no-op apply beyond its run: {beyond:.3f} s, target <= {APPLY_OVERHEAD_TARGET:.3f} s: {met}")
    return lines


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="[NAME=]DIR",
        help="an older deployctl tree (DIR holds deployctl/), named NAME (default: baseline); repeatable",
    )
    parser.add_argument("--samples", type=int, default=7, help="timed runs per command and tree (default 7)")
    hosts = parser.add_mutually_exclusive_group()
    hosts.add_argument("--lab", dest="hosts", action="store_const", const="lab", help="apply on the lab (default)")
    hosts.add_argument("--bench-host", dest="hosts", action="store_const", const="bench", help="on one bench host")
    hosts.add_argument("--no-apply", dest="hosts", action="store_const", const="none", help="no apply")
    parser.set_defaults(hosts="lab")
    parser.add_argument("--bench-hosts", type=int, default=1, metavar="N", help="bench hosts for the apply (default 1)")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results" / "fixed-cost.json")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print the table and the verdicts, write the JSON; exit 1 when a run failed."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)  # a bench host's readiness polling: refusals expected
    trees = [Tree("current", REPO)]
    for given in args.baseline:
        name, _, folder = given.rpartition("=")
        trees.append(Tree(name or "baseline", Path(folder).resolve()))
    info = {
        "deployctl_revision": deployctl_revision(),
        "trees": {tree.name: str(tree.path) for tree in trees},
        "python": sys.executable,
        "entry_point": "python -m deployctl (this interpreter, PYTHONPATH = the tree)",
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "samples": args.samples,
    }
    print(f"deployctl {info['deployctl_revision']}; {sys.executable}; load {info['load_average_at_start']}", flush=True)
    for tree in trees:
        found = imported_from(tree)
        if found != tree.path:
            print(f"fixed_cost: the {tree.name} tree ({tree.path}) imports deployctl from {found}", file=sys.stderr)
            return 2
    commands = measure_commands(trees, args.samples)
    imports = measure_imports(trees, min(args.samples, 5))
    apply: dict[str, Samples] | None = None
    apply_note = "not measured (--no-apply)"
    if args.hosts != "none":
        with lab_lock(), tempfile.TemporaryDirectory(prefix="deployctl-fixed-cost-") as workdir:
            if args.hosts == "lab":
                target = lab_target(trees)
                if isinstance(target, str):
                    apply_note = target
                else:
                    apply_note = target.description
                    apply = measure_apply(trees, target, args.samples)
            else:
                if args.bench_hosts > 1:
                    check_inotify_headroom(args.bench_hosts)
                with bench_host_target(trees, Path(workdir), args.bench_hosts) as bench:
                    apply_note = bench.description
                    apply = measure_apply(trees, bench, args.samples)
    print("\n" + render(trees, commands, apply))
    print(f"no-op apply: {apply_note}")
    current_apply = apply["current"] if apply is not None else None
    for line in verdicts(commands["current"], current_apply):
        print(line)
    for tree in trees:
        print(f"\nimports of {tree.name} (ms, top-level imports over 1 ms, fastest of runs):")
        for command, modules in imports[tree.name].items():
            print(f"  {command}: " + ", ".join(f"{module} {ms}" for module, ms in list(modules.items())[:8]))
    payload = {
        **info,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "targets_s": TARGETS,
        "apply_overhead_target_s": APPLY_OVERHEAD_TARGET,
        "commands": {tree: {name: s.summary() for name, s in found.items()} for tree, found in commands.items()},
        "imports_ms": imports,
        "noop_apply": {
            "target": apply_note,
            "trees": {tree: s.summary() for tree, s in apply.items()} if apply is not None else None,
        },
        "verdicts": verdicts(commands["current"], current_apply),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nresults written to {args.output}")
    failed = any(s.problems for found in commands.values() for s in found.values())
    failed = failed or (apply is not None and any(s.problems for s in apply.values()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
