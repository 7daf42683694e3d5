"""stat: report what is at a path (never changes anything), with the values Ansible's stat module returns.

The result is registered as Ansible's: `stat.exists`, and for an existing path `path`, `mode` ("0644"), the
type flags (isdir, isreg, islnk, ...), uid, gid, pw_name, gr_name, size, inode, dev, nlink, atime, mtime,
ctime, the permission bits (rusr, wgrp, xoth, isuid...), blocks, block_size, device_type, readable,
writeable and executable (for the user the task runs as), lnk_source and lnk_target for a link (with
`follow: false`, the default), `checksum` of a readable regular file (`checksum_algorithm`, sha1 by
default; `get_checksum: false` skips it), mimetype and charset (`get_mime`, with `file`; "unknown" when
the host has no `file`), and version, attributes and attr_flags (`get_attributes`, with `lsattr`).
A path that cannot be read (a folder on the way is not searchable) fails the task with the system's
reason, as Ansible does; a missing path is `exists: false`.
"""

from __future__ import annotations

import stat as st
from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.stat import CHECKSUM_TOOLS, FILE_ATTRIBUTES, PathStat, StatFact, StatOptions
from deployctl.modules.base import Module, Param, Plan, no_change
from deployctl.modules.planning import fact, failed

STAT_PARAMS: Mapping[str, Param] = {
    "path": Param("path", required=True, aliases=("dest", "name")),
    "follow": Param("bool", default=False),
    "get_checksum": Param("bool", default=True),
    "get_mime": Param("bool", default=True, aliases=("mime", "mime_type", "mime-type")),
    "get_attributes": Param("bool", default=True, aliases=("attr", "attributes")),
    "checksum_algorithm": Param(
        "str", default="sha1", choices=tuple(CHECKSUM_TOOLS), aliases=("checksum", "checksum_algo")
    ),
}

_PERMISSIONS = (
    ("wusr", st.S_IWUSR),
    ("rusr", st.S_IRUSR),
    ("xusr", st.S_IXUSR),
    ("wgrp", st.S_IWGRP),
    ("rgrp", st.S_IRGRP),
    ("xgrp", st.S_IXGRP),
    ("woth", st.S_IWOTH),
    ("roth", st.S_IROTH),
    ("xoth", st.S_IXOTH),
    ("isuid", st.S_ISUID),
    ("isgid", st.S_ISGID),
)


def stat_options(params: Mapping[str, Any]) -> StatOptions:
    """What the task asks to read besides the inode."""
    return StatOptions(
        follow=params["follow"],
        checksum=params["checksum_algorithm"] if params["get_checksum"] else None,
        mime=params["get_mime"],
        attributes=params["get_attributes"],
    )


def stat_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The path's stat with the task's options."""
    return [StatFact(params["path"], stat_options(params))]


def stat_result(info: PathStat, options: StatOptions) -> dict[str, Any]:
    """The `stat` value Ansible's module returns for `info`."""
    if not info.exists:
        return {"exists": False}
    mode = info.st_mode
    result: dict[str, Any] = {
        "exists": True,
        "path": info.path,
        "mode": f"{st.S_IMODE(mode):04o}",
        "isdir": st.S_ISDIR(mode),
        "ischr": st.S_ISCHR(mode),
        "isblk": st.S_ISBLK(mode),
        "isreg": st.S_ISREG(mode),
        "isfifo": st.S_ISFIFO(mode),
        "islnk": st.S_ISLNK(mode),
        "issock": st.S_ISSOCK(mode),
        "uid": info.uid,
        "gid": info.gid,
        "size": info.size,
        "inode": info.inode,
        "dev": info.dev,
        "nlink": info.nlink,
        "atime": info.atime,
        "mtime": info.mtime,
        "ctime": info.ctime,
        **{name: bool(mode & bit) for name, bit in _PERMISSIONS},
        "blocks": info.blocks,
        "block_size": info.block_size,
        "device_type": info.device_type,
        "readable": info.readable,
        "writeable": info.writeable,
        "executable": info.executable,
    }
    if result["islnk"]:
        result["lnk_source"] = info.link_source
        result["lnk_target"] = info.link_target
    if info.owner is not None:
        result["pw_name"] = info.owner
    if info.group is not None:
        result["gr_name"] = info.group
    if info.checksum is not None and result["isreg"] and info.readable:
        result["checksum"] = info.checksum
    if options.mime:
        result.update(_mime(info.mime))
    if options.attributes:
        result.update(_attributes(info.lsattr))
    return result


def _mime(described: str | None) -> dict[str, str]:
    """`file -b --mime-type --mime-encoding` output (`text/plain; charset=us-ascii`) as mimetype and charset."""
    kind, _, charset = (described or "").partition(";")
    if not kind.strip() or "=" not in charset:
        return {"mimetype": "unknown", "charset": "unknown"}
    return {"mimetype": kind.strip(), "charset": charset.split("=", 1)[1].strip()}


def _attributes(listed: str | None) -> dict[str, Any]:
    """`lsattr -vd` output (`VERSION FLAGS PATH`) as version, attributes and attr_flags."""
    words = (listed or "").split()
    if len(words) < 2:
        return {"version": None, "attributes": [], "attr_flags": ""}
    flags = words[1].replace("-", "").strip()
    return {
        "version": words[0].strip(),
        "attributes": [FILE_ATTRIBUTES[flag] for flag in flags if flag in FILE_ATTRIBUTES],
        "attr_flags": flags,
    }


def plan_stat(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Never a change: the path's stat, for `register`."""
    options = stat_options(params)
    info = fact(facts, StatFact(params["path"], options).key, PathStat)
    if info.error is not None:
        return failed(f"{params['path']}: {info.error}")
    result = stat_result(info, options)
    if not info.exists:
        return no_change(f"{params['path']} does not exist", stat=result)
    described = "special file"
    for flag, name in (("isdir", "directory"), ("isreg", "file"), ("islnk", "link")):
        if result[flag]:
            described = name
    return no_change(f"{params['path']} is a {described}", stat=result)


STAT = Module(
    name="stat",
    params=STAT_PARAMS,
    facts=stat_facts,
    plan=plan_stat,
    doc=__doc__ or "",
)
