"""systemd: the service planner with systemd's extra `daemon_reload` (see deployctl.modules.service)."""

from __future__ import annotations

from deployctl.modules import service
from deployctl.modules.base import Module

SYSTEMD = Module(
    name="systemd",
    params=service.SYSTEMD_PARAMS,
    facts=service.service_facts,
    plan=service.plan_service,
    aliases=("systemd_service",),
    doc=service.__doc__ or "",
)
