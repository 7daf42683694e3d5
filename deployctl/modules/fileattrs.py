"""Ownership, mode and content planning shared by the file-writing modules (copy, template, file, ...).

A file is written with PutFile (a temporary file renamed into place): when it replaces an existing file,
the temporary file gets the old owner, group and mode (or the requested ones) before the rename, as
Ansible's atomic move does. Attribute changes alone are chown/chgrp with `-h`, on the path the plan means
(a symlink's resolved path when the module follows links), so a link planted there later is never followed
by a chown. A link is followed only when root owns it or its owner owns its target (`untrusted_link`).
chown clears setuid/setgid bits, so a mode carrying them is applied again after the chown.
A symbolic mode (`go-w`) is resolved against the path's current mode, or against the mode creating it gives
under the host's umask (a fact read only for symbolic modes), as Ansible resolves it (modules/filemodes.py).
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.files import CONTENT_LIMIT, UMASK_KEY, FileInfo, UmaskFact
from deployctl.modules.base import Action, Diff, Param, Plan, PutFile, RunCommand
from deployctl.modules.filemodes import apply_symbolic_mode, created_mode, is_symbolic_mode

ATTRIBUTE_PARAMS: Mapping[str, Param] = {
    "owner": Param("str"),
    "group": Param("str"),
    "mode": Param("mode"),
}
"""The file attribute parameters every file-writing module accepts (as Ansible's common file args)."""

_UNKNOWN_NAME = "UNKNOWN"
"""What `stat -c %U/%G` prints for an id without a name."""


def mode_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The facts a task's `mode` needs: the host's umask when the mode is symbolic, else none."""
    mode = params.get("mode")
    return [UmaskFact()] if isinstance(mode, str) and is_symbolic_mode(mode) else []


@dataclass(frozen=True)
class WantedAttributes:
    """The owner, group and mode a task asks for (None: leave as it is).

    `mode` is octal ("0644") or symbolic ("go-w"); a symbolic one is resolved per path by `resolved`, with
    `umask` (the host's, read by mode_facts) for the clauses without users and for paths the task creates.
    """

    owner: str | None = None
    group: str | None = None
    mode: str | None = None
    umask: int | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any], facts: Mapping[str, Any]) -> WantedAttributes:
        """The attributes of a task's parameters, with the umask fact when mode_facts asked for it."""
        umask = facts.get(UMASK_KEY)
        return cls(
            owner=params.get("owner"),
            group=params.get("group"),
            mode=params.get("mode"),
            umask=umask if isinstance(umask, int) else None,
        )

    @property
    def symbolic(self) -> bool:
        return self.mode is not None and is_symbolic_mode(self.mode)

    def resolved(self, current: FileInfo | None, *, directory: bool = False) -> WantedAttributes:
        """The same attributes with a symbolic mode made octal for `current` (None or absent: the file, or
        with `directory` the directory, the task creates)."""
        if self.mode is None or not is_symbolic_mode(self.mode):
            return self
        if self.umask is None:
            raise AssertionError("a symbolic mode is resolved with the umask fact (mode_facts)")
        if current is not None and current.exists and current.mode is not None:
            base, is_directory = int(current.mode, 8), current.type == "directory"
        else:
            base, is_directory = created_mode(is_directory=directory, umask=self.umask), directory
        bits = apply_symbolic_mode(self.mode, base, is_directory=is_directory, umask=self.umask)
        return replace(self, mode=f"{bits:04o}")


@dataclass(frozen=True)
class AttributeChanges:
    """The chown/chmod commands that bring a path's attributes to what is wanted, and what they change."""

    commands: tuple[RunCommand, ...] = ()
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.before or self.after)

    def diff(self, resource: str) -> Diff:
        """A diff with one `attribute: value` line per change."""
        return Diff(resource=f"{resource} (attributes)", before="\n".join(self.before), after="\n".join(self.after))

    def describe(self) -> str:
        """`owner root -> app, mode 0600 -> 0644`."""
        return ", ".join(f"{old} -> {new.split(' ', 1)[1]}" for old, new in zip(self.before, self.after, strict=True))

    def plan(
        self,
        resource: str,
        *,
        invalidates: Sequence[str],
        result: Mapping[str, Any],
        before: Sequence[Action] = (),
    ) -> Plan:
        """The plan of a change of these attributes alone (the content stays): `before` runs first."""
        return Plan(
            changed=True,
            summary=f"{resource}: {self.describe()}",
            actions=(*before, *self.commands),
            diffs=(self.diff(resource),),
            invalidates=tuple(invalidates),
            result=result,
        )


def untrusted_link(info: FileInfo) -> str | None:
    """Why a symlink must not be followed, or None: as the kernel's protected_symlinks, a link is followed
    only when root owns it or its owner owns what it points to (else it may be planted by a user)."""
    resolved = info.resolved
    if info.type != "link" or resolved is None or not resolved.exists:
        return None
    if info.uid in (0, resolved.uid):
        return None
    return (
        f"refusing to follow the symlink {info.path} (owned by uid {info.uid}) to {resolved.path} "
        f"(owned by uid {resolved.uid}): replace it or make root its owner"
    )


def id_matches(wanted: str, name: str | None, number: int | None) -> bool:
    """Whether an owner/group given as a name or a numeric id is the file's."""
    if wanted.isdigit():
        return number is not None and int(wanted) == number
    return wanted == name


def owner_word(info: FileInfo) -> str:
    """The file's owner as chown should be given it (the uid when the name is unknown)."""
    if info.owner and info.owner != _UNKNOWN_NAME:
        return info.owner
    return str(info.uid)


def group_word(info: FileInfo) -> str:
    """The file's group as chown should be given it (the gid when the name is unknown)."""
    if info.group and info.group != _UNKNOWN_NAME:
        return info.group
    return str(info.gid)


def chown_command(path: str, owner: str | None, group: str | None, *, recurse: bool = False) -> RunCommand | None:
    """`chown -h owner:group`, `chown -h owner` or `chgrp -h group` on `path`; None when neither is given.

    `-h` changes a symlink itself, never the file it points to: a link planted at `path` is not followed.
    """
    flags = [*(["-R"] if recurse else []), "-h"]
    if owner is not None:
        spec = f"{owner}:{group}" if group is not None else owner
        return RunCommand(("chown", *flags, "--", spec, path))
    if group is not None:
        return RunCommand(("chgrp", *flags, "--", group, path))
    return None


def chmod_command(path: str, mode: str, *, recurse: bool = False) -> RunCommand:
    """`chmod MODE path` (recursively with `recurse`)."""
    return RunCommand(("chmod", *(["-R"] if recurse else []), "--", mode, path))


def attribute_changes(
    path: str,
    current: FileInfo | None,
    wanted: WantedAttributes,
    *,
    recurse: bool = False,
    directory: bool = False,
) -> AttributeChanges:
    """What differs between `current` (None: a file, or with `directory` a directory, this plan creates) and
    `wanted`, and the commands.

    With `recurse`, only `path` itself is compared, and the commands apply to everything below it (an octal
    mode only: a symbolic one gives each path its own mode). Owners change with `chown -h` (a symlink's own
    owner when `path` is one).
    """
    if recurse and wanted.symbolic:
        raise AssertionError("symbolic modes are refused with recurse before planning")
    wanted = wanted.resolved(current, directory=directory)
    before: list[str] = []
    after: list[str] = []
    owner = group = mode = None
    if wanted.owner is not None and (current is None or not id_matches(wanted.owner, current.owner, current.uid)):
        owner = wanted.owner
        before.append(f"owner {current.owner if current else '(new)'}")
        after.append(f"owner {owner}")
    if wanted.group is not None and (current is None or not id_matches(wanted.group, current.group, current.gid)):
        group = wanted.group
        before.append(f"group {current.group if current else '(new)'}")
        after.append(f"group {group}")
    if wanted.mode is not None and (current is None or current.mode != wanted.mode):
        mode = wanted.mode
        before.append(f"mode {current.mode if current else '(new)'}")
        after.append(f"mode {mode}")
    commands: list[RunCommand] = []
    chown = chown_command(path, owner, group, recurse=recurse)
    if chown is not None:
        commands.append(chown)
    if mode is not None:
        commands.append(chmod_command(path, mode, recurse=recurse))
    elif chown is not None and not recurse and current is not None and current.mode and _has_setid_bits(current.mode):
        commands.append(chmod_command(path, current.mode))
    return AttributeChanges(tuple(commands), tuple(before), tuple(after))


def write_actions(
    path: str, content: bytes, current: FileInfo | None, wanted: WantedAttributes, *, validate: str | None = None
) -> tuple[tuple[Action, ...], AttributeChanges]:
    """Write `content` to `path`, replacing `current` (an existing regular file) or creating a new file.

    The PutFile carries the owner, group and mode (kept from `current` unless wanted otherwise), and the
    `validate` command the new content must pass before it replaces the file.
    Returns the actions and the attribute changes they make (for the diff and summary).
    """
    wanted = wanted.resolved(current)
    changes = attribute_changes(path, current, wanted)
    mode: str | None
    owner: str | None
    group: str | None
    if current is not None and current.exists:
        mode = wanted.mode or current.mode
        owner = wanted.owner or owner_word(current)
        group = wanted.group or group_word(current)
    else:
        mode, owner, group = wanted.mode, wanted.owner, wanted.group
    put = PutFile(path=path, content=content, mode=mode, owner=owner, group=group, validate=validate)
    return (put,), changes


def written_facts(actions: Sequence[Action], facts: Mapping[str, Any] | None = None) -> dict[str, FileInfo]:
    """The file facts a plan's last action, a write, leaves: known exactly when the write names its mode
    (octal) and its owner and group by name; else nothing (the host decides them). The folder it writes in,
    when `facts` (the plan's) show it a directory, stays as it was (a write adds an entry, nothing the fact
    shows but a folder's size, which no planner reads)."""
    if not actions or not isinstance(actions[-1], PutFile):
        return {}
    put = actions[-1]
    mode = known_mode(put.mode)
    if mode is None or not _named(put.owner) or not _named(put.group):
        return {}
    content = put.content if len(put.content) <= CONTENT_LIMIT else None
    info = FileInfo(
        path=put.path,
        type="file",
        mode=mode,
        owner=put.owner,
        group=put.group,
        size=len(put.content),
        sha256=hashlib.sha256(put.content).hexdigest(),
        content=content,
    )
    written = {f"file:{put.path}": info}
    folder_key = f"file:{posixpath.dirname(put.path)}"
    folder = (facts or {}).get(folder_key)
    if isinstance(folder, FileInfo) and folder.type == "directory" and posixpath.dirname(put.path) != put.path:
        written[folder_key] = folder
    return written


def created_directory(path: str, wanted: WantedAttributes) -> dict[str, FileInfo]:
    """The file fact creating the directory `path` (absent before) leaves, when the task names its mode (octal),
    owner and group by name; else nothing."""
    mode = None if wanted.symbolic else known_mode(wanted.mode)
    if mode is None or not _named(wanted.owner) or not _named(wanted.group):
        return {}
    return {f"file:{path}": FileInfo(path=path, type="directory", mode=mode, owner=wanted.owner, group=wanted.group)}


def known_mode(mode: str | None) -> str | None:
    """An octal mode as the file fact shows it ("0640"), None when it is not one."""
    if mode is None or not mode.isdigit():
        return None
    try:
        return f"{int(mode, 8):04o}"
    except ValueError:
        return None


def _named(account: str | None) -> bool:
    """Whether an owner or group is given by name (an id is shown by name in the fact: not known here)."""
    return bool(account) and not str(account).isdigit()


def _has_setid_bits(mode: str) -> bool:
    return bool(int(mode, 8) & 0o6000)


def content_text(content: bytes | None, info: FileInfo | None = None) -> str:
    """A file's content for a diff: the text itself, or a one-line description of binary or large content."""
    if content is None:
        if info is not None and info.exists and info.type == "file":
            return f"({info.size} bytes, sha256 {info.sha256}; too large to show)"
        return ""
    if b"\0" in content:
        return f"(binary, {len(content)} bytes)"
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return f"(binary, {len(content)} bytes)"
