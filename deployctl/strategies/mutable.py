"""The mutable strategy: converge long-lived hosts in place, in rolling `serial` batches, in parallel."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from deployctl.errors import ConnectionFailedError
from deployctl.facts.cache import FactCache
from deployctl.model.connection import SshEndpoint
from deployctl.model.inventory import Inventory, InventoryHost
from deployctl.model.playbook import Play, Playbook
from deployctl.model.runvars import play_variables, run_variables
from deployctl.modules.base import Module
from deployctl.strategies.batches import exceeds_max_fail, split_batches
from deployctl.strategies.hostrun import Emit, HostRunner, RunOptions
from deployctl.strategies.results import HostRecap, RunResult, TaskResult
from deployctl.strategies.runonce import RunOnceBatch
from deployctl.templating import Templar
from deployctl.transport.base import Connectable, Transport
from deployctl.transport.pool import run_each
from deployctl.transport.settings import DEFAULT_FORKS
from deployctl.transport.ssh import SshTransport, warn_unverified_hosts

TransportFactory = Callable[[SshEndpoint], Transport]


def play_hosts(inventory: Inventory, play: Play, limit: str | None) -> list[InventoryHost]:
    """The mutable hosts a play targets, narrowed by `--limit`, in inventory order (containers are rolled)."""
    hosts = [host for host in inventory.select(play.hosts) if host.strategy == "mutable"]
    if limit:
        allowed = {host.name for host in inventory.select(limit)}
        hosts = [host for host in hosts if host.name in allowed]
    return hosts


class _Connections:
    """One transport per host for the whole run, opened on first use, closed at the end."""

    def __init__(self, endpoints: Mapping[str, SshEndpoint], factory: TransportFactory) -> None:
        self.endpoints = endpoints
        self.factory = factory
        self.open: dict[str, Transport] = {}

    def get(self, host: str) -> Transport:
        if host not in self.open:
            self.open[host] = self.factory(self.endpoints[host])
        return self.open[host]

    def close(self) -> None:
        for transport in self.open.values():
            transport.close()


def apply_playbook(
    playbook: Playbook,
    inventory: Inventory,
    endpoints: Mapping[str, SshEndpoint],
    options: RunOptions,
    *,
    limit: str | None = None,
    forks: int = DEFAULT_FORKS,
    emit: Emit | None = None,
    transport_factory: TransportFactory = SshTransport,
    modules: Mapping[str, Module] | None = None,
    templar: Templar | None = None,
    fact_cache: FactCache | None = None,
) -> RunResult:
    """Apply every play to its hosts; failed hosts drop out, a batch over max_fail_percentage stops the run.

    With `fact_cache`, each host's last gathered facts guide its first round trip, and the facts gathered
    now are kept for the next run.
    """
    started = time.monotonic()
    warn_unverified_hosts(endpoints.values())
    result = RunResult(playbook=playbook.source, stage=inventory.stage, check=options.check)
    lock = threading.Lock()
    connections = _Connections(endpoints, transport_factory)
    runners: dict[str, HostRunner] = {}
    failed_hosts: set[str] = set()
    shared_templar = templar or playbook.templar()

    def record(task_result: TaskResult) -> None:
        with lock:
            result.results.append(task_result)
            result.recap.setdefault(task_result.host, HostRecap()).count(task_result)
        if emit is not None:
            emit(task_result)

    def runner_for(host: InventoryHost) -> HostRunner:
        if host.name not in runners:
            variables = run_variables(inventory, playbook, host, check=options.check, diff=options.diff)
            transport = connections.get(host.name)
            hint = fact_cache.hint(host.name) if fact_cache is not None else None
            runners[host.name] = HostRunner(
                host, transport, playbook, variables, options, record, modules, shared_templar, hint
            )
        return runners[host.name]

    def run_host(play: Play, play_vars: Mapping[str, Any], batch: RunOnceBatch) -> Callable[[InventoryHost], bool]:
        def run(host: InventoryHost) -> bool:
            runner = runner_for(host)
            runner.batch = batch
            batch.start(host.name)
            try:
                if isinstance(runner.transport, Connectable):  # reachable or not, whatever the play's tasks
                    runner.transport.connect()
                runner.run_play(play, play_vars)
            except ConnectionFailedError as error:
                record(_unreachable(host.name, play, str(error)))
                return False
            finally:
                batch.leave(host.name)
            return not runner.failed

        return run

    try:
        for play in playbook.plays:
            targeted = play_hosts(inventory, play, limit)
            hosts = [h for h in targeted if h.name not in failed_hosts]
            for host in hosts:
                result.recap.setdefault(host.name, HostRecap())
            batches = split_batches(hosts, play.serial)
            for index, batch in enumerate(batches):
                play_vars = play_variables(play, [h.name for h in targeted], [h.name for h in batch], failed_hosts)
                run_once = RunOnceBatch([host.name for host in batch])
                outcomes = run_each(batch, run_host(play, play_vars, run_once), forks)
                failed = [o.item.name for o in outcomes if o.value is not True]
                for outcome in outcomes:
                    if outcome.error is not None:  # a bug, not a host's failure: keep its traceback
                        raise outcome.error
                failed_hosts.update(failed)
                if exceeds_max_fail(len(failed), len(batch), play.max_fail_percentage):
                    result.stopped = (
                        f"play {play.name!r}: {len(failed)} of {len(batch)} hosts failed in a batch, "
                        f"over max_fail_percentage {play.max_fail_percentage:g}"
                    )
                    return result
                if failed and len(failed) == len(batch) and index < len(batches) - 1:
                    result.stopped = f"play {play.name!r}: every host of a batch failed; later batches did not run"
                    return result
    finally:
        connections.close()
        result.connections = len(connections.open)
        if fact_cache is not None:
            for name, runner in list(runners.items()):  # after Ctrl-C, workers may still be adding runners
                fact_cache.remember(name, runner.gathered)
        result.round_trips = sum(runner.round_trips for runner in runners.values())
        result.seconds = round(time.monotonic() - started, 3)
    return result


def _unreachable(host: str, play: Play, message: str) -> TaskResult:
    return TaskResult(
        host=host, play=play.name, task="connect", module="ssh", status="unreachable", message=message, origin="-"
    )


def targeted_hosts(inventory: Inventory, playbook: Playbook, limit: str | None) -> Sequence[InventoryHost]:
    """Every host some play of the playbook targets (after `--limit`), in inventory order."""
    names = {host.name for play in playbook.plays for host in play_hosts(inventory, play, limit)}
    return [host for host in inventory.hosts.values() if host.name in names]
