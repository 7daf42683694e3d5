"""The facts of an image being built: the base image's facts, brought forward by each baked plan (pure).

The immutable strategy plans every task with the real planners, against the image as the earlier
steps leave it: the base image's facts (read once, for real) with the effects of each baked plan
applied. This is the idempotence rule of the planners ("apply, re-plan on the new facts: nothing to
do") used forwards: the facts after a plan are what re-planning would need to find no change.

Effects are predicted from the plan's actions for paths (the closed vocabulary the file-writing
planners emit: PutFile, mkdir -p, chown, chgrp, chmod, touch, ln -s, rm -rf) and from the task's
parameters for accounts and packages. A fact a plan makes stale that cannot be predicted becomes
unknown; a later task that needs it cannot be planned at build time. A baked command (always guarded
by `creates`) is taken to make its `creates` path exist and to leave the rest as it was: the mutable
strategy re-reads every fact after a command, which a build cannot do.
"""

from __future__ import annotations

import hashlib
import posixpath
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from deployctl.facts.files import FileInfo
from deployctl.facts.packages import PackageInfo, SourcesFile
from deployctl.facts.users import GroupInfo, UserInfo
from deployctl.modules.apt import CACHE_AGE_KEY
from deployctl.modules.apt_repository import SOURCES_KEY
from deployctl.modules.base import Plan, PutFile, RunCommand
from deployctl.modules.command import guard_path
from deployctl.modules.planning import parent_dir

FIRST_SYSTEM_ID = 999
"""useradd -r / groupadd -r take ids counting down from here (Debian's SYS_UID_MAX); a guess for planning only."""
FIRST_USER_ID = 1000
INSTALLED_UNKNOWN = "(installed while building)"
"""The installed version of a package an earlier step installed: known only once the image is built."""


class UnknownFactError(LookupError):
    """A task needs a fact that an earlier step changed in a way that cannot be predicted."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class ImageFacts:
    """The facts of the image being built, step by step: `lookup` what a task needs, `apply` its plan."""

    def __init__(self, base: Mapping[str, Any]) -> None:
        self._facts: dict[str, Any] = dict(base)
        self._unknown: dict[str, str] = {}
        if CACHE_AGE_KEY in self._facts:
            # An image never installs from lists of unknown age (the base's, or none after a cleaning
            # step): a refresh is always due, and the planners see it so.
            self._facts[CACHE_AGE_KEY] = None

    def lookup(self, keys: Iterable[str]) -> dict[str, Any]:
        """The values of `keys`; raises UnknownFactError (or KeyError when never gathered)."""
        values: dict[str, Any] = {}
        for key in keys:
            if key in self._unknown:
                raise UnknownFactError(key, self._unknown[key])
            values[key] = self._facts[key]
        return values

    def has(self, key: str) -> bool:
        """Whether the fact is known (gathered on the base or predicted)."""
        return key in self._facts and key not in self._unknown

    def get(self, key: str, default: Any = None) -> Any:
        """A known fact's value, else `default`."""
        return self._facts[key] if self.has(key) else default

    def record(self, key: str, value: Any) -> None:
        """Record a fact's value as the image now has it."""
        self._facts[key] = value
        self._unknown.pop(key, None)

    def forget(self, key: str, reason: str) -> None:
        """Mark a fact as unknown (changed by a step whose effect is not predictable)."""
        self._unknown[key] = reason
        self._facts.pop(key, None)

    def apply(self, module: str, params: Mapping[str, Any], plan: Plan, step: str) -> None:
        """Bring the facts forward past a baked plan of `module` with rendered `params`."""
        predicted: set[str] = set()
        if module in ("apt", "package"):
            predicted |= self._apply_apt(params)
        elif module == "apt_repository":
            predicted |= self._apply_sources(plan)
        elif module == "group":
            predicted |= self._apply_group(params)
        elif module == "user":
            predicted |= self._apply_user(params)
        elif module in ("command", "shell"):
            creates = guard_path(params, "creates")
            if creates:
                self.record(f"exists:{creates}", True)
                predicted.add(f"exists:{creates}")
        for action in plan.actions:
            predicted |= self._apply_action(action)
        for key in plan.invalidates:
            if key not in predicted:
                self.forget(key, f"changed by {step} in a way deployctl cannot predict at build time")

    # --- packages and accounts ---------------------------------------------------------------------

    def _apply_apt(self, params: Mapping[str, Any]) -> set[str]:
        removing = params.get("state") in ("absent", "removed")
        keys = {CACHE_AGE_KEY}
        self.record(CACHE_AGE_KEY, None)  # every apt step of an image ends by cleaning the lists
        for item in params.get("name") or []:
            name, _, version = str(item).partition("=")
            key = f"package:{name}"
            before = self.get(key)
            candidate = before.candidate if isinstance(before, PackageInfo) else None
            installed = None if removing else (version or candidate or INSTALLED_UNKNOWN)
            self.record(key, PackageInfo(name=name, installed=installed, candidate=candidate))
            keys.add(key)
            if self.has(f"candidate:{name}"):  # the base's lists, refreshed in the same step: same candidate
                keys.add(f"candidate:{name}")
        return keys

    def _apply_sources(self, plan: Plan) -> set[str]:
        """The sources files as the plan leaves them; the lists as every apt step leaves them (cleaned)."""
        files = {entry.path: entry for entry in self.get(SOURCES_KEY, ())}
        for action in plan.actions:
            if isinstance(action, PutFile):
                files[action.path] = SourcesFile(action.path, action.mode or "0644", action.content.decode("utf-8"))
            elif action.argv[:1] == ("rm",):
                files.pop(action.argv[-1], None)
        self.record(SOURCES_KEY, tuple(files.values()))
        self.record(CACHE_AGE_KEY, None)
        return {SOURCES_KEY, CACHE_AGE_KEY}

    def _next_id(self, kind: str, system: bool) -> int:
        taken = {
            value.gid if isinstance(value, GroupInfo) else value.uid
            for key, value in self._facts.items()
            if key.startswith(f"{kind}:") and isinstance(value, GroupInfo | UserInfo)
        }
        candidate = FIRST_SYSTEM_ID if system else FIRST_USER_ID
        while candidate in taken:
            candidate += -1 if system else 1
        return candidate

    def _apply_group(self, params: Mapping[str, Any]) -> set[str]:
        name = str(params["name"])
        key = f"group:{name}"
        if params.get("state") == "absent":
            self.record(key, None)
            return {key}
        current = self.get(key)
        gid = params.get("gid")
        if isinstance(current, GroupInfo):
            self.record(key, replace(current, gid=gid if gid is not None else current.gid))
        else:
            self.record(
                key, GroupInfo(name=name, gid=gid or self._next_id("group", params.get("system", False)), members=())
            )
        return {key}

    def _apply_user(self, params: Mapping[str, Any]) -> set[str]:
        name = str(params["name"])
        key = f"user:{name}"
        if params.get("state") == "absent":
            self.record(key, None)
            return {key}
        current = self.get(key)
        primary = params.get("group")
        keys = {key}
        if not isinstance(current, UserInfo) and not primary:
            own = self.get(f"group:{name}")
            if not isinstance(own, GroupInfo):  # useradd creates a group named like the user
                own = GroupInfo(name=name, gid=self._next_id("group", params.get("system", False)), members=())
                self.record(f"group:{name}", own)
                keys.add(f"group:{name}")
            primary = name
        group = self.get(f"group:{primary}") if primary else None
        groups = tuple(sorted(params.get("groups") or (current.groups if isinstance(current, UserInfo) else ())))
        if params.get("append") and isinstance(current, UserInfo):
            groups = tuple(sorted(set(groups) | set(current.groups)))
        base = (
            current
            if isinstance(current, UserInfo)
            else UserInfo(  # noqa: S604 - `shell` is the login shell field, not a subprocess
                name=name,
                uid=params.get("uid") or self._next_id("user", params.get("system", False)),
                gid=0,
                comment="",
                home=f"/home/{name}",
                shell="/bin/sh",
                group=name,
                groups=(),
            )
        )
        self.record(
            key,
            replace(
                base,
                uid=params.get("uid") or base.uid,
                gid=group.gid if isinstance(group, GroupInfo) else base.gid,
                group=group.name if isinstance(group, GroupInfo) else base.group,
                groups=groups,
                comment=str(params["comment"]) if params.get("comment") is not None else base.comment,
                home=params.get("home") or base.home,
                shell=params.get("shell") or base.shell,
            ),
        )
        for other in (name, *(params.get("groups") or ())):
            if self.has(f"group:{other}"):
                keys.add(f"group:{other}")  # unchanged: membership is not part of the group facts' comparisons
        return keys

    # --- paths -------------------------------------------------------------------------------------

    def _file(self, path: str) -> FileInfo:
        value = self.get(f"file:{path}")
        return value if isinstance(value, FileInfo) else FileInfo(path=path, type="absent")

    def _set_file(self, info: FileInfo) -> set[str]:
        self.record(f"file:{info.path}", info)
        self.record(f"exists:{info.path}", info.exists)
        return {f"file:{info.path}", f"exists:{info.path}"}

    def _apply_action(self, action: PutFile | RunCommand) -> set[str]:
        if isinstance(action, PutFile):
            current = self._file(action.path)
            return self._set_file(
                FileInfo(
                    path=action.path,
                    type="file",
                    mode=action.mode or (current.mode if current.type == "file" else "0644"),
                    owner=action.owner or "root",
                    group=action.group or "root",
                    uid=self._id("user", action.owner, 0) if action.owner else 0,
                    gid=self._id("group", action.group, 0) if action.group else 0,
                    size=len(action.content),
                    sha256=hashlib.sha256(action.content).hexdigest(),
                    content=action.content,
                )
            )
        argv = list(action.argv)
        if not argv:
            return set()
        words = [word for word in argv[1:] if word != "--" and not word.startswith("-")]
        tool = argv[0]
        if tool == "mkdir" and words:
            return self._mkdir(words[-1])
        if tool in ("chown", "chgrp", "chmod") and len(words) == 2:
            if "-R" in argv:
                self._forget_below(words[1], f"`{shlex.join(argv)}` changed it")
            return self._attributes(tool, words[0], words[1])
        if tool == "touch" and words:
            current = self._file(words[-1])
            if current.exists:
                return set()
            return self._set_file(
                FileInfo(
                    path=words[-1],
                    type="file",
                    mode="0644",
                    owner="root",
                    group="root",
                    uid=0,
                    gid=0,
                    size=0,
                    sha256=hashlib.sha256(b"").hexdigest(),
                    content=b"",
                )
            )
        if tool == "rm" and words:
            self._forget_below(words[-1], "removed with its directory")
            return self._set_file(FileInfo(path=words[-1], type="absent"))
        if tool == "ln" and len(words) == 2:
            source, path = words
            target = self._file(source if source.startswith("/") else posixpath.join(parent_dir(path) or "/", source))
            return self._set_file(
                FileInfo(
                    path=path,
                    type="link",
                    mode="0777",
                    owner="root",
                    group="root",
                    uid=0,
                    gid=0,
                    link_target=source,
                    resolved=target if target.exists else None,
                )
            )
        return set()

    def _forget_below(self, directory: str, reason: str) -> None:
        prefix = directory.rstrip("/") + "/"
        for key in list(self._facts):
            kind, _, path = key.partition(":")
            if kind in ("file", "exists") and path.startswith(prefix):
                self.forget(key, reason)

    def _mkdir(self, path: str) -> set[str]:
        keys: set[str] = set()
        current: str | None = path
        while current is not None and not self._file(current).exists:
            if self.has(f"file:{current}") or current == path:
                keys |= self._set_file(
                    FileInfo(path=current, type="directory", mode="0755", owner="root", group="root", uid=0, gid=0)
                )
            current = parent_dir(current)
        return keys

    def _attributes(self, tool: str, value: str, path: str) -> set[str]:
        info = self._file(path)
        if not info.exists:
            return set()
        if tool == "chmod":
            info = replace(info, mode=value)
        else:
            owner, _, group = value.partition(":") if tool == "chown" else ("", "", value)
            if owner:
                info = replace(info, owner=owner, uid=self._id("user", owner, info.uid))
            if group:
                info = replace(info, group=group, gid=self._id("group", group, info.gid))
        return self._set_file(info)

    def _id(self, kind: str, name: str, fallback: int | None) -> int | None:
        if name.isdigit():
            return int(name)
        value = self.get(f"{kind}:{name}")
        if isinstance(value, UserInfo):
            return value.uid
        if isinstance(value, GroupInfo):
            return value.gid
        return fallback
