"""Which facts read from a host a change makes stale: the invalidation rule of the mutable strategy (pure).

A fact read before a change is trusted after it only when deployctl knows the change cannot have
touched it. The rule, applied after every plan that ran on the host (changed or failed part-way):

1. What the plan lists in `invalidates` is stale.
2. A module whose effects are not listed (`Module.effects_listed` False: apt/package, command, shell,
   service, systemd, user, and any module not shown otherwise) stales every fact read from the host:
   a package's maintainer scripts create folders, users and units; a command can do anything; a
   started service writes under /run and /var/lib; a new user gets a home and its skeleton files.
   Handlers are tasks of those modules and follow the same rule.
3. A module whose effects are listed stales, besides its list, what depends on what it changed:
   - a path: the facts of the folders above it (created by `mkdir -p`) and of the paths under it
     (removed, replaced, or changed by `recurse`), and the `exists:` guards that may match them (a
     glob from the folder before its first wildcard, a `~` or relative path always);
   - a systemd unit file (a path with `/systemd/`): every service fact;
   - a group: every user fact (a user's groups are named by the group entries);
   - a kernel parameter: every kernel parameter fact (`sysctl -p` applies the whole file);
   - an apt keyring: every apt keyring fact (apt-key's own listing covers every keyring file);
   - a user or a group: what getent reads and every authorized_keys fact (where an account's keys are);
   - a path in a `.ssh` folder: every authorized_keys fact.
4. Whatever changed, what a `setup` task read (the date, mounts, addresses...) is stale.

Path rules apply to `file:` facts, to `stat` facts (`stat[options]:path`) and to the key id apt_key reads
from a file (`apt_key_source:file:path`) alike; a written path also stales the `find` listings of the
folders above it.

Gathered Ansible facts are not facts read here (they are read once per run, as Ansible does).
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Iterable

from deployctl.facts.aptkeys import APT_KEYRING_PREFIX, KEY_SOURCE_PREFIX
from deployctl.facts.authorizedkeys import AUTHORIZED_KEYS_PREFIX
from deployctl.facts.find import listing_covers
from deployctl.facts.getent import GETENT_PREFIX
from deployctl.modules.base import Module, Plan

UNIT_DIR_MARK = "/systemd/"
"""A file fact whose path has this part is a systemd unit (or drop-in): changing it stales service facts."""

DEPENDENT_KINDS: dict[str, tuple[str, ...]] = {
    "group:": ("user:", GETENT_PREFIX, AUTHORIZED_KEYS_PREFIX),
    "user:": (GETENT_PREFIX, AUTHORIZED_KEYS_PREFIX),
    "sysctl:": ("sysctl:",),
    APT_KEYRING_PREFIX: (APT_KEYRING_PREFIX,),
}
"""A listed change of the first kind stales every read fact of the second kinds (rule 3)."""
SSH_FOLDER_MARK = "/.ssh"
"""A changed path with this part may be an account's authorized_keys: those facts are stale."""
REREAD_AFTER_ANY_CHANGE = "setup:"
"""The facts a setup task reads (rule 4)."""
STAT_PREFIX = "stat["
"""A stat fact's key: `stat[options]:path`."""
KEY_FILE_PREFIX = f"{KEY_SOURCE_PREFIX}file:"
"""The key of the id apt_key reads from a key file: `apt_key_source:file:path`."""


def stale_after(module: Module, plan: Plan, read: Collection[str]) -> set[str]:
    """The fact keys that applying `plan` of `module` makes stale, given the keys of the facts `read`."""
    stale = set(plan.invalidates) | {key for key in read if key.startswith(REREAD_AFTER_ANY_CHANGE)}
    if not module.effects_listed:
        return stale | set(read)
    paths = [key.removeprefix("file:") for key in plan.invalidates if key.startswith("file:")]
    if paths:
        stale |= {key for key in read if _path_of(key) is not None and _related(str(_path_of(key)), paths)}
        stale |= {key for key in read if any(listing_covers(key, path) for path in paths)}
        stale |= {
            key for key in read if key.startswith("exists:") and _guard_related(key.removeprefix("exists:"), paths)
        }
    if any(UNIT_DIR_MARK in path for path in paths):
        stale |= {key for key in read if key.startswith("service:")}
    for changed, dependents in DEPENDENT_KINDS.items():
        if any(key.startswith(changed) for key in plan.invalidates):
            stale |= {key for key in read if key.startswith(dependents)}
    if any(SSH_FOLDER_MARK in path for path in paths):
        stale |= {key for key in read if key.startswith(AUTHORIZED_KEYS_PREFIX)}
    return stale


def _path_of(key: str) -> str | None:
    """The path a `file:`, `stat[...]:` or `apt_key_source:file:` fact describes, None for other facts."""
    if key.startswith("file:"):
        return key.removeprefix("file:")
    if key.startswith(KEY_FILE_PREFIX):
        return key.removeprefix(KEY_FILE_PREFIX)
    if key.startswith(STAT_PREFIX) and "]:" in key:
        return key.split("]:", 1)[1]
    return None


def _related(path: str, changed: Iterable[str]) -> bool:
    """Whether `path` is one of the `changed` paths, a folder above one, or a path under one."""
    return any(path == other or _under(other, path) or _under(path, other) for other in changed)


def _guard_related(pattern: str, changed: Iterable[str]) -> bool:
    """Whether an `exists:` guard's path or glob may match one of the `changed` paths or what they hold."""
    if not pattern.startswith("/"):
        return True  # `~/...` is the home of whoever reads it, a relative path is read from a folder: not known here
    wildcard = min((pattern.find(mark) for mark in "*?[" if mark in pattern), default=-1)
    return _related(pattern if wildcard < 0 else posixpath.dirname(pattern[:wildcard]), changed)


def _under(path: str, folder: str) -> bool:
    """Whether `path` lies inside `folder` (both absolute or both relative, without `..`)."""
    folder = folder.rstrip("/")
    return path.startswith(f"{folder}/") if folder else path.startswith("/") and path != "/"
