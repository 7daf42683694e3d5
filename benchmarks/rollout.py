"""Rollout benchmark: time per replica swapped, rollback time, and requests failed under continuous load.

Runs on the local Docker engine with the test release images (tests/integration/apps/testapp, built here from
deployctl/base:bookworm; nothing is pulled), on a stage of its own (`benchrollout`, proxy on a free port of
127.0.0.1), as root from the repository:

    python benchmarks/rollout.py [--replicas 3] [--parallelism 1] [--workers 4] [--swarm] [--output FILE]

Scenarios, each under a continuous HTTP load on the stage's proxy (`--workers` threads, new connection per
request) except the first deploy: first deploy (v1), rollout v1 -> v2, a broken v3 (its health check fails:
rolled back), rollback to the previous release (all replicas at once). With `--swarm`, the same on a
single-node swarm (made for the run when the engine has none, and left afterwards). Everything the run
creates carries the stage's `deployctl.*` labels and is removed at the end, with the images it built.
Exit code 0 when every request of every scenario succeeded and each scenario ended as expected, else 1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


from deployctl.dockerapi.engine import DockerEngine  # noqa: E402 (after the repository is on the path)
from deployctl.immutable.engines import (  # noqa: E402
    ContainerEngine,
    ContainerTarget,
    RollOptions,
    RolloutEngine,
    SwarmEngine,
)
from deployctl.immutable.load import HttpLoad  # noqa: E402
from deployctl.immutable.recipe import ImageRelease  # noqa: E402
from deployctl.immutable.resources import Engine  # noqa: E402
from deployctl.immutable.rollout import RolloutResult  # noqa: E402
from deployctl.immutable.swarm import swarm_active  # noqa: E402
from deployctl.lab.engine import ensure_engine  # noqa: E402
from deployctl.lab.images import ensure_base_image  # noqa: E402
from tests.integration.apps import (  # noqa: E402
    app_config,
    build_app,
    free_port,
    has_gwbridge,
    join_swarm,
    leave_swarm,
    remove_test_images,
)

STAGE = "benchrollout"
TEST_LABEL = "bench-rollout"
IMAGES = REPO / "images"


@dataclass(frozen=True)
class Row:
    """One scenario's figures."""

    engine: str
    scenario: str
    expected: str
    outcome: str
    seconds: float
    swap_mean: float | None
    swap_min: float | None
    swap_max: float | None
    sent: int
    failed: int
    rate: float
    reason: str

    @property
    def passed(self) -> bool:
        return self.outcome == self.expected and self.failed == 0


def row(engine: str, scenario: str, expected: str, result: RolloutResult) -> Row:
    swaps = result.swap_seconds
    load = result.load
    return Row(
        engine=engine,
        scenario=scenario,
        expected=expected,
        outcome=result.outcome,
        seconds=result.seconds,
        swap_mean=round(statistics.mean(swaps), 2) if swaps else None,
        swap_min=min(swaps) if swaps else None,
        swap_max=max(swaps) if swaps else None,
        sent=load.sent if load else 0,
        failed=load.failed if load else 0,
        rate=round(load.rate) if load else 0,
        reason=result.reason[:100],
    )


def print_rows(rows: list[Row]) -> None:
    header = f"{'engine':<10}{'scenario':<26}{'outcome':<13}{'total s':>8}{'swap s (min/mean/max)':>24}"
    header += f"{'sent':>8}{'failed':>8}{'req/s':>7}"
    print(header)
    print("-" * len(header))
    for r in rows:
        swap = f"{r.swap_min:.2f}/{r.swap_mean:.2f}/{r.swap_max:.2f}" if r.swap_mean is not None else "-"
        sent = f"{r.sent:>8}{r.failed:>8}{r.rate:>7}" if r.sent else f"{'-':>8}{'-':>8}{'-':>7}"
        mark = "" if r.passed else f"  <- expected {r.expected}"
        print(f"{r.engine:<10}{r.scenario:<26}{r.outcome:<13}{r.seconds:>8.2f}{swap:>24}{sent}{mark}")


def stage_target(state_dir: Path, engine: Engine, port: int = 1, replicas: int = 1) -> ContainerTarget:
    """The benchmark stage's container target on one engine."""
    return ContainerTarget(STAGE, f"{STAGE}-containers", engine, port, replicas, state_dir, IMAGES)


def scenarios(
    engine: str,
    client: DockerEngine,
    releases: dict[str, ImageRelease],
    args: argparse.Namespace,
    state_dir: Path,
    say: Callable[[str], None],
) -> list[Row]:
    """First deploy, a rollout under load, a broken release rolled back, a rollback: on one engine."""
    port = free_port()
    swarm = engine == "swarm"
    target = stage_target(state_dir, "swarm" if swarm else "container", port, args.replicas)
    rollout: RolloutEngine = SwarmEngine(client, say) if swarm else ContainerEngine(client, say)

    def load() -> HttpLoad:
        return HttpLoad(f"http://127.0.0.1:{port}/", workers=args.workers, max_seconds=600)

    def deploy(name: str, with_load: bool) -> RolloutResult:
        options = RollOptions(
            parallelism=args.parallelism, monitor=args.monitor if swarm else None, load=load() if with_load else None
        )
        return rollout.deploy(target, releases[name], app_config(name), options)

    first, update = ("create service v1", "update v1 -> v2") if swarm else ("first deploy v1", "rollout v1 -> v2")
    rows = [row(engine, first, "deployed", deploy("v1", False))]
    rows.append(row(engine, update, "deployed", deploy("v2", True)))
    rows.append(row(engine, "broken v3 (rolled back)", "rolled_back", deploy("v3", True)))
    rollback = rollout.rollback(target, None, RollOptions(load=load()))
    rows.append(row(engine, "rollback v2 -> v1", "deployed", rollback))
    return rows


def run_swarm(
    client: DockerEngine,
    releases: dict[str, ImageRelease],
    args: argparse.Namespace,
    state_dir: Path,
    say: Callable[[str], None],
) -> list[Row]:
    was_active = swarm_active(client)
    had_gwbridge = has_gwbridge(client)
    if not was_active:
        join_swarm(client, say)
    try:
        SwarmEngine(client, say).remove(stage_target(state_dir, "swarm"))
        return scenarios("swarm", client, releases, args, state_dir, say)
    finally:
        try:
            SwarmEngine(client, say).remove(stage_target(state_dir, "swarm"))
        finally:
            if not was_active:
                leave_swarm(client, had_gwbridge)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--parallelism", type=int, default=1)
    parser.add_argument("--workers", type=int, default=4, help="load threads (default 4)")
    parser.add_argument("--monitor", type=float, default=2.0, help="Swarm's update monitor, seconds (default 2)")
    parser.add_argument("--swarm", action="store_true", help="also run the scenarios on a single-node swarm")
    parser.add_argument("--output", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--verbose", action="store_true", help="print each step")
    args = parser.parse_args()

    def say(message: str) -> None:
        if args.verbose:
            print(f"[{time.strftime('%X')}] {message}", file=sys.stderr, flush=True)

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="deployctl-bench-rollout-") as work:
        state_dir = Path(work)
        client = ensure_engine(state_dir, say)
        ensure_base_image(client, IMAGES, say)
        print("Building the test releases (v1, v2, broken v3)...", file=sys.stderr, flush=True)
        releases = {n: build_app(client, n, say, broken=n == "v3", test=TEST_LABEL) for n in ("v1", "v2", "v3")}
        try:
            ContainerEngine(client, say).remove(stage_target(state_dir, "container"))
            rows += scenarios("container", client, releases, args, state_dir, say)
            ContainerEngine(client, say).remove(stage_target(state_dir, "container"))
            if args.swarm:
                rows += run_swarm(client, releases, args, state_dir / "swarm", say)
        finally:
            ContainerEngine(client, say).remove(stage_target(state_dir, "container"))
            remove_test_images(client, TEST_LABEL)
    print(f"\n{args.replicas} replicas, parallelism {args.parallelism}, load: {args.workers} threads\n")
    print_rows(rows)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    return 0 if all(r.passed for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
