"""Every module deployctl supports, by Ansible name (short and `ansible.builtin.` forms)."""

from __future__ import annotations

from collections.abc import Mapping

from deployctl.modules.apt import APT
from deployctl.modules.base import Module
from deployctl.modules.blockinfile import BLOCKINFILE
from deployctl.modules.command import COMMAND
from deployctl.modules.copy import COPY
from deployctl.modules.cron import CRON
from deployctl.modules.debconf import DEBCONF
from deployctl.modules.file import FILE
from deployctl.modules.find import FIND
from deployctl.modules.group import GROUP
from deployctl.modules.lineinfile import LINEINFILE
from deployctl.modules.pam_limits import PAM_LIMITS
from deployctl.modules.pip import PIP
from deployctl.modules.replace import REPLACE
from deployctl.modules.service import SERVICE
from deployctl.modules.shell import SHELL
from deployctl.modules.sysctl import SYSCTL
from deployctl.modules.systemd import SYSTEMD
from deployctl.modules.template import TEMPLATE
from deployctl.modules.user import USER

FQCN_PREFIXES = ("ansible.builtin.", "ansible.legacy.")

_MODULES: list[Module] = [
    APT,
    COPY,
    TEMPLATE,
    FILE,
    LINEINFILE,
    USER,
    GROUP,
    SERVICE,
    SYSTEMD,
    COMMAND,
    SHELL,
    SYSCTL,
    REPLACE,
    BLOCKINFILE,
    CRON,
    PAM_LIMITS,
    FIND,
    PIP,
    DEBCONF,
]


def _index(modules: list[Module]) -> dict[str, Module]:
    table: dict[str, Module] = {}
    for module in modules:
        for name in (module.name, *module.aliases):
            table[name] = module
    return table


MODULES: Mapping[str, Module] = _index(_MODULES)


def canonical_name(name: str) -> str:
    """`ansible.builtin.copy` -> `copy`."""
    for prefix in FQCN_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def find_module(name: str, modules: Mapping[str, Module] | None = None) -> Module | None:
    """The module for a task keyword (short or fully qualified), or None when deployctl has no such module."""
    return (MODULES if modules is None else modules).get(canonical_name(name))
