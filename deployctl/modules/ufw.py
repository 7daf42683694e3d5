"""ufw (community.general.ufw): enable, disable, reload or reset ufw, set its default policies and logging,
add or delete rules.

As community.general's module decides in check mode, from facts read before anything changes: `ufw status
verbose`, the `### tuple` lines of the user rules files, and `ufw --dry-run` of the rule (a fact too):
- `state`: enabled/disabled change when ufw is not already so (" active" in the status); reloaded and reset
  always change. Commands: `ufw -f enable|disable|reload|reset`.
- `default` (alias `policy`) with `direction` incoming (the default), outgoing or routed: changes when the
  status's default for that direction differs and is not `disabled`. `ufw default POLICY [DIRECTION]`.
- `logging`: on/off or a level, compared with the status's `Logging:` line. `ufw logging VALUE`.
- `rule` (allow, deny, limit, reject), built as Ansible builds it: `[route] [delete] [insert N] RULE
  [in|out] [on IF] [in on IF_IN] [out on IF_OUT] [log] from FROM [port P] to TO [port P] [proto P]
  [app NAME] [comment C]`. It changes unless every line of the dry run says `Skipping`, and the dry run's
  `### tuple` lines differ from the current ones (only the IPv4 or IPv6 ones when an address is one).
  `insert_relative_to` other than zero counts from `ufw status numbered` (a fact then).
The parts run in Ansible's order (state, default, rule, logging); only those that change are run.
Values reach ufw as separate words: an address, port, protocol or interface is one word.
Not bakeable by the immutable strategy: a firewall belongs to the host. A change stales every fact read
from the host (ufw writes its rules and configuration files and loads netfilter rules).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.ufw import CommandOutput, UfwDryRunFact, UfwFact, UfwState
from deployctl.modules.base import Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.planning import fact, failed
from deployctl.modules.values import line_problem, option_value_problem

_IPV4 = re.compile(r"((25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9])\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9])")
_IPV6 = re.compile(
    r"(([0-9a-fA-F]{1,4}:){7,7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:"
    r"|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,5}"
    r"(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4})"
    r"{1,3}|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]"
    r"{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:((:[0-9a-fA-F]"
    r"{1,4}){1,6})|:((:[0-9a-fA-F]{1,4}){1,7}|:)|fe80:(:[0-9a-fA-F]{0,4})"
    r"{0,4}%[0-9a-zA-Z]{1,}|::(ffff(:0{1,4}){0,1}:){0,1}((25[0-5]|(2[0-4]"
    r"|1{0,1}[0-9]){0,1}[0-9])\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}"
    r"[0-9])|([0-9a-fA-F]{1,4}:){1,4}:((25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}"
    r"[0-9])\.){3,3}(25[0-5]|(2[0-4]|1{0,1}[0-9]){0,1}[0-9]))"
)
"""community.general.ufw's address patterns (compile_ipv4_regexp, compile_ipv6_regexp), unchanged."""

_DEFAULTS = re.compile(
    r"Default: (deny|allow|reject) \(incoming\), (deny|allow|reject) \(outgoing\), "
    r"(deny|allow|reject|disabled) \(routed\)"
)
_LOGGING = re.compile(r"Logging: (on|off)(?: \(([a-z]+)\))?")
_NUMBERED_LINE = re.compile(r"^\[ *([0-9]+)\] ")
_VERSION = re.compile(r"^ufw.+(\d+)\.(\d+)(?:\.(\d+))?.*$")
_STATE_VERBS = {"enabled": "enable", "disabled": "disable", "reloaded": "reload", "reset": "reset"}
COMMAND_KEYS = ("state", "default", "rule", "logging")


def _word_problem(value: str) -> str | None:
    """An address, port, protocol or interface reaches ufw as one word."""
    if re.search(r"\s", value):
        return f"{value!r} must be one word"
    return option_value_problem(value)


UFW_PARAMS: Mapping[str, Param] = {
    "state": Param("str", choices=("enabled", "disabled", "reloaded", "reset")),
    "default": Param("str", aliases=("policy",), choices=("allow", "deny", "reject")),
    "logging": Param("str", choices=("full", "high", "low", "medium", "off", "on")),
    "direction": Param("str", choices=("in", "incoming", "out", "outgoing", "routed")),
    "delete": Param("bool", default=False),
    "route": Param("bool", default=False),
    "insert": Param("int"),
    "insert_relative_to": Param(
        "str", default="zero", choices=("zero", "first-ipv4", "last-ipv4", "first-ipv6", "last-ipv6")
    ),
    "rule": Param("str", choices=("allow", "deny", "limit", "reject")),
    "interface": Param("str", aliases=("if",), check=_word_problem),
    "interface_in": Param("str", aliases=("if_in",), check=_word_problem),
    "interface_out": Param("str", aliases=("if_out",), check=_word_problem),
    "log": Param("bool", default=False),
    "from_ip": Param("str", default="any", aliases=("from", "src"), check=_word_problem),
    "from_port": Param("str", check=_word_problem),
    "to_ip": Param("str", default="any", aliases=("dest", "to"), check=_word_problem),
    "to_port": Param("str", aliases=("port",), check=_word_problem),
    "proto": Param(
        "str", aliases=("protocol",), choices=("ah", "any", "esp", "ipv6", "tcp", "udp", "gre", "igmp", "vrrp")
    ),
    "name": Param("str", aliases=("app",), check=line_problem),
    "comment": Param("str", check=line_problem),
}


def _relative_insert(params: Mapping[str, Any]) -> bool:
    return params.get("insert") is not None and not params["delete"] and params["insert_relative_to"] != "zero"


def _status_fact(params: Mapping[str, Any]) -> UfwFact:
    return UfwFact(numbered=bool(params.get("rule")) and _relative_insert(params))


def rule_words(params: Mapping[str, Any], insert_to: int | None) -> tuple[str, ...]:
    """The words after `ufw` (and `--dry-run`) for the task's rule, in the order Ansible's module puts them."""
    words: list[str] = []
    words += ["route"] if params["route"] else []
    words += ["delete"] if params["delete"] else []
    words += ["insert", str(insert_to)] if insert_to is not None else []
    words.append(params["rule"])
    words += [params["direction"]] if params.get("direction") else []
    for key, prefix in (("interface", ["on"]), ("interface_in", ["in", "on"]), ("interface_out", ["out", "on"])):
        words += [*prefix, params[key]] if params.get(key) else []
    words += ["log"] if params["log"] else []
    for key, word in (("from_ip", "from"), ("from_port", "port"), ("to_ip", "to"), ("to_port", "port")):
        words += [word, params[key]] if params.get(key) else []
    words += ["proto", params["proto"]] if params.get("proto") else []
    words += ["app", params["name"]] if params.get("name") else []
    words += ["comment", params["comment"]] if params.get("comment") else []
    return tuple(words)


def _dry_run_words(params: Mapping[str, Any]) -> tuple[str, ...]:
    """The dry run's words: a relative insert's position is left out (known from the facts only), which
    changes nothing in whether the rule exists."""
    if params.get("insert") is None or params["delete"]:
        return rule_words(params, None)
    return rule_words(params, None if _relative_insert(params) else params["insert"])


def ufw_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """ufw's status and rules, and the dry run of the rule when there is one."""
    facts: list[Fact[Any]] = [_status_fact(params)]
    if params.get("rule") and _problem(params) is None:
        facts.append(UfwDryRunFact(_dry_run_words(params)))
    return facts


def _problem(params: Mapping[str, Any]) -> str | None:
    """What Ansible's argument checks (mutually exclusive, required by, required one of) refuse."""
    if not any(params.get(key) for key in COMMAND_KEYS):
        return f"one of the following is required: {', '.join(COMMAND_KEYS)}"
    given = [key for key in ("name", "proto", "logging") if params.get(key)]
    if len(given) > 1:
        return f"parameters are mutually exclusive: {'|'.join(given)}"
    for other in ("interface_in", "interface_out"):
        if params.get("direction") and params.get(other):
            return f"parameters are mutually exclusive: direction|{other}"
    if params.get("interface") and not params.get("direction"):
        return "missing parameter(s) required by 'interface': direction"
    direction = params.get("direction")
    if params.get("default") and direction not in ("outgoing", "incoming", "routed", None):
        return (
            'For default, direction must be one of "outgoing", "incoming" and "routed", '
            "or direction must not be specified."
        )
    if params.get("rule"):
        if direction not in ("in", "out", None):
            return 'For rules, direction must be one of "in" and "out", or direction must not be specified.'
        if not params["route"] and params.get("interface_in") and params.get("interface_out"):
            return "Only route rules can combine interface_in and interface_out"
    return None


def plan_ufw(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan each of state, default, rule and logging that changes, as the module's check mode decides."""
    if (problem := _problem(params)) is not None:
        return failed(problem)
    status_fact = _status_fact(params)
    state = fact(facts, status_fact.key, UfwState)
    if not state.installed:
        return failed('Failed to find required executable "ufw" in paths')
    if state.status.rc != 0:
        return failed(state.status.stderr or state.status.stdout)
    status = state.status.stdout
    actions: list[RunCommand] = []
    changes: list[str] = []
    for command in COMMAND_KEYS:
        value = params.get(command)
        if not value:
            continue
        if command == "state":
            enabled = " active" in status  # "active" would also match "inactive"
            if value in ("reloaded", "reset") or (value == "disabled") == enabled:
                actions.append(RunCommand(("ufw", "-f", _STATE_VERBS[value])))
                changes.append(f"state {value}")
        elif command == "logging":
            if _logging_changes(status, value):
                actions.append(RunCommand(("ufw", "logging", value)))
                changes.append(f"logging {value}")
        elif command == "default":
            if _default_changes(status, value, params.get("direction")):
                direction = [params["direction"]] if params.get("direction") else []
                actions.append(RunCommand(("ufw", "default", value, *direction)))
                changes.append(f"default {value} {params.get('direction') or 'incoming'}")
        else:
            rule = _plan_rule(params, state, facts)
            if isinstance(rule, Plan):
                return rule
            if rule is not None:
                actions.append(rule)
                changes.append(" ".join(rule.argv[1:]))
    if not actions:
        return no_change("ufw is already as wanted", commands=[])
    return Plan(
        changed=True,
        summary=f"ufw: {'; '.join(changes)}",
        actions=tuple(actions),
        diffs=(Diff(resource="ufw", before=status.rstrip("\n"), after="\n".join(changes)),),
        invalidates=(status_fact.key,),
        result={"commands": [" ".join(action.argv) for action in actions]},
    )


def _logging_changes(status: str, value: str) -> bool:
    extract = _LOGGING.search(status)
    if extract is None:
        return True
    on_off, level = extract.group(1), extract.group(2)
    if value != "off":
        return on_off == "off" or (value != "on" and value != level)
    return on_off != "off"


def _default_changes(status: str, value: str, direction: str | None) -> bool:
    extract = _DEFAULTS.search(status)
    if extract is None:
        return True
    current = dict(zip(("incoming", "outgoing", "routed"), extract.groups(), strict=True))
    return current[direction or "incoming"] not in (value, "disabled")


def _plan_rule(params: Mapping[str, Any], state: UfwState, facts: Mapping[str, Any]) -> RunCommand | Plan | None:
    """The rule's command when it changes, None when not, or a failed plan."""
    if params.get("comment") and not _comments_supported(state.version):
        return failed("ufw before 0.35 does not take comments; deployctl does not drop them as Ansible does")
    dry_run = fact(facts, UfwDryRunFact(_dry_run_words(params)).key, CommandOutput)
    if dry_run.rc != 0:
        return failed(dry_run.stderr or dry_run.stdout)
    insert_to: int | None = None
    if params.get("insert") is not None and not params["delete"]:
        insert_to = _relative_position(params, state.numbered) if _relative_insert(params) else params["insert"]
    command = RunCommand(("ufw", *rule_words(params, insert_to)))
    return command if _rule_changes(params, state.rules, dry_run.stdout) else None


def _comments_supported(version: str) -> bool:
    lines = [line for line in version.split("\n") if line.strip()]
    matches = _VERSION.search(lines[0]) if lines else None
    if matches is None:
        return True
    major, minor = int(matches.group(1)), int(matches.group(2))
    return (major == 0 and minor >= 35) or major > 0


def _relative_position(params: Mapping[str, Any], numbered: str) -> int | None:
    """Where a rule inserted relative to the first or last IPv4/IPv6 rule goes (None: at the end)."""
    lines = [(_NUMBERED_LINE.match(line), "(v6)" in line) for line in numbered.splitlines()]
    numbers = [(int(match.group(1)), ipv6) for match, ipv6 in lines if match]
    last = max((number for number, _ in numbers), default=0)
    ipv4 = [number for number, ipv6 in numbers if not ipv6]
    has_ipv6 = any(ipv6 for _, ipv6 in numbers)
    relative_to = {
        "first-ipv4": 1,
        "last-ipv4": max(ipv4) if ipv4 else 1,
        "first-ipv6": max(ipv4) + 1 if ipv4 else 1,
        "last-ipv6": last if has_ipv6 else last + 1,
    }[params["insert_relative_to"]]
    position: int = params["insert"] + relative_to
    return None if position > last else position


def _rule_changes(params: Mapping[str, Any], current: str, dry_run: str) -> bool:
    """Ansible's check-mode test: not every line skipped, and the rules the dry run prints differ."""
    lines = dry_run.splitlines(True)
    skipping = sum(1 for line in lines if "Skipping" in line)
    if skipping > 0 and skipping == len(lines):
        return False
    after = "".join(line for line in lines if line.startswith("### tuple"))
    if _IPV4.match(params["from_ip"]) or _IPV4.match(params["to_ip"]):
        return _matching(_IPV4, current) != _matching(_IPV4, after)
    if _IPV6.match(params["from_ip"]) or _IPV6.match(params["to_ip"]):
        return _matching(_IPV6, current) != _matching(_IPV6, after)
    return current != after


def _matching(pattern: re.Pattern[str], content: str) -> str:
    return "".join(line for line in content.splitlines(True) if pattern.search(line) is not None)


UFW = Module(
    name="ufw",
    params=UFW_PARAMS,
    facts=ufw_facts,
    plan=plan_ufw,
    doc=__doc__ or "",
)
