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
- A named package installed only as another's dependency is marked as installed manually (`apt-mark
  manual`), as Ansible does after every install; here that is a change of its own, reported (Ansible
  marks it silently, ok).
- `purge` removes configuration files too (`--purge`), and so also removes a package that is no
  longer installed but left its configuration files (dpkg's `rc`), as Ansible does.
- `autoremove` adds `--auto-remove` to an install or a removal; with no `name` (and no refresh: Ansible
  then stops after refreshing) it runs `apt-get autoremove`, a change when apt's simulation lists
  packages to remove.
- `default_release` installs from that release (`-t`); the candidate shown and checked is apt's default
  one, so `state: latest` with `default_release` is refused (the candidate would be another release's).
- Commands: `env DEBIAN_FRONTEND=noninteractive apt-get -y -q` with Ansible's dpkg options
  (force-confdef, force-confold). `install_recommends` unset leaves apt's own setting (which installs
  recommends), as Ansible does; true or false gives `-o APT::Install-Recommends=yes|no`.
  `allow_unauthenticated` and `allow_downgrade` pass apt-get's `--allow-unauthenticated` and
  `--allow-downgrades`; `force_apt_get` is accepted (deployctl always uses apt-get).
Not supported (refused): deb, upgrade, autoclean, force, dpkg_options, only_upgrade, policy_rc_d,
lock_timeout, fail_on_autoremove, allow_change_held_packages, clean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.packages import AptCacheAgeFact, AutoremovableFact, CandidateFact, PackageFact, PackageInfo
from deployctl.modules.base import Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.planning import fact, failed
from deployctl.modules.values import debian_package_problem, option_value_problem

APT_PARAMS: Mapping[str, Param] = {
    "name": Param("list", aliases=("pkg", "package"), check=debian_package_problem),
    "state": Param("str", default="present", choices=("present", "installed", "latest", "absent", "removed")),
    "update_cache": Param("bool", default=False, aliases=("update-cache",)),
    "cache_valid_time": Param("int", default=0),
    "install_recommends": Param("bool", aliases=("install-recommends",)),
    "default_release": Param("str", aliases=("default-release",), check=option_value_problem),
    "purge": Param("bool", default=False),
    "autoremove": Param("bool", default=False),
    "force_apt_get": Param("bool", default=False),
    "allow_unauthenticated": Param("bool", default=False, aliases=("allow-unauthenticated",)),
    "allow_downgrade": Param(
        "bool", default=False, aliases=("allow-downgrade", "allow_downgrades", "allow-downgrades")
    ),
}

APT_GET = ("env", "DEBIAN_FRONTEND=noninteractive", "apt-get")
DPKG_OPTIONS = ("-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold")
CACHE_AGE_KEY = AptCacheAgeFact().key
AUTOREMOVABLE_KEY = AutoremovableFact().key


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
    """Each package's versions, the lists' age when a refresh may be due, what autoremove would remove."""
    specs = _specs(params)
    facts: list[Fact[Any]] = [PackageFact(spec.name) for spec in specs]
    if _state(params) == "latest":  # the candidate of an installed package: is it upgradable?
        facts += [CandidateFact(spec.name) for spec in specs]
    if _refresh_wanted(params):
        facts.append(AptCacheAgeFact())
    elif not specs and params["autoremove"]:
        facts.append(AutoremovableFact())
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
    if not specs and not _refresh_wanted(params) and not params["autoremove"]:
        return failed("one of the following is required: autoremove, name, update_cache")
    problem = _check_specs(specs, state)
    if problem is not None:
        return failed(problem)
    if state == "latest" and params["default_release"]:
        return failed("default_release with state=latest is not supported: the candidate checked is apt's default")
    if not specs and not _refresh_wanted(params):
        return _plan_autoremove(fact(facts, AUTOREMOVABLE_KEY, tuple), params["purge"])
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
        return _plan_remove(packages, params)
    return _plan_install(packages, state, refresh_due, update, _install_options(params))


def _install_options(params: Mapping[str, Any]) -> list[str]:
    """apt-get's options for an install, from the task's parameters, as Ansible passes them."""
    options = ["--auto-remove"] if params["autoremove"] else []
    if params["default_release"]:
        options += ["-t", params["default_release"]]
    if params["install_recommends"] is not None:
        options += ["-o", f"APT::Install-Recommends={'yes' if params['install_recommends'] else 'no'}"]
    if params["allow_unauthenticated"]:
        options.append("--allow-unauthenticated")
    if params["allow_downgrade"]:
        options.append("--allow-downgrades")
    return options


def _age_text(age: int | None) -> str:
    return "never updated" if age is None else f"updated {age}s ago"


def _plan_install(
    packages: list[tuple[PackageSpec, PackageInfo]],
    state: str,
    refresh_due: bool,
    update: RunCommand,
    options: list[str],
) -> Plan:
    wanted: list[tuple[PackageSpec, PackageInfo]] = []
    for spec, info in packages:
        if info.installed is None and info.candidate is None and not refresh_due:
            return failed(f"No package matching '{spec.name}' is available")
        missing = info.installed is None or (spec.version is not None and info.installed != spec.version)
        upgradable = info.candidate is not None and info.installed != info.candidate
        if missing or (state == "latest" and (refresh_due or upgradable)):
            wanted.append((spec, info))
    automatic = [spec.name for spec, info in packages if info.auto_installed and (spec, info) not in wanted]
    mark = RunCommand(("apt-mark", "manual", "--", *automatic))
    if not wanted and automatic:
        return Plan(
            changed=True,
            summary=f"mark {', '.join(automatic)} as installed manually",
            actions=(mark,),
            diffs=tuple(Diff(f"package {name}", "installed automatically", "installed manually") for name in automatic),
            invalidates=tuple(f"package:{name}" for name in automatic),
            result={"cache_updated": False},
        )
    if not wanted:
        word = "at the latest version" if state == "latest" else "installed"
        return no_change(f"{', '.join(spec.word for spec, _ in packages)}: already {word}", cache_updated=False)
    install = [
        *APT_GET,
        "-y",
        "-q",
        *DPKG_OPTIONS,
        *options,
        "install",
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
    diffs += tuple(Diff(f"package {name}", "installed automatically", "installed manually") for name in automatic)
    invalidates = [f"package:{spec.name}" for spec, _ in wanted] + [f"package:{name}" for name in automatic]
    if refresh_due:  # new lists: new candidates
        invalidates += [CACHE_AGE_KEY, *(f"candidate:{spec.name}" for spec, _ in packages if state == "latest")]
    return Plan(
        changed=True,
        summary=f"{verb} {', '.join(spec.word for spec, _ in wanted)}"
        + (" after updating apt lists" if refresh_due else ""),
        actions=(*((update,) if refresh_due else ()), RunCommand(tuple(install)), *((mark,) if automatic else ())),
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


def _plan_remove(packages: list[tuple[PackageSpec, PackageInfo]], params: Mapping[str, Any]) -> Plan:
    purge: bool = params["purge"]
    doomed = [
        (spec, info)
        for spec, info in packages
        if (info.installed is not None and (spec.version is None or spec.version == info.installed))
        or (purge and info.config_files)
    ]
    if not doomed:
        return no_change(f"{', '.join(spec.word for spec, _ in packages)}: not installed")
    names = [spec.name for spec, _ in doomed]
    options = [*(["--purge"] if purge else []), *(["--auto-remove"] if params["autoremove"] else [])]
    return Plan(
        changed=True,
        summary=f"{'purge' if purge else 'remove'} {', '.join(names)}",
        actions=(RunCommand((*APT_GET, "-y", "-q", *DPKG_OPTIONS, *options, "remove", "--", *names)),),
        diffs=tuple(
            Diff(
                resource=f"package {spec.name}",
                before=info.installed or "configuration files",
                after="purged" if purge else "not installed",
            )
            for spec, info in doomed
        ),
        invalidates=tuple(f"package:{name}" for name in names),
    )


def _plan_autoremove(removable: tuple[Any, ...], purge: bool) -> Plan:
    """`apt-get autoremove` alone: a change when apt would remove packages."""
    if not removable:
        return no_change("no packages to autoremove")
    names = [str(name) for name in removable]
    return Plan(
        changed=True,
        summary=f"autoremove {', '.join(names)}",
        actions=(RunCommand((*APT_GET, "-y", "-q", *DPKG_OPTIONS, *(["--purge"] if purge else []), "autoremove")),),
        diffs=tuple(Diff(resource=f"package {name}", before="installed", after="not installed") for name in names),
        invalidates=(AUTOREMOVABLE_KEY, *(f"package:{name}" for name in names)),
    )


APT = Module(
    name="apt",
    params=APT_PARAMS,
    facts=apt_facts,
    plan=plan_apt,
    aliases=("package",),
    doc=__doc__ or "",
)
