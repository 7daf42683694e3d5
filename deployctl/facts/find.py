"""Facts for the find module: every entry under a directory with its lstat data, as GNU find prints it."""

from __future__ import annotations

import base64
import binascii
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import RawFact
from deployctl.facts.files import CONTENT_LIMIT

_PRINTF = "%y %Y %m %U %G %s %i %D %n %A@ %T@ %C@ %u %g %p\\0"
"""One entry: type, type followed, octal mode, uid, gid, size, inode, device, links, atime, mtime, ctime,
owner, group and the path (NUL-terminated: any name is safe)."""

FIND_KEY_PREFIX = "find:"

_TYPES = {"f": "file", "d": "directory", "l": "link", "c": "char", "b": "block", "p": "fifo", "s": "socket"}


@dataclass(frozen=True)
class FoundEntry:
    """One path under the searched directory, as `lstat` sees it.

    `type` is file, directory, link, char, block, fifo or socket; `leads_to_directory` is whether the
    path is a directory once a symlink is followed (os.walk lists such a link among the directories).
    `content` is set for regular files up to CONTENT_LIMIT bytes when the fact reads contents.
    """

    path: str
    type: str
    leads_to_directory: bool
    mode: int
    uid: int
    gid: int
    size: int
    inode: int
    dev: int
    nlink: int
    atime: float
    mtime: float
    ctime: float
    owner: str
    group: str
    content: bytes | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FoundEntry:
        """Build from a fixture: `path` and `type` (file), with defaults for the rest (root's, mode 0644)."""
        kind = str(data.get("type", "file"))
        content = data.get("content")
        raw = str(content).encode("utf-8") if content is not None else None
        return cls(
            path=str(data["path"]),
            type=kind,
            leads_to_directory=bool(data.get("leads_to_directory", kind == "directory")),
            mode=int(str(data.get("mode", "0755" if kind == "directory" else "0644")), 8),
            uid=int(data.get("uid", 0)),
            gid=int(data.get("gid", 0)),
            size=int(data.get("size", len(raw) if raw is not None else 0)),
            inode=int(data.get("inode", 1)),
            dev=int(data.get("dev", 2049)),
            nlink=int(data.get("nlink", 1)),
            atime=float(data.get("atime", data.get("mtime", 0))),
            mtime=float(data.get("mtime", 0)),
            ctime=float(data.get("ctime", data.get("mtime", 0))),
            owner=str(data.get("owner", "root")),
            group=str(data.get("group", "root")),
            content=raw,
        )


@dataclass(frozen=True)
class DirectoryListing:
    """What is under `root` (None when `root` is not a directory), in find's order, and the host's clock."""

    root: str
    now: float
    entries: tuple[FoundEntry, ...] | None


@dataclass(frozen=True)
class FindFact:
    """Every entry under `root` down to `max_depth` levels (None: all), with small files' content if asked."""

    root: str
    max_depth: int | None = None
    contents: bool = False

    @property
    def key(self) -> str:
        depth = "" if self.max_depth is None else str(self.max_depth)
        return f"{FIND_KEY_PREFIX}{depth}:{'contents' if self.contents else ''}:{self.root}"

    def script(self) -> str:
        depth = f"-maxdepth {self.max_depth} " if self.max_depth is not None else ""
        lines = [
            f"set -- {shlex.quote(self.root)}",
            "date +%s",
            '[ -d "$1" ] || { echo notdir; exit 0; }',
            "echo entries",
            f"find \"$1\" -mindepth 1 {depth}-printf '{_PRINTF}' 2>/dev/null | base64",
        ]
        if self.contents:
            read = 'for f do printf "%s\\0" "$f"; base64 < "$f" | tr -d "\\n"; printf "\\0"; done'
            lines += [
                "echo @contents",
                f'find "$1" -mindepth 1 {depth}-type f -size -{CONTENT_LIMIT + 1}c -readable '
                f"-exec sh -c {shlex.quote(read)} sh {{}} + 2>/dev/null | base64",
            ]
        return "\n".join(lines)

    def parse(self, raw: RawFact) -> DirectoryListing:
        return parse_find_output(self.root, raw.output)

    def value_from_json(self, data: Any) -> DirectoryListing:
        """From a fixture: {"now": epoch, "entries": [...]} or {"now": epoch, "entries": null} (not a directory)."""
        entries = data.get("entries")
        return DirectoryListing(
            root=self.root,
            now=float(data.get("now", 0)),
            entries=None if entries is None else tuple(FoundEntry.from_json(entry) for entry in entries),
        )


def listing_covers(key: str, path: str) -> bool:
    """Whether a change at `path` may change the listing read by the find fact `key` (`path` is below its root)."""
    if not key.startswith(FIND_KEY_PREFIX):
        return False
    root = key.split(":", 3)[3].rstrip("/") or "/"
    return root == "/" or path == root or path.startswith(root + "/")


def _decode(root: str, encoded: str) -> bytes:
    try:
        return base64.b64decode("".join(encoded.split()), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"find fact for {root}: bad encoding: {exc}") from None


def parse_find_output(root: str, output: str) -> DirectoryListing:
    """Parse the clock, then `notdir`, or `entries` (find's records in base64), then maybe `@contents` and theirs."""
    lines = output.strip("\n").split("\n")
    if len(lines) < 2 or not lines[0].strip().isdigit():
        raise ValueError(f"find fact for {root}: unexpected output {output[:200]!r}")
    now = float(lines[0])
    if lines[1] == "notdir":
        return DirectoryListing(root=root, now=now, entries=None)
    if lines[1] != "entries":
        raise ValueError(f"find fact for {root}: unexpected output {lines[1]!r}")
    rest = lines[2:]
    split_at = rest.index("@contents") if "@contents" in rest else len(rest)
    contents: dict[str, bytes] = {}
    if split_at < len(rest):
        fields = _decode(root, "".join(rest[split_at + 1 :])).split(b"\0")
        for name, encoded in zip(fields[0::2], fields[1::2], strict=False):
            contents[name.decode("utf-8", "surrogateescape")] = _decode(root, encoded.decode("ascii"))
    entries: list[FoundEntry] = []
    for record in _decode(root, "".join(rest[:split_at])).split(b"\0"):
        if not record:
            continue
        words = record.decode("utf-8", "surrogateescape").split(" ", 14)
        if len(words) != 15:
            raise ValueError(f"find fact for {root}: unexpected record {record[:200]!r}")
        kind, followed, mode, uid, gid, size, inode, dev, nlink, atime, mtime, ctime, owner, group, path = words
        entries.append(
            FoundEntry(
                path=path,
                type=_TYPES.get(kind, "other"),
                leads_to_directory=kind == "d" or (kind == "l" and followed == "d"),
                mode=int(mode, 8),
                uid=int(uid),
                gid=int(gid),
                size=int(size),
                inode=int(inode),
                dev=int(dev),
                nlink=int(nlink),
                atime=float(atime),
                mtime=float(mtime),
                ctime=float(ctime),
                owner=owner,
                group=group,
                content=contents.get(path),
            )
        )
    return DirectoryListing(root=root, now=now, entries=tuple(entries))
