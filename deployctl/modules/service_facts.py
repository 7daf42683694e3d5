"""service_facts: read every service of the host into the fact `services` (also `ansible_facts.services`).

As Ansible's service_facts on Linux: the sysv scripts `service --status-all` lists (source sysv, state
running or stopped), then, where systemd runs, every unit `systemctl list-units` lists (state running or
stopped, status its active state, or not-found, masked or failed) and every unit file (status its unit file
state; a unit file without a loaded unit gets its ActiveState as state, unknown for a template), each as
`{name, state, status, source}`. Never a change. A host without any service gets no fact and Ansible's
message ("Failed to find any services..."); Ansible reports that task as skipped, deployctl as ok.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.services import SERVICE_TABLE_KEY, ServiceEntry, ServiceTableFact
from deployctl.modules.base import Module, Plan, no_change
from deployctl.modules.planning import fact

NO_SERVICES = "Failed to find any services. This can be due to privileges or some other configuration issue."


def service_facts_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The table of every service."""
    return [ServiceTableFact()]


def plan_service_facts(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Never a change: the table as the fact `services`."""
    table: tuple[ServiceEntry, ...] = fact(facts, SERVICE_TABLE_KEY, tuple)
    if not table:
        return no_change(NO_SERVICES, msg=NO_SERVICES)
    services = {entry.name: entry.as_fact() for entry in table}
    return no_change(f"{len(services)} services", ansible_facts={"services": services})


def _defines(args: Mapping[str, Any]) -> tuple[str, ...]:
    return ("services",)


SERVICE_FACTS = Module(
    name="service_facts",
    params={},
    facts=service_facts_facts,
    plan=plan_service_facts,
    defines=_defines,
    doc=__doc__ or "",
)
