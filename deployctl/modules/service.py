"""service and systemd: start, stop, restart, reload, enable or disable a systemd unit.

Both modules share one planner (deployctl manages services through systemctl only); `systemd` (also
named `systemd_service`) also accepts `daemon_reload`, `daemon_reexec`, `masked` and `scope`, and makes
`name` optional when only reloading or re-executing the manager. As Ansible's systemd module:
- Actions run in Ansible's order: daemon-reexec, daemon-reload, mask/unmask, enable/disable, then the
  state change.
- `masked` compares with `systemctl is-enabled` saying `masked` (UnitFileState), so a unit masked only
  at runtime is masked for good; masking works on a unit systemd does not know (it needs no unit file).
  After unmasking, whether the unit is enabled is not known before it runs, so `enabled` then always
  runs `systemctl enable`/`disable`.
- `started` starts a unit that is not active or activating; `stopped` stops an active, activating or
  deactivating one; `restarted` and `reloaded` always act (and start a unit that is not running),
  so they are always a change.
- Enabled means UnitFileState enabled, static, generated or transient; enabled-runtime, indirect and
  alias count as not enabled, so `enabled: true` enables them permanently.
- A unit systemd does not know fails ("Could not find the requested service"), unless the task also
  reloads the daemon (the unit file may be new). A masked unit cannot be enabled or started.
Choices that differ from Ansible:
- `daemon_reload: true` (and `daemon_reexec: true`) is always a change: Ansible runs it without reporting
  a change, but a plan without changes runs nothing, and skipping the reload would leave edited unit files unloaded.
- `enabled: false` on a static (or generated, transient) unit is no change: it cannot be disabled;
  Ansible runs `systemctl disable` and reports a change on every run.
- `scope` accepts only `system` (user and global units need the user's own manager).
Not supported (refused): no_block, force, and the service module's pattern, sleep, arguments,
runlevel and use (no SysV init, no service managers besides systemd).
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


def _scope_problem(value: str) -> str | None:
    """Only the system manager's units: user and global scopes need the user's own manager."""
    if value == "system":
        return None
    return f"scope {value} is not supported: deployctl manages system units only"


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
    "daemon_reexec": Param("bool", default=False, aliases=("daemon-reexec",)),
    "masked": Param("bool"),
    "scope": Param("str", default="system", choices=("system", "user", "global"), check=_scope_problem),
}

DAEMON_RELOAD = RunCommand(("systemctl", "daemon-reload"))
DAEMON_REEXEC = RunCommand(("systemctl", "daemon-reexec"))


def service_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The unit's state, when a unit is named."""
    return [ServiceFact(params["name"])] if params.get("name") else []


def plan_service(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the daemon re-exec and reload, the mask, the enablement and the state change; see the module docstring."""
    name: str | None = params.get("name")
    state: str | None = params.get("state")
    enabled: bool | None = params.get("enabled")
    masked: bool | None = params.get("masked")
    manager = [
        *([DAEMON_REEXEC] if params.get("daemon_reexec") else []),
        *([DAEMON_RELOAD] if params.get("daemon_reload") else []),
    ]
    if name is None:
        if not manager:
            return failed("name is required unless daemon_reload or daemon_reexec is set")
        if state is not None or enabled is not None or masked is not None:
            return failed("state, enabled and masked require name")
        return _plan_manager_only(manager)
    if name.startswith("-") or not name.strip():
        return failed(f"invalid unit name {name!r}")
    if state is None and enabled is None and masked is None and not manager:
        return failed(
            "one of state or enabled is required"
            if "masked" not in params
            else "one of state, enabled or masked is required"
        )
    info = fact(facts, f"service:{name}", ServiceInfo)
    if info.load_state == NO_SYSTEMD:
        return failed("systemctl is not available on this host (deployctl manages services with systemd only)")
    if not info.found and not manager and (state is not None or enabled is not None):
        return failed(f"Could not find the requested service {name}: host")

    commands: list[RunCommand] = list(manager)
    before: list[str] = []
    after: list[str] = []
    notes: list[str] = []
    result: dict[str, Any] = {"name": name}
    unmasked = False
    if masked is not None:
        result["masked"] = masked
        if (info.unit_file_state == "masked") != masked:
            commands.append(RunCommand(("systemctl", "mask" if masked else "unmask", "--", name)))
            before.append(f"masked: {_yes_no(not masked)}")
            after.append(f"masked: {_yes_no(masked)}")
            unmasked = not masked
    masked_now = (
        masked if masked is not None else info.load_state == "masked" or info.unit_file_state.startswith("masked")
    )
    if masked_now and (enabled or state in ("started", "restarted", "reloaded")):
        return failed(f"{name} is masked: it cannot be enabled or started (unmask it first)")
    if enabled is not None:
        result["enabled"] = enabled
        is_enabled = False if masked else info.enabled
        if not enabled and info.unit_file_state in _CANNOT_DISABLE:
            notes.append(f"{info.unit_file_state} unit cannot be disabled")
        elif unmasked or is_enabled != enabled:
            commands.append(RunCommand(("systemctl", "enable" if enabled else "disable", "--", name)))
            before.append(f"enabled: {'unknown until unmasked' if unmasked else _yes_no(is_enabled)}")
            after.append(f"enabled: {_yes_no(enabled)}")
    if state is not None:
        action = _state_action(info, state)
        result["state"] = "stopped" if state == "stopped" else "started"
        if action is not None:
            commands.append(RunCommand(("systemctl", action, "--", name)))
            before.append(f"state: {info.active_state or 'unknown'}")
            after.append(f"state: {state}")
    if not commands:
        reason = f"{name} is already {_describe(state, enabled, masked)}"
        return no_change(reason + (f" ({'; '.join(notes)})" if notes else ""), **result)
    for command in reversed(manager):
        word = "re-executed" if command is DAEMON_REEXEC else "reloaded unit files"
        before.insert(0, "daemon: running" if command is DAEMON_REEXEC else "daemon: loaded unit files")
        after.insert(0, f"daemon: {word}")
    return Plan(
        changed=True,
        summary=f"{name}: " + ", ".join(command.argv[1] for command in commands),
        actions=tuple(commands),
        diffs=(Diff(resource=f"service {name}", before="\n".join(before), after="\n".join(after)),),
        invalidates=(f"service:{name}",),
        result=result,
    )


def _plan_manager_only(commands: list[RunCommand]) -> Plan:
    words = " and ".join(
        "re-execute systemd" if command is DAEMON_REEXEC else "reload systemd unit files" for command in commands
    )
    return Plan(
        changed=True,
        summary=words,
        actions=tuple(commands),
        diffs=(
            Diff(
                resource="systemd",
                before="unit files loaded",
                after=words.replace("re-execute", "re-executed").replace("reload", "reloaded"),
            ),
        ),
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


def _describe(state: str | None, enabled: bool | None, masked: bool | None) -> str:
    parts = [] if masked is None else ["masked" if masked else "not masked"]
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
