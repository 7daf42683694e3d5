"""Converge a stage's VMs to a playbook in place over SSH, record the run and each host's package baseline.

`apply`, `deploy` (and `promote`) and `drift --fix` all converge VMs through this one function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from deployctl.facts.cache import FactCache
from deployctl.model.inventory import InventoryHost
from deployctl.model.playbook import Playbook
from deployctl.operations.context import StageContext
from deployctl.operations.recording import DeploymentRecord, fill_apply_record, record_baselines
from deployctl.strategies.hostrun import RunOptions
from deployctl.strategies.mutable import apply_playbook
from deployctl.strategies.results import RunResult, TaskResult
from deployctl.templating import Templar
from deployctl.transport.retained import RetainedConnections
from deployctl.transport.settings import DEFAULT_FORKS


def converge_vms(
    context: StageContext,
    book: Playbook,
    hosts: Iterable[InventoryHost],
    options: RunOptions,
    record: DeploymentRecord | None,
    *,
    limit: str | None = None,
    forks: int = DEFAULT_FORKS,
    emit: Callable[[TaskResult], None] | None = None,
    templar: Templar | None = None,
    connections: RetainedConnections | None = None,
) -> RunResult:
    """Apply `book` to `hosts` of the stage; with a record (not in check mode), fill it and the package baselines.

    The connections stay open until the baselines are read over them; given `connections`, the caller's are
    used (and left open), else they are closed here.
    """
    owned = connections is None
    retained = connections if connections is not None else RetainedConnections()
    try:
        result = apply_playbook(
            book,
            context.inventory,
            context.endpoints(hosts),
            options,
            limit=limit,
            forks=forks,
            emit=emit,
            templar=templar or book.templar(),
            transport_factory=retained,
            fact_cache=FactCache.in_state_dir(context.project.state_dir),
        )
        if record is not None:
            fill_apply_record(record, result)
            record_baselines(record, result, retained, context.name)
        return result
    finally:
        if owned:
            retained.close()
