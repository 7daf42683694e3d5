"""mount (ansible.posix.mount): manage a file system's line in fstab and whether it is mounted.

A port of ansible.posix's mount module on Linux:
- The fstab line is `src path fstype opts dump passno`, its fields escaped as Ansible escapes them
  (`\\040` for a space, `\\046` for `&`, `\\134` for a backslash); `opts` defaults to `defaults`, `dump`
  and `passno` to `0`; `boot: false` adds `noauto` to the options (even when they hold it, as Ansible does).
- A line is the task's when its second field is `path` (for swap, `none` lines are told apart by `src`).
  `present` and `mounted` rewrite every such line that differs in a field (lines of 4 or 5 fields always
  differ: Ansible compares their missing dump and passno as numbers) or append the line; other lines,
  comments and blank lines stay as they are. `absent` and `absent_from_fstab` drop the task's lines
  of exactly 6 fields, as Ansible does.
- `mounted`: the mount point is created (`mkdir -p`) when missing, the line set, then the path mounted
  with `mount PATH` (`-T FSTAB` for another fstab); when it is mounted already, a changed line remounts it
  (`mount -o remount`, else umount and mount again). `unmounted` unmounts a mounted path. `absent`
  (and `absent_mount`) drop the line and, when a line was dropped, unmount the path and remove the
  mount point (rmdir). `remounted` remounts, a change on every run (with `opts`, `-o remount,OPTS`,
  and no umount fallback). `ephemeral` mounts `src` with `fstype` and `opts` without fstab; a path
  already mounted from the same source is remounted (a change), from another source fails.
- Mounted means the path is a mount point in /proc/self/mountinfo.
- The result holds Ansible's values: name, src, fstype, opts, dump, passno, fstab, boot (yes/no) and
  backup_file.
Differences: a mount that fails leaves the fstab line written (Ansible writes the old fstab back and removes
the folders it created); a missing fstab is created only when a line is added to it.
Not supported (the task fails): backup, opts_no_log, platforms other than Linux.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.files import FileFact, FileInfo
from deployctl.facts.mounts import MOUNTS_KEY, MountInfo, MountsFact
from deployctl.modules.base import Action, Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.fileattrs import WantedAttributes, content_text, untrusted_link, write_actions
from deployctl.modules.planning import fact, failed
from deployctl.modules.values import line_problem

DEFAULT_FSTAB = "/etc/fstab"
MOUNT_STATES = (
    "absent",
    "absent_from_fstab",
    "absent_mount",
    "mounted",
    "present",
    "unmounted",
    "remounted",
    "ephemeral",
)

MOUNT_PARAMS: Mapping[str, Param] = {
    "path": Param("path", required=True, aliases=("name",), check=line_problem),
    "src": Param("path", check=line_problem),
    "fstype": Param("str", check=line_problem),
    "opts": Param("str", check=line_problem),
    "dump": Param("str", default="0", check=line_problem),
    "passno": Param("str", default="0", check=line_problem),
    "state": Param("str", required=True, choices=MOUNT_STATES),
    "fstab": Param("str", check=line_problem),
    "boot": Param("bool", default=True),
    "backup": Param("bool", default=False),
    "opts_no_log": Param("bool", default=False),
}

_FIELDS = ("src", "name", "fstype", "opts", "dump", "passno")
_COMPARED = ("src", "fstype", "opts", "dump", "passno")

REMOUNT_SCRIPT = 'p=$1; shift; mount -o remount "$@" -- "$p" || { umount -- "$p" && mount "$@" -- "$p"; }'
"""Remount path $1 (with the mount options after it); where remounting fails, unmount and mount it again."""


def escape_fstab(value: str) -> str:
    """Ansible's `_escape_fstab`: backslash, space and ampersand as octal escapes."""
    return value.replace("\\", "\\134").replace(" ", "\\040").replace("&", "\\046")


def mount_args(params: Mapping[str, Any]) -> dict[str, str]:
    """Ansible's `args` on Linux: the defaults, the given values, `noauto` for `boot: false`."""
    args = {"name": params["path"], "opts": "defaults", "dump": "0", "passno": "0", "fstab": DEFAULT_FSTAB}
    args["boot"] = "yes"
    for key in ("src", "fstype", "passno", "opts", "dump", "fstab"):
        if params.get(key) is not None:
            args[key] = params[key]
    if not params["boot"]:  # appended even when the options hold it, as Ansible does
        args["boot"] = "no"
        args["opts"] = ",".join([*args["opts"].split(","), "noauto"])
    return args


def set_mount(lines: Sequence[str], args: Mapping[str, str]) -> tuple[list[str], bool]:
    """Ansible's `_set_mount_save_old` on Linux: the fstab's lines with the task's line set, and whether it changed."""
    escaped = {key: escape_fstab(args[key]) for key in _FIELDS}
    written: list[str] = []
    exists = changed = False
    for raw in lines:
        line = raw if raw.endswith("\n") else raw + "\n"
        fields = line.split("#")[0].split()
        if not line.strip() or line.strip().startswith("#") or len(fields) not in (4, 5, 6):
            written.append(line)
            continue
        found: dict[str, str | None] = {"dump": None, "passno": None}  # missing: never equal, as Ansible's 0
        found.update(zip(_FIELDS, fields, strict=False))
        if not _is_the_line(found, escaped["name"], args):
            written.append(line)
            continue
        exists = True
        for key in _COMPARED:
            if found[key] != escaped[key]:
                found[key] = escaped[key]
                changed = True
        written.append(" ".join(str(found[key]) for key in _FIELDS) + "\n" if changed else line)
    if not exists:
        written.append(" ".join(escaped[key] for key in _FIELDS) + "\n")
        changed = True
    return written, changed


def unset_mount(lines: Sequence[str], args: Mapping[str, str]) -> tuple[list[str], bool]:
    """Ansible's `unset_mount` on Linux: the fstab's lines without the task's 6-field lines."""
    name = escape_fstab(args["name"])
    written: list[str] = []
    changed = False
    for line in lines:
        fields = line.split()
        if not line.strip() or line.strip().startswith("#") or len(fields) != 6:
            written.append(line)
            continue
        found: dict[str, str | None] = dict(zip(_FIELDS, fields, strict=True))
        if not _is_the_line(found, name, args):
            written.append(line)
            continue
        changed = True
    return written, changed


def _is_the_line(found: Mapping[str, str | None], name: str, args: Mapping[str, str]) -> bool:
    if found["name"] != name:
        return False
    swap = found["name"] == "none" and found["fstype"] == "swap"
    return not ("src" in args and swap and found["src"] != args["src"])


def mount_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The fstab, what is mounted, and the mount point."""
    return [FileFact(params.get("fstab") or DEFAULT_FSTAB), MountsFact(), FileFact(params["path"])]


def _fstab_options(fstab: str) -> tuple[str, ...]:
    return ("-T", fstab) if fstab != DEFAULT_FSTAB else ()


def plan_mount(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the fstab edit and the mount, umount or remount, as Ansible decides them."""
    state: str = params["state"]
    for unsupported in ("backup", "opts_no_log"):
        if params[unsupported]:
            return failed(f"{unsupported} is not supported by deployctl's mount")
    if state in ("mounted", "present", "ephemeral"):
        missing = [key for key in ("src", "fstype") if params.get(key) is None]
        if missing:
            return failed(f"state is {state} but all of the following are missing: {', '.join(missing)}")
    args = mount_args(params)
    name, fstab = args["name"], args["fstab"]
    result: dict[str, Any] = {**args, "backup_file": ""}
    info = fact(facts, f"file:{fstab}", FileInfo)
    if (problem := untrusted_link(info)) is not None:
        return failed(problem)
    current = info.followed()
    if current.exists and (current.type != "file" or current.content is None):
        return failed(f"cannot read {fstab} (not a regular file, unreadable, or larger than 256 KiB)")
    lines = (current.content or b"").decode("utf-8", "surrogateescape").splitlines(keepends=True)
    mounts: dict[str, MountInfo] = fact(facts, MOUNTS_KEY, dict)
    mounted = name in mounts
    point_exists = fact(facts, f"file:{name}", FileInfo).followed().exists
    edit = _Edit(name, fstab, info, current, result)

    if state in ("absent", "absent_from_fstab", "absent_mount"):
        written, changed = unset_mount(lines, args)
        if not changed:
            return no_change(f"{name} has no line in {fstab}", **result)
        edit.write(written, f"line removed from {fstab}")
        if state != "absent_from_fstab" and mounted:
            edit.run(("umount", "--", name), f"unmounted {name}", mounted_after=False)
        if state == "absent" and point_exists:
            edit.run(("rmdir", "--", name), f"removed {name}")
        return edit.plan()
    if state == "unmounted":
        if not mounted:
            return no_change(f"{name} is not mounted", **result)
        edit.run(("umount", "--", name), f"unmounted {name}", mounted_after=False)
        return edit.plan()
    if state == "present":
        written, changed = set_mount(lines, args)
        if not changed:
            return no_change(f"{name} is already in {fstab}", **result)
        edit.write(written, f"line set in {fstab}")
        return edit.plan()
    if state == "remounted":
        options = f"remount,{args['opts']}" if args["opts"] != "defaults" else "remount"
        command = ("mount", "-o", options, *_fstab_options(fstab), "--", name)
        if options == "remount":
            command = ("sh", "-c", REMOUNT_SCRIPT, "sh", name, *_fstab_options(fstab))
        edit.run(command, f"remounted {name}")
        return edit.plan()
    if not point_exists:
        edit.run(("mkdir", "-p", "--", name), f"created {name}")
    if state == "ephemeral":
        return _plan_ephemeral(args, mounts, edit)
    written, changed = set_mount(lines, args)
    if changed:
        edit.write(written, f"line set in {fstab}")
    if mounted and changed:
        edit.run(("sh", "-c", REMOUNT_SCRIPT, "sh", name, *_fstab_options(fstab)), f"remounted {name}")
    elif not mounted:
        edit.run(("mount", *_fstab_options(fstab), "--", name), f"mounted {name}", mounted_after=True)
    if not edit.actions:
        return no_change(f"{name} is mounted as in {fstab}", **result)
    return edit.plan()


def _plan_ephemeral(args: Mapping[str, str], mounts: Mapping[str, MountInfo], edit: _Edit) -> Plan:
    name = args["name"]
    options = ("-t", args["fstype"], *(("-o", args["opts"]) if args["opts"] != "defaults" else ()), args["src"])
    current = mounts.get(name)
    if current is None:
        edit.run(("mount", *options, "--", name), f"mounted {args['src']} on {name}", mounted_after=True)
        return edit.plan()
    if current.src != args["src"]:
        return failed(
            "Ephemeral mount point is already mounted with a different source than the specified one. Failing in "
            "order to prevent an unwanted unmount or override operation. Try replacing this command with a "
            '"state: unmounted" followed by a "state: ephemeral", or use a different destination path.'
        )
    edit.run(("sh", "-c", REMOUNT_SCRIPT, "sh", name, *options), f"remounted {name}")
    return edit.plan()


class _Edit:
    """The actions, diffs and summary of one mount plan, gathered in order."""

    def __init__(self, name: str, fstab: str, info: FileInfo, current: FileInfo, result: dict[str, Any]) -> None:
        self.name = name
        self.fstab = fstab
        self.info = info
        self.current = current
        self.result = result
        self.actions: list[Action] = []
        self.diffs: list[Diff] = []
        self.done: list[str] = []
        self.invalidates: list[str] = [MOUNTS_KEY, f"file:{name}"]

    def write(self, lines: list[str], what: str) -> None:
        content = "".join(lines).encode("utf-8", "surrogateescape")
        write_path = self.current.path if self.info.type == "link" else self.fstab
        baseline = self.current if self.current.exists else None
        writes, _ = write_actions(write_path, content, baseline, WantedAttributes())
        self.actions.extend(writes)
        before = content_text(self.current.content, self.current)
        self.diffs.append(Diff(resource=self.fstab, before=before, after=content_text(content)))
        self.invalidates.extend((f"file:{self.fstab}", f"file:{write_path}"))
        self.done.append(what)

    def run(self, argv: tuple[str, ...], what: str, *, mounted_after: bool | None = None) -> None:
        self.actions.append(RunCommand(argv))
        if mounted_after is not None:
            before, after = ("not mounted", "mounted") if mounted_after else ("mounted", "not mounted")
            self.diffs.append(Diff(resource=f"mount {self.name}", before=before, after=after))
        self.done.append(what)

    def plan(self) -> Plan:
        if not self.diffs:
            self.diffs.append(Diff(resource=f"mount {self.name}", before="", after="; ".join(self.done)))
        return Plan(
            changed=True,
            summary=f"{self.name}: {', '.join(self.done)}",
            actions=tuple(self.actions),
            diffs=tuple(self.diffs),
            invalidates=tuple(dict.fromkeys(self.invalidates)),
            result=self.result,
        )


MOUNT = Module(
    name="mount",
    params=MOUNT_PARAMS,
    facts=mount_facts,
    plan=plan_mount,
    doc=__doc__ or "",
)
