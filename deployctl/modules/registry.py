"""Every module deployctl supports, by Ansible name (short and `ansible.builtin.` forms)."""

from __future__ import annotations

from collections.abc import Mapping

from deployctl.modules.apt import APT
from deployctl.modules.apt_key import APT_KEY
from deployctl.modules.apt_repository import APT_REPOSITORY
from deployctl.modules.authorized_key import AUTHORIZED_KEY
from deployctl.modules.base import Module
from deployctl.modules.blockinfile import BLOCKINFILE
from deployctl.modules.command import COMMAND
from deployctl.modules.copy import COPY
from deployctl.modules.cron import CRON
from deployctl.modules.debconf import DEBCONF
from deployctl.modules.file import FILE
from deployctl.modules.find import FIND
from deployctl.modules.get_url import GET_URL
from deployctl.modules.getent import GETENT
from deployctl.modules.group import GROUP
from deployctl.modules.lineinfile import LINEINFILE
from deployctl.modules.mount import MOUNT
from deployctl.modules.openssh_keypair import OPENSSH_KEYPAIR
from deployctl.modules.package_facts import PACKAGE_FACTS
from deployctl.modules.pam_limits import PAM_LIMITS
from deployctl.modules.pamd import PAMD
from deployctl.modules.pip import PIP
from deployctl.modules.replace import REPLACE
from deployctl.modules.service import SERVICE
from deployctl.modules.service_facts import SERVICE_FACTS
from deployctl.modules.setup import SETUP
from deployctl.modules.shell import SHELL
from deployctl.modules.stat import STAT
from deployctl.modules.sysctl import SYSCTL
from deployctl.modules.systemd import SYSTEMD
from deployctl.modules.template import TEMPLATE
from deployctl.modules.timezone import TIMEZONE
from deployctl.modules.ufw import UFW
from deployctl.modules.unarchive import UNARCHIVE
from deployctl.modules.user import USER

FQCN_PREFIXES = ("ansible.builtin.", "ansible.legacy.")

COLLECTION_MODULES: Mapping[str, frozenset[str]] = {
    "ansible.posix.": frozenset({"sysctl", "mount", "authorized_key"}),
    "community.general.": frozenset({"timezone", "pam_limits", "ufw", "pamd"}),
    "community.crypto.": frozenset({"openssh_keypair"}),
}
"""The modules deployctl has that a collection other than ansible.builtin holds, by the collection's prefix:
`ansible.posix.sysctl` is `sysctl`; a name the collection does not hold stays unknown."""

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
    STAT,
    GETENT,
    SERVICE_FACTS,
    PACKAGE_FACTS,
    SETUP,
    MOUNT,
    AUTHORIZED_KEY,
    TIMEZONE,
    GET_URL,
    UNARCHIVE,
    APT_REPOSITORY,
    APT_KEY,
    REPLACE,
    BLOCKINFILE,
    CRON,
    PAM_LIMITS,
    FIND,
    PIP,
    DEBCONF,
    UFW,
    PAMD,
    OPENSSH_KEYPAIR,
]


def _index(modules: list[Module]) -> dict[str, Module]:
    table: dict[str, Module] = {}
    for module in modules:
        for name in (module.name, *module.aliases):
            table[name] = module
    return table


MODULES: Mapping[str, Module] = _index(_MODULES)


def canonical_name(name: str) -> str:
    """`ansible.builtin.copy` -> `copy`, `ansible.posix.sysctl` -> `sysctl`."""
    for prefix in FQCN_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    for prefix, names in COLLECTION_MODULES.items():
        if name.startswith(prefix) and name[len(prefix) :] in names:
            return name[len(prefix) :]
    return name


def find_module(name: str, modules: Mapping[str, Module] | None = None) -> Module | None:
    """The module for a task keyword (short or fully qualified), or None when deployctl has no such module."""
    return (MODULES if modules is None else modules).get(canonical_name(name))
