"""service and systemd: start, stop, restart, reload, enable or disable a systemd unit.

Both modules share one planner (deployctl manages services through systemctl only); `systemd` also
accepts `daemon_reload` and makes `name` optional when only reloading. As Ansible's systemd module:
- Actions run in Ansible's order: daemon-reload, enable/disable, then the state change.
- `started` starts a unit that is not active or activating; `stopped` stops an active, activating or
  deactivating one; `restarted` and `reloaded` always act (and start a unit that is not running),
  so they are always a change.
- Enabled means UnitFileState enabled, static, generated or transient; enabled-runtime, indirect and
  alias count as not enabled, so `enabled: true` enables them permanently.
- A unit systemd does not know fails ("Could not find the requested service"), unless the task also
  reloads the daemon (the unit file may be new). A masked unit cannot be enabled or started.
Choices that differ from Ansible:
- `daemon_reload: true` is always a change: Ansible runs it without reporting a change, but a plan
  without changes runs nothing, and skipping the reload would leave edited unit files unloaded.
- `enabled: false` on a static (or generated, transient) unit is no change: it cannot be disabled;
  Ansible runs `systemctl disable` and reports a change on every run.
Not supported (refused): masked, scope, no_block, force, daemon_reexec, and the service module's
pattern, sleep, arguments, runlevel and use (no SysV init, no service managers besides systemd).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.services import NO_SYSTEMD, ServiceFact, ServiceInfo
from deployctl.modules.base import Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.planning import fact, failed
from deployctl.modules.values import unit_problem

STATES = ("started", "stopped", "restarted", "reloaded")
_CANNOT_DISABLE = frozenset({"static", "generated", "transient"})

SERVICE_PARAMS: Mapping[str, Param] = {
    "name": Param("str", required=True, check=unit_problem),
    "state": Param("str", choices=STATES),
    "enabled": Param("bool"),
}

SYSTEMD_PARAMS: Mapping[str, Param] = {
    "name": Param("str", aliases=("service", "unit"), check=unit_problem),
    "state": Param("str", choices=STATES),
    "enabled": Param("bool"),
    "daemon_reload": Param("bool", default=False, aliases=("daemon-reload",)),
}

DAEMON_RELOAD = RunCommand(("systemctl", "daemon-reload"))


def service_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The unit's state, when a unit is named."""
    return [ServiceFact(params["name"])] if params.get("name") else []


def plan_service(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the daemon reload, the enablement and the state change; see the module docstring."""
    name: str | None = params.get("name")
    state: str | None = params.get("state")
    enabled: bool | None = params.get("enabled")
    reload_daemon: bool = params.get("daemon_reload", False)
    if name is None:
        if not reload_daemon:
            return failed("name is required unless daemon_reload is set")
        return _plan_daemon_reload_only()
    if name.startswith("-") or not name.strip():
        return failed(f"invalid unit name {name!r}")
    if state is None and enabled is None and not reload_daemon:
        return failed("one of state or enabled is required")
    info = fact(facts, f"service:{name}", ServiceInfo)
    if info.load_state == NO_SYSTEMD:
        return failed("systemctl is not available on this host (deployctl manages services with systemd only)")
    if not info.found and not reload_daemon:
        return failed(f"Could not find the requested service {name}: host")
    masked = info.load_state == "masked" or info.unit_file_state.startswith("masked")
    if masked and (enabled or state in ("started", "restarted", "reloaded")):
        return failed(f"{name} is masked: it cannot be enabled or started (unmask it first)")

    commands: list[RunCommand] = [DAEMON_RELOAD] if reload_daemon else []
    before: list[str] = []
    after: list[str] = []
    notes: list[str] = []
    result: dict[str, Any] = {"name": name}
    if enabled is not None:
        result["enabled"] = enabled
        if not enabled and info.unit_file_state in _CANNOT_DISABLE:
            notes.append(f"{info.unit_file_state} unit cannot be disabled")
        elif info.enabled != enabled:
            commands.append(RunCommand(("systemctl", "enable" if enabled else "disable", "--", name)))
            before.append(f"enabled: {_yes_no(info.enabled)}")
            after.append(f"enabled: {_yes_no(enabled)}")
    if state is not None:
        action = _state_action(info, state)
        result["state"] = "stopped" if state == "stopped" else "started"
        if action is not None:
            commands.append(RunCommand(("systemctl", action, "--", name)))
            before.append(f"state: {info.active_state or 'unknown'}")
            after.append(f"state: {state}")
    if not commands:
        reason = f"{name} is already {_describe(state, enabled)}"
        return no_change(reason + (f" ({'; '.join(notes)})" if notes else ""), **result)
    if reload_daemon:
        before.insert(0, "daemon: loaded unit files")
        after.insert(0, "daemon: reloaded unit files")
    return Plan(
        changed=True,
        summary=f"{name}: " + ", ".join(command.argv[1] for command in commands),
        actions=tuple(commands),
        diffs=(Diff(resource=f"service {name}", before="\n".join(before), after="\n".join(after)),),
        invalidates=(f"service:{name}",),
        result=result,
    )


def _plan_daemon_reload_only() -> Plan:
    return Plan(
        changed=True,
        summary="reload systemd unit files",
        actions=(DAEMON_RELOAD,),
        diffs=(Diff(resource="systemd", before="unit files loaded", after="unit files reloaded"),),
    )


def _state_action(info: ServiceInfo, state: str) -> str | None:
    if state == "started":
        return None if info.running else "start"
    if state == "stopped":
        return "stop" if info.running or info.deactivating else None
    if not info.running:
        return "start"
    return "restart" if state == "restarted" else "reload"


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _describe(state: str | None, enabled: bool | None) -> str:
    parts = []
    if state is not None:
        parts.append(state)
    if enabled is not None:
        parts.append("enabled" if enabled else "disabled")
    return " and ".join(parts)


SERVICE = Module(
    name="service",
    params=SERVICE_PARAMS,
    facts=service_facts,
    plan=plan_service,
    doc=__doc__ or "",
)
