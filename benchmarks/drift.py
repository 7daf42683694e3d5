"""A drift scan of the whole lab (every stage's VMs and containers) against the bare SSH floor, in one run.

The floor connects to each of the same VMs with its key and runs `true`, one thread per host (benchmarks/
floor.py); it reads the keys before its clock starts (parsing an RSA key costs paramiko about 40 ms, which
would flatter the ratio). Both are timed in-process, alternated, `--rounds` times; the figure is the ratio of
medians. `--runs N` repeats that N times (each run its own ratio) and `--output FILE` keeps every run in JSON,
with the commit measured and the machine's load.

    flock /tmp/deployctl-lab.lock python benchmarks/drift.py [--rounds 5] [--runs 1] [--json] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import paramiko
from compare_tools import deployctl_revision
from floor import connect_and_run

from deployctl.lab.state import require_lab_state
from deployctl.ledger.db import open_ledger
from deployctl.model.project import Project, find_project
from deployctl.operations.context import stage_contexts
from deployctl.operations.drift import scan_drift


def floor_seconds(endpoints: list[tuple[int, str]]) -> float:
    """Connect to every host and run `true`, all at once; the wall time."""
    errors: list[str] = []

    # The keys are read before the clock starts: the floor does nothing but connect and run `true`.
    keys = {key: paramiko.PKey.from_path(key) for key in {key for _, key in endpoints}}

    def one(port: int, key: str) -> None:
        try:
            connect_and_run(port, key, keys[key])
        except Exception as exc:
            errors.append(f"{port}: {exc}")

    started = time.monotonic()
    threads = [threading.Thread(target=one, args=endpoint) for endpoint in endpoints]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError("; ".join(errors))
    return time.monotonic() - started


def measure(project: Project, endpoints: list[tuple[int, str]], rounds: int) -> dict[str, Any]:
    """One run: `rounds` floors and scans, alternated; their medians and the ratio."""
    connection = open_ledger(project.ledger)
    floors: list[float] = []
    scans: list[float] = []
    hosts = containers = 0
    outcome = ""
    try:
        for _ in range(rounds):
            floors.append(floor_seconds(endpoints))
            started = time.monotonic()
            report = scan_drift(project, connection, stage_contexts(project))
            scans.append(time.monotonic() - started)
            hosts = sum(1 for h in report.hosts if h.target == "vm")
            containers = len(report.hosts) - hosts
            outcome = report.outcome
    finally:
        connection.close()
    return {
        "vms": hosts,
        "containers": containers,
        "floor_hosts": len(endpoints),
        "rounds": rounds,
        "floor_median_s": round(statistics.median(floors), 3),
        "scan_median_s": round(statistics.median(scans), 3),
        "ratio": round(statistics.median(scans) / statistics.median(floors), 2),
        "scan_outcome": outcome,
    }


def main() -> int:
    """Time the floor and the scan alternately; print the medians and the ratio of each run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--output", type=Path, help="write every run, the commit and the load average as JSON")
    args = parser.parse_args()
    project = find_project(Path.cwd())
    lab = require_lab_state(project.state_dir)
    endpoints = [(e.port, str(e.key_file)) for _name, e in sorted(lab.endpoints.items())]
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    runs = []
    for _ in range(args.runs):
        result = measure(project, endpoints, args.rounds)
        runs.append(result)
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            scanned = f"{result['vms']} VMs and {result['containers']} containers"
            print(
                f"drift scan of {scanned}: {result['scan_median_s']} s (median of {args.rounds}); SSH floor for the "
                f"same {len(endpoints)} VMs: {result['floor_median_s']} s; ratio {result['ratio']}x "
                f"({result['scan_outcome']})",
                flush=True,
            )
    if args.output is not None:
        ratios = [run["ratio"] for run in runs]
        summary = {"runs": len(runs), "ratio_min": min(ratios), "ratio_median": statistics.median(ratios)}
        payload = {
            "deployctl_revision": deployctl_revision(),
            "cpus": os.cpu_count(),
            "load_average_at_start": load_at_start,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "summary": {**summary, "ratio_max": max(ratios)},
            "runs": runs,
        }
        args.output.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
