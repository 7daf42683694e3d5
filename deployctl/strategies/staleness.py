"""Which facts read from a host a change makes stale: the invalidation rule of the mutable strategy (pure).

A fact read before a change is trusted after it only when deployctl knows the change cannot have
touched it. The rule, applied after every plan that ran on the host (changed or failed part-way):

1. What the plan lists in `invalidates` is stale.
2. A module whose effects are not listed (`Module.effects_listed` False, unless the plan's own
   `effects_listed` says otherwise: apt/package, command, shell,
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
5. What a plan `leaves` (the file it wrote, the directory it made, known exactly) is read again only when
   the change failed: the run keeps those values as read. A directory the plan made where the path was
   absent is empty, and nothing lies under a regular file: the paths under either read absent, and the
   `exists:` guards under them read false, still are (`still_hold`). A change of groups alone creates no
   user: a user read absent still is.

Path rules apply to `file:` facts, to `stat` facts (`stat[options]:path`) and to the key id apt_key reads
from a file (`apt_key_source:file:path`) alike; a written path also stales the `find` listings of the
folders above it.

Gathered Ansible facts are not facts read here (they are read once per run, as Ansible does).
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from deployctl.facts.aptkeys import APT_KEYRING_PREFIX, KEY_SOURCE_PREFIX
from deployctl.facts.authorizedkeys import AUTHORIZED_KEYS_PREFIX
from deployctl.facts.files import FileInfo
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
    if not (module.effects_listed if plan.effects_listed is None else plan.effects_listed):
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


def still_hold(module: Module, plan: Plan, read: Mapping[str, Any]) -> set[str]:
    """The facts under a directory the plan made (absent before) or a regular file it wrote that still hold:
    paths read absent, and `exists:` guards read false; after a change of groups alone, users read absent
    (rule 5)."""
    held: set[str] = set()
    if not (module.effects_listed if plan.effects_listed is None else plan.effects_listed):
        return held
    if any(key.startswith("group:") for key in plan.invalidates) and not any(
        key.startswith("user:") for key in plan.invalidates
    ):
        held |= {key for key, value in read.items() if key.startswith("user:") and value is None}
    made = [
        key.removeprefix("file:")
        for key, value in plan.leaves.items()
        if key.startswith("file:") and isinstance(value, FileInfo) and isinstance(read.get(key), FileInfo)
        if value.type == "file" or (value.type == "directory" and not read[key].exists)
    ]
    if not made:
        return held
    absent_paths = {
        key: _path_of(key) for key, value in read.items() if isinstance(value, FileInfo) and not value.exists
    }
    false_guards = {key: key.removeprefix("exists:") for key, value in read.items() if key.startswith("exists:")}
    candidates = {**absent_paths, **{key: path for key, path in false_guards.items() if read[key] is False}}
    return held | {key for key, path in candidates.items() if path is not None and _beneath(path, made)}


def _beneath(path: str, folders: Iterable[str]) -> bool:
    """Whether an absolute path without `..` lies inside one of `folders`."""
    return path.startswith("/") and "/../" not in f"{path}/" and any(_under(path, folder) for folder in folders)


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
