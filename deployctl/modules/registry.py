"""Every module deployctl supports, by Ansible name (short and `ansible.builtin.` forms), each planner imported on
its first lookup: a playbook pays for the modules it uses, and every name is known without importing any."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from deployctl.modules.base import Module

FQCN_PREFIXES = ("ansible.builtin.", "ansible.legacy.")

COLLECTION_MODULES: Mapping[str, frozenset[str]] = {
    "ansible.posix.": frozenset({"sysctl", "mount", "authorized_key"}),
    "community.general.": frozenset({"timezone", "pam_limits", "ufw", "pamd"}),
    "community.crypto.": frozenset({"openssh_keypair"}),
}
"""The modules deployctl has that a collection other than ansible.builtin holds, by the collection's prefix:
`ansible.posix.sysctl` is `sysctl`; a name the collection does not hold stays unknown."""

MODULE_FILES: Mapping[str, str] = {
    "apt": "apt",
    "package": "apt",
    "copy": "copy",
    "template": "template",
    "file": "file",
    "lineinfile": "lineinfile",
    "user": "user",
    "group": "group",
    "service": "service",
    "systemd": "systemd",
    "systemd_service": "systemd",
    "command": "command",
    "shell": "shell",
    "sysctl": "sysctl",
    "stat": "stat",
    "getent": "getent",
    "service_facts": "service_facts",
    "package_facts": "package_facts",
    "setup": "setup",
    "mount": "mount",
    "authorized_key": "authorized_key",
    "timezone": "timezone",
    "get_url": "get_url",
    "unarchive": "unarchive",
    "apt_repository": "apt_repository",
    "apt_key": "apt_key",
    "replace": "replace",
    "blockinfile": "blockinfile",
    "cron": "cron",
    "pam_limits": "pam_limits",
    "find": "find",
    "pip": "pip",
    "debconf": "debconf",
    "ufw": "ufw",
    "pamd": "pamd",
    "openssh_keypair": "openssh_keypair",
}
"""Every module name and alias -> the file under deployctl/modules/ that defines it, as the constant named after
the module in capitals (`systemd_service` -> modules/systemd.py's SYSTEMD). A unit test checks this table against
the modules' own names and aliases."""


class ModuleRegistry(Mapping[str, Module]):
    """The modules by name and alias; a module's file is imported when it is first looked up, then kept."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self._files = dict(files)
        self._loaded: dict[str, Module] = {}

    def __getitem__(self, name: str) -> Module:
        loaded = self._loaded.get(name)
        if loaded is not None:
            return loaded
        file = self._files[name]  # KeyError for a name deployctl has no module for, as a dict
        module = getattr(importlib.import_module(f"deployctl.modules.{file}"), file.upper())
        if not isinstance(module, Module):
            raise TypeError(f"deployctl.modules.{file}.{file.upper()} is not a Module")
        self._loaded[name] = module
        return module

    def __contains__(self, name: object) -> bool:
        return name in self._files

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


MODULES: Mapping[str, Module] = ModuleRegistry(MODULE_FILES)


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
