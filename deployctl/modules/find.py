"""find: list the files under directories that match conditions, read-only, as Ansible's find module.

Each of `paths` is listed once by a fact (GNU find's lstat data of every entry, and the content of
small regular files when `contains` is given); the filtering is Ansible's, ported: glob `patterns` and
`excludes` on the base name (Python regular expressions, matched at the start, with `use_regex`),
`file_type`, `age` (`-1d`, `2w`... against the host's clock), `size` (`10m`, `-1k`...), `contains`
(a line matching, from its start, or anywhere with `read_whole_file`), octal `mode` (exact or any
bit), `hidden`, `recurse`, `depth` and `limit`. Entries come in os.walk's order (each directory's
files, then its directories, then their contents).
The result is Ansible's: `files` (path and stat data: mode, isdir, isreg, islnk, uid, gid, size,
inode, dev, nlink, atime, mtime, ctime, pw_name, gr_name, the r/w/x bits...), `matched`, `examined`,
`skipped_paths` and `msg`. It never changes anything.
Not supported (refused): `follow`, `get_checksum`, symbolic modes; `contains` reads files up to 256 KiB.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import stat
from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.find import DirectoryListing, FindFact, FoundEntry
from deployctl.modules.base import Module, Param, Plan
from deployctl.modules.planning import fact, failed

FIND_PARAMS: Mapping[str, Param] = {
    "paths": Param("list", required=True, aliases=("name", "path")),
    "patterns": Param("list", default=[], aliases=("pattern",)),
    "excludes": Param("list", aliases=("exclude",)),
    "contains": Param("str"),
    "read_whole_file": Param("bool", default=False),
    "file_type": Param("str", default="file", choices=("any", "directory", "file", "link")),
    "age": Param("str"),
    "age_stamp": Param("str", default="mtime", choices=("atime", "ctime", "mtime")),
    "size": Param("str"),
    "recurse": Param("bool", default=False),
    "hidden": Param("bool", default=False),
    "follow": Param("bool", default=False, choices=(False,)),
    "get_checksum": Param("bool", default=False, choices=(False,)),
    "use_regex": Param("bool", default=False),
    "depth": Param("int"),
    "mode": Param("str"),
    "exact_mode": Param("bool", default=True),
    "encoding": Param("str"),
    "limit": Param("int"),
}
_AGE = re.compile(r"^(-?\d+)(s|m|h|d|w)?$")
_SIZE = re.compile(r"^(-?\d+)(b|k|m|g|t)?$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_BYTES = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def _max_depth(params: Mapping[str, Any]) -> int | None:
    """How deep the listing must go: one level without recurse; depth + 1 (for `examined`) with a depth."""
    if not params["recurse"]:
        return 1
    return params["depth"] + 1 if params["depth"] else None


def _listing(params: Mapping[str, Any], path: str) -> FindFact:
    """The listing of one path, with contents when `contains` must read them."""
    contents = params["contains"] is not None and params["file_type"] == "file"
    return FindFact(path, _max_depth(params), contents)


def find_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """One listing per path."""
    return [_listing(params, str(path)) for path in params["paths"]]


def name_matches(name: str, patterns: Sequence[str], excludes: Sequence[str] | None, use_regex: bool) -> bool:
    """Ansible's pfilter: a pattern matches the base name and no exclude does."""
    if not patterns and not excludes:
        return True

    def matches(pattern: str) -> bool:
        return bool(re.match(pattern, name)) if use_regex else fnmatch.fnmatch(name, pattern)

    for pattern in patterns:
        if matches(pattern):
            return not any(matches(exclude) for exclude in excludes or ())
    return False


def _age_ok(entry: FoundEntry, now: float, age: int | None, stamp: str) -> bool:
    if age is None:
        return True
    elapsed = now - float(getattr(entry, stamp))
    return elapsed >= abs(age) if age >= 0 else elapsed <= abs(age)


def _size_ok(entry: FoundEntry, size: int | None) -> bool:
    if size is None:
        return True
    return entry.size >= abs(size) if size >= 0 else entry.size <= abs(size)


def _mode_ok(entry: FoundEntry, mode: int | None, exact: bool) -> bool:
    if mode is None:
        return True
    bits = stat.S_IMODE(entry.mode)
    return bits == mode if exact else bool(bits & mode)


def _contains_ok(entry: FoundEntry, pattern: str | None, encoding: str, whole: bool) -> bool | str:
    """Whether the file holds `pattern`, or why it cannot be told."""
    if pattern is None:
        return True
    if entry.content is None:
        return f"{entry.path} is unreadable or larger than 256 KiB: contains cannot be checked"
    try:
        text = entry.content.decode(encoding)
    except UnicodeDecodeError:
        return f"Failed to read the file {entry.path} due to an encoding error. current encoding: {encoding}"
    compiled = re.compile(pattern)
    if whole:
        return bool(compiled.search(text))
    return any(compiled.match(line) for line in text.splitlines(True))


def stat_info(entry: FoundEntry) -> dict[str, Any]:
    """Ansible's statinfo of one entry."""
    mode = entry.mode
    kinds = {"isdir": "directory", "ischr": "char", "isblk": "block", "isreg": "file"}
    info: dict[str, Any] = {"mode": f"{stat.S_IMODE(mode):04o}"}
    info |= {name: entry.type == kind for name, kind in kinds.items()}
    info |= {"isfifo": entry.type == "fifo", "islnk": entry.type == "link", "issock": entry.type == "socket"}
    info |= {
        "uid": entry.uid,
        "gid": entry.gid,
        "size": entry.size,
        "inode": entry.inode,
        "dev": entry.dev,
        "nlink": entry.nlink,
        "atime": entry.atime,
        "mtime": entry.mtime,
        "ctime": entry.ctime,
        "gr_name": entry.group,
        "pw_name": entry.owner,
    }
    bits = (("usr", stat.S_IRUSR, stat.S_IWUSR, stat.S_IXUSR), ("grp", stat.S_IRGRP, stat.S_IWGRP, stat.S_IXGRP))
    for who, read, write, run in (*bits, ("oth", stat.S_IROTH, stat.S_IWOTH, stat.S_IXOTH)):
        info |= {f"w{who}": bool(mode & write), f"r{who}": bool(mode & read), f"x{who}": bool(mode & run)}
    info |= {"isuid": bool(mode & stat.S_ISUID), "isgid": bool(mode & stat.S_ISGID)}
    return info


def walk_order(root: str, entries: Sequence[FoundEntry]) -> list[tuple[str, list[FoundEntry]]]:
    """os.walk's (directory, entries) pairs, top-down: each directory's files then directories, then theirs."""
    children: dict[str, list[FoundEntry]] = {}
    for entry in entries:
        children.setdefault(posixpath.dirname(posixpath.normpath(entry.path)), []).append(entry)
    order: list[tuple[str, list[FoundEntry]]] = []
    pending = [posixpath.normpath(root)]
    while pending:
        directory = pending.pop(0)
        listed = children.get(directory, [])
        files = [entry for entry in listed if not entry.leads_to_directory]
        dirs = [entry for entry in listed if entry.leads_to_directory]
        order.append((directory, files + dirs))
        pending[0:0] = [posixpath.normpath(entry.path) for entry in dirs if entry.type == "directory"]
    return order


def plan_find(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Filter every listing as Ansible's find does; never a change."""
    age = size = mode = None
    if params["age"] is not None:
        match = _AGE.match(params["age"].lower())
        if not match:
            return failed("failed to process age")
        age = int(match.group(1)) * _SECONDS.get(match.group(2) or "s", 1)
    if params["size"] is not None:
        match = _SIZE.match(params["size"].lower())
        if not match:
            return failed("failed to process size")
        size = int(match.group(1)) * _BYTES.get(match.group(2) or "b", 1)
    if params["mode"]:
        try:
            mode = stat.S_IMODE(int(params["mode"], 8))
        except ValueError:
            return failed(f"mode {params['mode']!r}: only octal modes are supported")
    if params["limit"] is not None and params["limit"] <= 0:
        return failed(f"limit cannot be {params['limit']} (use None for unlimited)")
    expressions = [params["contains"]] if params["contains"] is not None else []
    if params["use_regex"]:
        expressions += [*params["patterns"], *(params["excludes"] or ())]
    for expression in expressions:
        try:
            re.compile(expression)
        except re.error as exc:
            return failed(f"{expression!r} is not a valid regular expression: {exc}")
    patterns = params["patterns"] or ([".*"] if params["use_regex"] else ["*"])
    found: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    examined = 0
    msg = "All paths examined"
    for root in params["paths"]:
        listing = fact(facts, _listing(params, str(root)).key, DirectoryListing)
        if listing.entries is None:
            skipped[root] = f"'{root}' is not a directory"
            continue
        outcome = _search(root, listing, params, patterns, (age, size, mode), found)
        if isinstance(outcome, str):
            return failed(outcome)
        examined += outcome[0]
        if outcome[1]:
            msg = "Limit of matches reached"  # the later paths are still searched, as Ansible does
    if skipped:
        msg = "Not all paths examined, check warnings for details"
    result = {"files": found, "matched": len(found), "examined": examined, "skipped_paths": skipped, "msg": msg}
    return Plan(changed=False, summary=f"{len(found)} matched of {examined} examined", result=result)


def _search(
    root: str,
    listing: DirectoryListing,
    params: Mapping[str, Any],
    patterns: Sequence[str],
    limits: tuple[int | None, int | None, int | None],
    found: list[dict[str, Any]],
) -> tuple[int, bool] | str:
    """Add the matches under one root to `found`: the number of entries examined and whether `limit` stopped
    the search (the count is compared for equality after each entry, as Ansible does), or a problem."""
    age, size, mode = limits
    examined = 0
    top = posixpath.normpath(root)
    base_depth = (root.rstrip("/") + "/").count("/")

    def depth(path: str) -> int:
        return 0 if path == top else path.count("/") - base_depth + 1

    for directory, listed in walk_order(root, listing.entries or ()):
        if params["depth"] and depth(directory) > params["depth"]:
            continue
        examined += len(listed)
        for entry in listed:
            path = posixpath.normpath(entry.path)
            if params["depth"] and depth(path) > params["depth"]:
                break
            name = posixpath.basename(path)
            if name.startswith(".") and not params["hidden"]:
                continue
            common = (
                name_matches(name, patterns, params["excludes"], params["use_regex"])
                and _age_ok(entry, listing.now, age, params["age_stamp"])
                and _mode_ok(entry, mode, params["exact_mode"])
            )
            kind = params["file_type"]
            wanted = False
            if kind == "any":
                wanted = common and (entry.type != "file" or _size_ok(entry, size))
            elif kind in ("directory", "link"):
                wanted = common and entry.type == kind
            elif entry.type == "file":
                contains = (
                    _contains_ok(entry, params["contains"], params["encoding"] or "utf-8", params["read_whole_file"])
                    if common and _size_ok(entry, size)
                    else False
                )
                if isinstance(contains, str):
                    return contains
                wanted = contains
            if wanted:
                found.append({"path": path, **stat_info(entry)})
            if params["limit"] is not None and len(found) == params["limit"]:
                return examined, True
        if not params["recurse"]:
            break
    return examined, False


FIND = Module(
    name="find",
    params=FIND_PARAMS,
    facts=find_facts,
    plan=plan_find,
    doc=__doc__ or "",
)
