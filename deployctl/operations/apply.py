"""The `apply` use case: a playbook applied in place to a stage's VMs, recorded unless in check mode."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path

from deployctl.errors import DeployctlError
from deployctl.ledger.db import open_ledger
from deployctl.model.inventory import InventoryHost
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import Playbook
from deployctl.model.playbook_checks import check_playbook
from deployctl.model.project import Project
from deployctl.operations.context import StageContext, stage_context
from deployctl.operations.converge import converge_vms
from deployctl.operations.recording import recorded_apply
from deployctl.operations.release import release_row
from deployctl.strategies.hostrun import RunOptions
from deployctl.strategies.mutable import play_hosts, targeted_hosts
from deployctl.strategies.results import RunResult, TaskResult
from deployctl.templating import Templar
from deployctl.transport.retained import RetainedConnections
from deployctl.transport.settings import DEFAULT_FORKS


@dataclass(frozen=True)
class ApplyPlan:
    """A checked apply: the stage, the playbook, the hosts it reaches and how many task results to expect."""

    context: StageContext
    playbook_path: Path
    book: Playbook
    hosts: tuple[InventoryHost, ...]
    templar: Templar
    limit: str | None
    total_tasks: int


def plan_apply(project: Project, playbook: Path, stage: str, limit: str | None) -> ApplyPlan:
    """Load and check the playbook against the stage's hosts (file, line and field on bad input; no host touched)."""
    context = stage_context(project, stage)
    inventory = context.inventory
    book = load_playbook(playbook.resolve(), display=project.display(playbook.resolve()))
    if limit and not inventory.select(limit):
        raise DeployctlError(f"--limit {limit!r} matches no host of the {stage} inventory")
    hosts = targeted_hosts(inventory, book, limit)
    if not hosts:
        raise DeployctlError(f"no host of the {stage} inventory matches the playbook's plays")
    names = {host.name for host in hosts}
    templar = book.templar()
    check_playbook(
        book,
        templar,
        {host.name: host.vars for host in hosts},
        runtime_names=set(),
        select=lambda pattern: [h.name for h in inventory.select(pattern) if h.name in names],
    )
    context.endpoints(hosts)  # an unknown lab machine is bad input too: reported before any host is touched
    total = sum(len(play_hosts(inventory, play, limit)) * len(play.all_tasks()) for play in book.plays)
    return ApplyPlan(context, playbook.resolve(), book, tuple(hosts), templar, limit, total)


def apply(
    plan: ApplyPlan,
    options: RunOptions,
    *,
    forks: int = DEFAULT_FORKS,
    emit: Callable[[TaskResult], None] | None = None,
    say: Callable[[str], None] = lambda line: None,
    connections: RetainedConnections | None = None,
) -> RunResult:
    """Apply the plan; a real run (not `--check`) holds the stage's lock and is recorded as a deployment."""
    context = plan.context
    with ExitStack() as stack:
        record = None
        if not options.check:  # a check changes nothing: it takes no lock and records no deployment
            ledger = stack.enter_context(closing(open_ledger(context.project.ledger)))
            release = release_row(context.project, plan.playbook_path, plan.book)  # snapshot written only if new
            record = stack.enter_context(recorded_apply(ledger, release, context.name, say))
        return converge_vms(
            context,
            plan.book,
            plan.hosts,
            options,
            record,
            limit=plan.limit,
            forks=forks,
            emit=emit,
            templar=plan.templar,
            connections=connections,
        )
