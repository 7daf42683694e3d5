"""The full `stat` of one path, as Ansible's stat module reports it: lstat (or stat), names, access, checksum,
MIME type and file attributes, read by one POSIX snippet with coreutils (no python on the host)."""

from __future__ import annotations

import base64
import binascii
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import RawFact

CHECKSUM_TOOLS: Mapping[str, str] = {
    "md5": "md5sum",
    "sha1": "sha1sum",
    "sha224": "sha224sum",
    "sha256": "sha256sum",
    "sha384": "sha384sum",
    "sha512": "sha512sum",
}
"""Ansible's checksum_algorithm choices and the coreutils tool computing each."""

_STAT_FORMAT = "%f %u %g %s %i %d %h %.9X %.9Y %.9Z %b %o %t %T"
"""Raw mode (hex), uid, gid, size, inode, device, links, atime, mtime, ctime, blocks, block size, device type."""

_SCRIPT = f"""p=$1
if [ "$2" = follow ]; then L=-L; else L=; fi
if ! s=$(LC_ALL=C stat $L -c '{_STAT_FORMAT}' -- "$p" 2>&1); then
  case $s in *"No such file or directory"*) echo absent ;; *) printf 'error %s\\n' "${{s##*: }}" ;; esac
  exit 0
fi
printf 'stat %s\\n' "$s"
printf 'names %s\\n' "$(stat $L -c '%U %G' -- "$p")"
a=-; [ -r "$p" ] && a=${{a}}r; [ -w "$p" ] && a=${{a}}w; [ -x "$p" ] && a=${{a}}x
printf 'access %s\\n' "$a"
if [ -z "$L" ] && [ -L "$p" ]; then
  printf 'target-b64 %s\\n' "$(readlink -- "$p" | base64 | tr -d '\\n')"
  printf 'source-b64 %s\\n' "$(readlink -m -- "$p" | base64 | tr -d '\\n')"
elif [ -n "$3" ] && [ -f "$p" ] && [ -r "$p" ]; then
  printf 'checksum %s\\n' "$("$3" < "$p")"
fi
if [ "$4" = mime ] && command -v file >/dev/null; then
  printf 'mime %s\\n' "$(file -b --mime-type --mime-encoding -- "$p")"
fi
if [ "$5" = attributes ] && command -v lsattr >/dev/null && a=$(lsattr -vd -- "$p" 2>/dev/null); then
  printf 'lsattr %s\\n' "$a"
fi"""
"""Arguments: the path, `follow` or not, the checksum tool (empty: none), `mime` or not, `attributes` or not.

A link's target and resolved path may hold newlines: they are printed in base64, so no name on the host can
forge the lines after them (as the file facts do).
"""

FILE_ATTRIBUTES: Mapping[str, str] = {
    "A": "noatime",
    "a": "append",
    "c": "compressed",
    "C": "nocow",
    "d": "nodump",
    "D": "dirsync",
    "e": "extents",
    "E": "encrypted",
    "h": "blocksize",
    "i": "immutable",
    "I": "indexed",
    "j": "journalled",
    "N": "inline",
    "s": "zero",
    "S": "synchronous",
    "t": "notail",
    "T": "blockroot",
    "u": "undelete",
    "X": "compressedraw",
    "Z": "compresseddirty",
}
"""lsattr's letters and Ansible's names for them (module_utils.common.file.FILE_ATTRIBUTES)."""


@dataclass(frozen=True)
class StatOptions:
    """What a stat reads besides the inode: follow links, the checksum algorithm (None: no checksum), MIME
    type (with `file`) and file attributes (with `lsattr`)."""

    follow: bool = False
    checksum: str | None = "sha1"
    mime: bool = True
    attributes: bool = True

    def describe(self) -> str:
        """`sha1,mime,attributes`: the options in a fact key."""
        words = ["follow"] if self.follow else []
        words += [self.checksum] if self.checksum else []
        words += [name for name, on in (("mime", self.mime), ("attributes", self.attributes)) if on]
        return ",".join(words)


@dataclass(frozen=True)
class PathStat:
    """One path's stat as the host reported it; `error` is set when it could not be read (not when absent)."""

    path: str
    exists: bool
    st_mode: int = 0
    uid: int = 0
    gid: int = 0
    size: int = 0
    inode: int = 0
    dev: int = 0
    nlink: int = 0
    atime: float = 0.0
    mtime: float = 0.0
    ctime: float = 0.0
    blocks: int = 0
    block_size: int = 0
    device_type: int = 0
    owner: str | None = None
    group: str | None = None
    readable: bool = False
    writeable: bool = False
    executable: bool = False
    link_target: str | None = None
    link_source: str | None = None
    checksum: str | None = None
    mime: str | None = None
    lsattr: str | None = None
    error: str | None = None

    @classmethod
    def from_json(cls, path: str, data: Any) -> PathStat:
        """Build from a fixture: "absent", `{"error": msg}`, or a mapping of the fields (`type` gives st_mode's
        file type bits with `mode`: file, directory, link, fifo, socket, char, block)."""
        if data == "absent" or data is None:
            return cls(path=path, exists=False)
        if not isinstance(data, Mapping):
            raise TypeError(f"stat fact for {path}: expected a mapping or 'absent', got {data!r}")
        if "error" in data:
            return cls(path=path, exists=False, error=str(data["error"]))
        kind = str(data.get("type", "file"))
        if kind not in _TYPE_BITS:
            raise ValueError(f"stat fact for {path}: unknown type {kind!r}")
        default_mode = {"directory": "0755", "link": "0777"}.get(kind, "0644")
        fields: dict[str, Any] = {
            key: data[key] for key in cls.__dataclass_fields__ if key in data and key not in ("path", "exists")
        }
        access = str(data.get("access", "rw"))
        return cls(
            path=path,
            exists=True,
            **{
                **fields,
                "st_mode": _TYPE_BITS[kind] | int(str(data.get("mode", default_mode)), 8),
                "owner": data.get("owner", "root"),
                "group": data.get("group", "root"),
                "readable": "r" in access,
                "writeable": "w" in access,
                "executable": "x" in access,
            },
        )


_TYPE_BITS: Mapping[str, int] = {
    "socket": 0o140000,
    "link": 0o120000,
    "file": 0o100000,
    "block": 0o060000,
    "directory": 0o040000,
    "char": 0o020000,
    "fifo": 0o010000,
}


@dataclass(frozen=True)
class StatFact:
    """The stat of `path` with `options` (see PathStat)."""

    path: str
    options: StatOptions = StatOptions()

    @property
    def key(self) -> str:
        return f"stat[{self.options.describe()}]:{self.path}"

    def script(self) -> str:
        options = self.options
        words = (
            self.path,
            "follow" if options.follow else "",
            CHECKSUM_TOOLS[options.checksum] if options.checksum else "",
            "mime" if options.mime else "",
            "attributes" if options.attributes else "",
        )
        return f"set -- {shlex.join(words)}\n{_SCRIPT}"

    def parse(self, raw: RawFact) -> PathStat:
        return parse_stat_output(self.path, raw.output)

    def value_from_json(self, data: Any) -> PathStat:
        """The fact's value from its JSON form (test fixtures)."""
        return PathStat.from_json(self.path, data)


def _epoch(text: str) -> float:
    """`%.9Y` (seconds.nanoseconds) as Python's st_mtime computes it."""
    seconds, _, fraction = text.partition(".")
    return int(seconds) + int(fraction or "0") * 1e-9


def _device(major_hex: str, minor_hex: str) -> int:
    """glibc's makedev of a device's major and minor numbers (st_rdev)."""
    major, minor = int(major_hex, 16), int(minor_hex, 16)
    return ((major & 0xFFFFF000) << 32) | ((major & 0xFFF) << 8) | ((minor & 0xFFFFFF00) << 12) | (minor & 0xFF)


def _decoded(path: str, encoded: str) -> str:
    try:
        text = base64.b64decode(encoded, validate=True).decode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"stat fact for {path}: bad name encoding: {exc}") from None
    return text.removesuffix("\n")


def parse_stat_output(path: str, output: str) -> PathStat:
    """Parse the snippet's `absent`, `error MSG`, or `stat ...` line and the lines after it."""
    lines: dict[str, str] = {}
    for line in output.strip("\n").split("\n"):
        word, _, rest = line.partition(" ")
        lines.setdefault(word, rest)
    if "absent" in lines:
        return PathStat(path=path, exists=False)
    if "error" in lines:
        return PathStat(path=path, exists=False, error=lines["error"])
    words = lines.get("stat", "").split(" ")
    if len(words) != 14:
        raise ValueError(f"stat fact for {path}: unexpected output {output!r}")
    names = lines.get("names", "").split(" ")
    owner, group = [*names, "", ""][:2]
    access = lines.get("access", "-")
    checksum = lines.get("checksum")
    return PathStat(
        path=path,
        exists=True,
        st_mode=int(words[0], 16),
        uid=int(words[1]),
        gid=int(words[2]),
        size=int(words[3]),
        inode=int(words[4]),
        dev=int(words[5]),
        nlink=int(words[6]),
        atime=_epoch(words[7]),
        mtime=_epoch(words[8]),
        ctime=_epoch(words[9]),
        blocks=int(words[10]),
        block_size=int(words[11]),
        device_type=_device(words[12], words[13]),
        owner=owner if owner and owner != "UNKNOWN" else None,
        group=group if group and group != "UNKNOWN" else None,
        readable="r" in access,
        writeable="w" in access,
        executable="x" in access,
        link_target=_decoded(path, lines["target-b64"]) if "target-b64" in lines else None,
        link_source=_decoded(path, lines["source-b64"]) if "source-b64" in lines else None,
        checksum=checksum.split(" ", 1)[0] if checksum else None,
        mime=lines.get("mime"),
        lsattr=lines.get("lsattr"),
    )
