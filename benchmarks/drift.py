"""A drift scan of the whole lab (every stage's VMs and containers) against the bare SSH floor, in one run.

The floor connects to each of the same VMs with its key and runs `true`, one thread per host (benchmarks/
floor.py); it reads the keys before its clock starts (parsing an RSA key costs paramiko about 40 ms, which
would flatter the ratio). Both are timed in-process, alternated, `--rounds` times; the figure is the ratio of
medians.

    flock /tmp/deployctl-lab.lock python benchmarks/drift.py [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import paramiko
from floor import connect_and_run

from deployctl.drift.scan import scan_stages
from deployctl.lab.state import require_lab_state
from deployctl.ledger.db import open_ledger
from deployctl.model.project import find_project


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


def main() -> int:
    """Time the floor and the scan alternately; print the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    project = find_project(Path.cwd())
    lab = require_lab_state(project.state_dir)
    endpoints = [(e.port, str(e.key_file)) for _name, e in sorted(lab.endpoints.items())]
    connection = open_ledger(project.ledger)
    floors: list[float] = []
    scans: list[float] = []
    hosts = containers = 0
    outcome = ""
    for _ in range(args.rounds):
        floors.append(floor_seconds(endpoints))
        started = time.monotonic()
        report = scan_stages(project, connection, list(project.stages))
        scans.append(time.monotonic() - started)
        hosts = sum(1 for h in report.hosts if h.target == "vm")
        containers = len(report.hosts) - hosts
        outcome = report.outcome
    connection.close()
    result = {
        "vms": hosts,
        "containers": containers,
        "floor_hosts": len(endpoints),
        "rounds": args.rounds,
        "floor_median_s": round(statistics.median(floors), 3),
        "scan_median_s": round(statistics.median(scans), 3),
        "ratio": round(statistics.median(scans) / statistics.median(floors), 2),
        "scan_outcome": outcome,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"drift scan of {hosts} VMs and {containers} containers: {result['scan_median_s']} s (median of "
            f"{args.rounds}); SSH floor for the same {len(endpoints)} VMs: {result['floor_median_s']} s; "
            f"ratio {result['ratio']}x ({outcome})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
