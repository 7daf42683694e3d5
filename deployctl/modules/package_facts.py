"""package_facts: read every installed package into the fact `packages` (also `ansible_facts.packages`).

As Ansible's package_facts with its apt manager: `packages` maps each package's name (as apt names it:
`name:arch` for a foreign architecture) to the list of its installed versions, each `{name, version, arch,
category, source: apt}`, read with one `dpkg-query` (no python-apt needed on the host). `manager` may be
auto or apt (or list them with others: apt is the one deployctl reads); `strategy` is accepted. Never a
change. Difference: Ansible's python-apt also gives each package's `origin` (from apt's lists); deployctl
does not read it. A host without dpkg fails as Ansible's does when it finds no package manager.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.packages import INSTALLED_DETAILS_KEY, InstalledPackage, InstalledPackagesFact
from deployctl.modules.base import Module, Param, Plan, no_change
from deployctl.modules.planning import fact, failed

PACKAGE_FACTS_PARAMS: Mapping[str, Param] = {
    "manager": Param("list", default=["auto"]),
    "strategy": Param("str", default="first", choices=("first", "all")),
}
APT_MANAGERS = ("auto", "apt")


def package_facts_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """Every installed package."""
    return [InstalledPackagesFact()]


def plan_package_facts(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Never a change: the installed packages as the fact `packages`."""
    managers = [str(name).lower() for name in params["manager"]]
    if not set(managers) & set(APT_MANAGERS):
        return failed(f"Unsupported package managers requested: {', '.join(managers)} (deployctl reads apt's)")
    installed: tuple[InstalledPackage, ...] = fact(facts, INSTALLED_DETAILS_KEY, tuple)
    if not installed:
        return failed(
            "Could not detect a supported package manager from the following list: "
            f"{managers}, or the required Python library is not installed. Check warnings for details."
        )
    packages: dict[str, list[dict[str, str]]] = {}
    for package in installed:
        packages.setdefault(package.name, []).append({**package.as_fact(), "source": "apt"})
    return no_change(f"{len(packages)} packages installed", ansible_facts={"packages": packages})


def _defines(args: Mapping[str, Any]) -> tuple[str, ...]:
    return ("packages",)


PACKAGE_FACTS = Module(
    name="package_facts",
    params=PACKAGE_FACTS_PARAMS,
    facts=package_facts_facts,
    plan=plan_package_facts,
    defines=_defines,
    doc=__doc__ or "",
)
