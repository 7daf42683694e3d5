"""Whether an archive's members are already in a folder on the host: the unarchive module's fact.

The listing of an archive (tar, compressed or not, or zip: each member's name, type, size and sha256, or
link target) is made by `archive_members`, on the controller for a controller file and on the host (by
python3, with the same function's source) for a `remote_src` archive. `compare_members` then checks each
member against the folder on the host, as Ansible's unarchive compares an archive with its destination.
"""

from __future__ import annotations

import inspect
import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import RawFact


def archive_members(source: Any) -> tuple[str, list[dict[str, Any]]]:
    """The archive's format ("tar" or "zip") and its members; `source` is a path or a binary file object."""
    import hashlib
    import tarfile
    import zipfile

    def digest(stream: Any) -> tuple[str, int]:
        whole, size = hashlib.sha256(), 0
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            whole.update(chunk)
            size += len(chunk)
        return whole.hexdigest(), size

    members: list[dict[str, Any]] = []
    if zipfile.is_zipfile(source):
        if hasattr(source, "seek"):
            source.seek(0)
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                name = info.filename.rstrip("/")
                if info.is_dir():
                    members.append({"name": name, "type": "directory"})
                    continue
                with archive.open(info) as stream:
                    sha256, size = digest(stream)
                members.append({"name": name, "type": "file", "size": size, "sha256": sha256})
        return "zip", members
    if hasattr(source, "seek"):
        source.seek(0)
    with tarfile.open(
        source if isinstance(source, str) else None, fileobj=None if isinstance(source, str) else source
    ) as tarball:
        for item in tarball:
            name = item.name.rstrip("/").removeprefix("./")
            if not name or name == ".":
                continue
            if item.isdir():
                members.append({"name": name, "type": "directory"})
            elif item.issym():
                members.append({"name": name, "type": "link", "target": item.linkname})
            elif item.isfile() or item.islnk():
                extracted = tarball.extractfile(item)
                sha256, size = digest(extracted) if extracted is not None else ("", 0)
                members.append({"name": name, "type": "file", "size": size, "sha256": sha256})
    return "tar", members


def compare_members(dest: str, members: list[dict[str, Any]], owner: str, group: str) -> dict[str, Any]:
    """Which members are missing from `dest` or differ there (type, content, link target, owner, group)."""
    import grp
    import hashlib
    import pwd
    import stat
    from pathlib import Path

    def wanted_id(name: str, table: Any) -> int | None:
        if not name:
            return None
        if name.isdigit():
            return int(name)
        try:
            return int(table(name)[2])
        except KeyError:
            return -1

    uid, gid = wanted_id(owner, pwd.getpwnam), wanted_id(group, grp.getgrnam)
    missing: list[str] = []
    differs: list[str] = []
    for member in members:
        path = Path(dest) / member["name"]
        try:
            seen = path.lstat()
        except OSError:
            missing.append(member["name"])
            continue
        same = False
        if member["type"] == "directory":
            same = stat.S_ISDIR(seen.st_mode)
        elif member["type"] == "link":
            same = stat.S_ISLNK(seen.st_mode) and str(path.readlink()) == member["target"]
        elif stat.S_ISREG(seen.st_mode) and seen.st_size == member["size"]:
            whole = hashlib.sha256()
            with path.open("rb") as stream:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    whole.update(chunk)
            same = whole.hexdigest() == member["sha256"]
        if same and ((uid is not None and seen.st_uid != uid) or (gid is not None and seen.st_gid != gid)):
            same = False
        if not same:
            differs.append(member["name"])
    return {"missing": missing, "differs": differs}


_HOST_PRELUDE = "from __future__ import annotations\nfrom typing import Any"
"""What the shipped functions' annotations need on the host."""

_HOST_MAIN = """
import json, sys
dest, source, listing, owner, group = sys.argv[1:6]
try:
    if source:
        kind, members = archive_members(source)
    else:
        kind, members = json.loads(listing)
    found = compare_members(dest, members, owner, group)
    found.update({"format": kind, "files": [member["name"] for member in members]})
except Exception as error:
    found = {"error": str(error)}
print(json.dumps(found))
"""


@dataclass(frozen=True)
class ArchiveState:
    """The archive's format and member names, and those missing from the folder or different there
    (`error` when the archive could not be read)."""

    format: str = ""
    files: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    differs: tuple[str, ...] = ()
    error: str | None = None

    @property
    def unarchived(self) -> bool:
        """Every member is in the folder as the archive has it."""
        return self.error is None and not self.missing and not self.differs

    @classmethod
    def from_json(cls, data: Any) -> ArchiveState:
        """Build from the fact's JSON (the host's output, and test fixtures)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"archive fact: expected a mapping, got {data!r}")
        return cls(
            format=str(data.get("format", "")),
            files=tuple(str(name) for name in data.get("files", ())),
            missing=tuple(str(name) for name in data.get("missing", ())),
            differs=tuple(str(name) for name in data.get("differs", ())),
            error=str(data["error"]) if data.get("error") is not None else None,
        )


@dataclass(frozen=True)
class ArchiveFact:
    """An archive's members compared with `dest` on the host: the archive at `source` on the host, or a
    listing made on the controller (`listing`, the JSON of archive_members' result, named by `label`); the
    members' owner and group are compared too when given (`member_owner`, `member_group`: not `group`, which
    names a fact's batch group)."""

    dest: str
    source: str = ""
    listing: str = ""
    label: str = ""
    member_owner: str = ""
    member_group: str = ""

    @property
    def key(self) -> str:
        return f"archive:{self.source or self.label}|{self.dest}|{self.member_owner}:{self.member_group}"

    def script(self) -> str:
        program = "\n".join(
            [_HOST_PRELUDE, inspect.getsource(archive_members), inspect.getsource(compare_members), _HOST_MAIN]
        )
        words = (self.dest, self.source, self.listing, self.member_owner, self.member_group)
        return (
            "command -v python3 >/dev/null 2>&1 || "
            """{ echo '{"error": "python3 is missing"}'; exit 0; }\n"""
            f"python3 -c {shlex.quote(program)} {shlex.join(words)}"
        )

    def parse(self, raw: RawFact) -> ArchiveState:
        lines = [line for line in raw.output.splitlines() if line.strip()]
        if not lines:
            return ArchiveState(error=f"no output from the comparison (exit {raw.exit_code})")
        return ArchiveState.from_json(json.loads(lines[-1]))

    def value_from_json(self, data: Any) -> ArchiveState:
        """The fact's value from its JSON form (test fixtures)."""
        return ArchiveState.from_json(data)
