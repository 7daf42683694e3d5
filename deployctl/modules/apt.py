"""apt (also `package`): install, upgrade or remove Debian packages, and refresh apt's lists.

As Ansible's apt module, with these choices:
- `state`: present/installed install missing packages, latest also upgrades installed ones to apt's
  candidate, absent/removed remove them. `name` may pin an exact version (`nginx=1.22.1-9`); version
  wildcards and name patterns are refused, and so are pins with latest. Every name must be a Debian
  package name (policy 5.6.7, with `:arch`, `=version` or `/release`), checked at load time when
  literal; package words follow `--`, so none can be taken as an apt-get option.
- `update_cache` (or a non-zero `cache_valid_time`, as in Ansible) refreshes the lists when they are
  older than `cache_valid_time` seconds (always, with the default 0). Alone, that refresh is the change.
  With packages, Ansible refreshes but reports changed only when packages change; a plan without
  changes runs nothing, so here the refresh happens only together with a package change (the lists
  are then refreshed first). Exception: with `latest`, stale lists may hide upgrades, so a due refresh
  plans `apt-get update` and `apt-get install` of the packages as a change.
- A package that is neither installed nor available fails the plan ("No package matching ...")
  unless a refresh is due first.
- Commands: `env DEBIAN_FRONTEND=noninteractive apt-get -y -q` with Ansible's dpkg options
  (force-confdef, force-confold), and `--no-install-recommends` unless `install_recommends: true`
  (Ansible's default is apt's own setting, which installs recommends).
Not supported (refused): deb, upgrade, autoremove, autoclean, purge, force, default_release,
allow_unauthenticated, allow_downgrade, dpkg_options, only_upgrade, policy_rc_d, lock_timeout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.packages import AptCacheAgeFact, CandidateFact, PackageFact, PackageInfo
from deployctl.modules.base import Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.planning import fact, failed
from deployctl.modules.values import debian_package_problem

APT_PARAMS: Mapping[str, Param] = {
    "name": Param("list", aliases=("pkg", "package"), check=debian_package_problem),
    "state": Param("str", default="present", choices=("present", "installed", "latest", "absent", "removed")),
    "update_cache": Param("bool", default=False, aliases=("update-cache",)),
    "cache_valid_time": Param("int", default=0),
    "install_recommends": Param("bool", default=False, aliases=("install-recommends",)),
}

APT_GET = ("env", "DEBIAN_FRONTEND=noninteractive", "apt-get")
DPKG_OPTIONS = ("-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold")
CACHE_AGE_KEY = AptCacheAgeFact().key


@dataclass(frozen=True)
class PackageSpec:
    """A `name` item: the package and an optional exact version (`name=version`)."""

    name: str
    version: str | None

    @classmethod
    def parse(cls, text: str) -> PackageSpec:
        name, sep, version = text.strip().partition("=")
        return cls(name=name, version=version if sep else None)

    @property
    def word(self) -> str:
        """The argument apt-get takes for it."""
        return self.name if self.version is None else f"{self.name}={self.version}"


def _specs(params: Mapping[str, Any]) -> list[PackageSpec]:
    return [PackageSpec.parse(item) for item in params.get("name") or []]


def _refresh_wanted(params: Mapping[str, Any]) -> bool:
    return bool(params["update_cache"] or params["cache_valid_time"])


def _state(params: Mapping[str, Any]) -> str:
    state = str(params["state"])
    return {"installed": "present", "removed": "absent"}.get(state, state)


def apt_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """Each package's versions, and the lists' age when a refresh may be due."""
    specs = _specs(params)
    facts: list[Fact[Any]] = [PackageFact(spec.name) for spec in specs]
    if _state(params) == "latest":  # the candidate of an installed package: is it upgradable?
        facts += [CandidateFact(spec.name) for spec in specs]
    if _refresh_wanted(params):
        facts.append(AptCacheAgeFact())
    return facts


def _check_specs(specs: list[PackageSpec], state: str) -> str | None:
    for spec in specs:
        if not spec.name or any(char in spec.name for char in "*?["):
            return f"package name {spec.word!r}: patterns are not supported, name the packages"
        if spec.version is not None:
            if not spec.version or any(char in spec.version for char in "*?["):
                return f"package {spec.word!r}: only exact versions can be pinned"
            if state == "latest":
                return f"package {spec.word!r}: a version pin cannot be combined with state=latest"
    return None


def plan_apt(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the package changes (and the list refresh they need); see the module docstring."""
    state = _state(params)
    specs = _specs(params)
    if not specs and not _refresh_wanted(params):
        return failed("one of name or update_cache is required")
    problem = _check_specs(specs, state)
    if problem is not None:
        return failed(problem)
    refresh_due = False
    age: int | None = None
    if _refresh_wanted(params):
        age = facts[CACHE_AGE_KEY]
        refresh_due = age is None or age > params["cache_valid_time"]
    update = RunCommand((*APT_GET, "-q", "update"))
    if not specs:
        if not refresh_due:
            return no_change(f"apt lists are {age}s old (valid for {params['cache_valid_time']}s)", cache_updated=False)
        return Plan(
            changed=True,
            summary="update the apt package lists",
            actions=(update,),
            diffs=(Diff(resource="apt lists", before=_age_text(age), after="updated"),),
            invalidates=(CACHE_AGE_KEY,),
            result={"cache_updated": True},
        )
    packages = [(spec, fact(facts, f"package:{spec.name}", PackageInfo)) for spec in specs]
    if state == "latest":
        packages = [(spec, replace(info, candidate=facts[f"candidate:{spec.name}"])) for spec, info in packages]
    if state == "absent":
        return _plan_remove(packages)
    return _plan_install(packages, state, refresh_due, update, params["install_recommends"])


def _age_text(age: int | None) -> str:
    return "never updated" if age is None else f"updated {age}s ago"


def _plan_install(
    packages: list[tuple[PackageSpec, PackageInfo]],
    state: str,
    refresh_due: bool,
    update: RunCommand,
    install_recommends: bool,
) -> Plan:
    wanted: list[tuple[PackageSpec, PackageInfo]] = []
    for spec, info in packages:
        if info.installed is None and info.candidate is None and not refresh_due:
            return failed(f"No package matching '{spec.name}' is available")
        missing = info.installed is None or (spec.version is not None and info.installed != spec.version)
        upgradable = info.candidate is not None and info.installed != info.candidate
        if missing or (state == "latest" and (refresh_due or upgradable)):
            wanted.append((spec, info))
    if not wanted:
        word = "at the latest version" if state == "latest" else "installed"
        return no_change(f"{', '.join(spec.word for spec, _ in packages)}: already {word}", cache_updated=False)
    install = [
        *APT_GET,
        "-y",
        "-q",
        *DPKG_OPTIONS,
        "install",
        *([] if install_recommends else ["--no-install-recommends"]),
        "--",
        *(spec.word for spec, _ in wanted),
    ]
    diffs = tuple(
        Diff(
            resource=f"package {spec.name}",
            before=info.installed or "not installed",
            after=_target(spec, info, refresh_due),
        )
        for spec, info in wanted
    )
    verb = "install" if all(info.installed is None for _, info in wanted) else "install/upgrade"
    invalidates = [f"package:{spec.name}" for spec, _ in wanted]
    if refresh_due:  # new lists: new candidates
        invalidates += [CACHE_AGE_KEY, *(f"candidate:{spec.name}" for spec, _ in packages if state == "latest")]
    return Plan(
        changed=True,
        summary=f"{verb} {', '.join(spec.word for spec, _ in wanted)}"
        + (" after updating apt lists" if refresh_due else ""),
        actions=(*((update,) if refresh_due else ()), RunCommand(tuple(install))),
        diffs=diffs,
        invalidates=tuple(invalidates),
        result={"cache_updated": refresh_due},
    )


def _target(spec: PackageSpec, info: PackageInfo, refresh_due: bool) -> str:
    """The version the package will have: the pin, or apt's candidate (unknown until a due refresh)."""
    if spec.version is not None:
        return spec.version
    if refresh_due or info.candidate is None:
        return "the candidate after updating the lists"
    return info.candidate


def _plan_remove(packages: list[tuple[PackageSpec, PackageInfo]]) -> Plan:
    doomed = [
        (spec, info)
        for spec, info in packages
        if info.installed is not None and (spec.version is None or spec.version == info.installed)
    ]
    if not doomed:
        return no_change(f"{', '.join(spec.word for spec, _ in packages)}: not installed")
    names = [spec.name for spec, _ in doomed]
    return Plan(
        changed=True,
        summary=f"remove {', '.join(names)}",
        actions=(RunCommand((*APT_GET, "-y", "-q", *DPKG_OPTIONS, "remove", "--", *names)),),
        diffs=tuple(
            Diff(resource=f"package {spec.name}", before=info.installed or "", after="not installed")
            for spec, info in doomed
        ),
        invalidates=tuple(f"package:{name}" for name in names),
    )


APT = Module(
    name="apt",
    params=APT_PARAMS,
    facts=apt_facts,
    plan=plan_apt,
    aliases=("package",),
    doc=__doc__ or "",
)
