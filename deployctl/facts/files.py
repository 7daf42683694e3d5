"""Facts about paths: what a file is (type, mode, owner, checksum, content) and whether a glob matches."""

from __future__ import annotations

import base64
import binascii
import hashlib
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

from deployctl.facts.base import RawFact

CONTENT_LIMIT = 256 * 1024
"""Regular files up to this size are read whole (base64); larger ones only get their sha256."""

FileType = Literal["absent", "file", "directory", "link", "other"]
FILE_TYPES: tuple[FileType, ...] = ("absent", "file", "directory", "link", "other")


@dataclass(frozen=True)
class FileInfo:
    """One path as `lstat` sees it; for a symlink, `resolved` describes the file it finally points to.

    `mode` is a 4-digit octal string ("0644"). `content` is set for readable regular files up to
    CONTENT_LIMIT bytes; `sha256` for every readable regular file; `readable` is False when the file
    exists but could not be read (no become).
    """

    path: str
    type: FileType
    mode: str | None = None
    owner: str | None = None
    group: str | None = None
    uid: int | None = None
    gid: int | None = None
    size: int | None = None
    sha256: str | None = None
    content: bytes | None = None
    readable: bool = True
    link_target: str | None = None
    resolved: FileInfo | None = None

    @property
    def exists(self) -> bool:
        return self.type != "absent"

    def followed(self) -> FileInfo:
        """The file this path refers to once symlinks are followed (absent for a dangling link)."""
        if self.type != "link":
            return self
        if self.resolved is None:
            return FileInfo(path=self.path, type="absent")
        return self.resolved

    @classmethod
    def from_json(cls, path: str, data: Any) -> FileInfo:
        """Build from a fixture: "absent", or a mapping with `type` and optional fields.

        `content` (text) or `content_b64` give the bytes; `size` and `sha256` default to theirs.
        `owner`/`group` default to root, `mode` to 0644 (0755 for directories, 0777 for links).
        """
        if data == "absent" or data is None:
            return cls(path=path, type="absent")
        if not isinstance(data, Mapping):
            raise TypeError(f"file fact for {path}: expected a mapping or 'absent', got {data!r}")
        kind = data.get("type", "file")
        if kind not in FILE_TYPES:
            raise ValueError(f"file fact for {path}: unknown type {kind!r}")
        if kind == "absent":
            return cls(path=path, type="absent")
        content: bytes | None = None
        if "content" in data:
            content = str(data["content"]).encode("utf-8")
        elif "content_b64" in data:
            content = base64.b64decode(str(data["content_b64"]))
        default_mode = {"directory": "0755", "link": "0777"}.get(kind, "0644")
        resolved = data.get("resolved")
        target = data.get("link_target")
        return cls(
            path=path,
            type=cast(FileType, kind),
            mode=str(data.get("mode", default_mode)),
            owner=str(data.get("owner", "root")),
            group=str(data.get("group", "root")),
            uid=int(data.get("uid", 0)),
            gid=int(data.get("gid", 0)),
            size=int(data["size"]) if "size" in data else (len(content) if content is not None else 0),
            sha256=str(data["sha256"]) if "sha256" in data else _sha256(content),
            content=content,
            readable=bool(data.get("readable", True)),
            link_target=str(target) if target is not None else None,
            resolved=(
                cls.from_json(str(resolved.get("path", "")), resolved) if isinstance(resolved, Mapping) else None
            ),
        )


def _sha256(content: bytes | None) -> str | None:
    return hashlib.sha256(content).hexdigest() if content is not None else None


_DESCRIBE_FUNCTIONS = f"""describe() {{
  if [ -L "$1" ]; then t=link
  elif [ -d "$1" ]; then t=directory
  elif [ -f "$1" ]; then t=file
  elif [ -e "$1" ]; then t=other
  else echo absent; return 0
  fi
  s=$(stat -c "%a %u %g %s %U %G" -- "$1") || {{ echo stat-failed; return 0; }}
  printf 'stat %s %s\\n' "$t" "$s"
  case $t in
    link) printf 'target-b64 %s\\n' "$(readlink -- "$1" | base64 | tr -d '\\n')" ;;
    file) z=${{s#* * * }}; content "$1" "${{z%% *}}" ;;
  esac
}}
content() {{
  if [ ! -r "$1" ]; then echo unreadable
  elif [ "$2" -le {CONTENT_LIMIT} ]; then echo content-begin; base64 < "$1"; echo content-end
  else printf 'sha256 '; sha256sum < "$1"
  fi
}}
describe_path() {{
  describe "$1"
  if [ -L "$1" ] && r=$(readlink -f -- "$1" && echo x) && [ -n "$r" ]; then
    r=${{r%?x}}
    printf 'resolved-b64 %s\\n' "$(printf %s "$r" | base64 | tr -d '\\n')"
    describe "$r"
  fi
}}"""
"""Shell functions printing what FileFact parses: `describe_path PATH` (a path, and the file a link resolves to).

A link's target and resolved path are host data that may hold newlines: they are printed in base64 (as file
content is), so no name on the host can forge the lines after it. `readlink` prints the target and a newline
(dropped by the parser); the resolved path keeps its own trailing newlines (the `x` guard).
"""


def describe_script(path_word: str) -> str:
    """A snippet printing what parse_file_output parses for the path `path_word` names (a quoted word or a
    shell expansion such as `"$f"`, for facts whose path is known only on the host)."""
    return f"{_DESCRIBE_FUNCTIONS}\ndescribe_path {path_word}"


_FIND_FORMAT = "%y %m %U %G %s %u %g %p\\n"
"""find's line per path: type letter, octal mode, uid, gid, size, owner, group, the path as given."""


@dataclass(frozen=True)
class FileFact:
    """What is at `path` (see FileInfo); symlinks are described and followed."""

    path: str

    @property
    def key(self) -> str:
        return f"file:{self.path}"

    @property
    def group(self) -> PathsGroup | None:
        """Read with every other path of the batch by one `find`, when `path` is one it can take."""
        return PATHS if groupable_path(self.path) else None

    def script(self) -> str:
        return describe_script(shlex.quote(self.path))

    def parse(self, raw: RawFact) -> FileInfo:
        return parse_file_output(self.path, raw.output)

    def value_from_json(self, data: Any) -> FileInfo:
        """The fact's value from its JSON form (test fixtures)."""
        return FileInfo.from_json(self.path, data)


def groupable_path(path: str) -> bool:
    """Whether `path` can go through the grouped `find`: absolute (never an expression to find), and one line
    that `read` gives back unchanged (no newline, no trailing blank)."""
    return path.startswith("/") and "\n" not in path and path == path.rstrip(" \t")


@dataclass(frozen=True)
class PathsGroup:
    """Every FileFact of a batch read together: one GNU `find -printf` gives type, mode and owner of all paths,
    then one `base64` per small regular file (links are described and followed one by one, as FileFact does).

    Without GNU find (no `-printf`: the sentinel line for `/` is missing) each path is described on its own.
    The output is one block per path, headed by the batch's marker and the path, in FileFact's format.
    """

    name: str = "paths"

    def script(self, facts: Sequence[Any], marker: str) -> str:
        paths = " ".join(shlex.quote(fact.path) for fact in facts)
        header = shlex.quote(f"{marker} path ")
        return f"""{_DESCRIBE_FUNCTIONS}
set -- {paths}
m=$(find / "$@" -maxdepth 0 -printf '{_FIND_FORMAT}')
case $m in
  "d "*" /"|"d "*" /
"*) ;;
  *) for p do printf '%s%s\\n' {header} "$p"; describe_path "$p"; done; exit 0 ;;
esac
sentinel=1
while read -r y mode uid gid size owner group p; do
  if [ -n "$sentinel" ]; then sentinel=; continue; fi
  printf '%s%s\\n' {header} "$p"
  case $y in
    l) describe_path "$p"; continue ;;
    d) t=directory ;;
    f) t=file ;;
    *) t=other ;;
  esac
  printf 'stat %s %s %s %s %s %s %s\\n' "$t" "$mode" "$uid" "$gid" "$size" "$owner" "$group"
  if [ "$t" = file ]; then content "$p" "$size"; fi
done <<EOF
$m
EOF"""

    def split(self, facts: Sequence[Any], raw: RawFact, marker: str) -> dict[str, Any]:
        header = f"{marker} path "
        blocks: dict[str, str] = {}
        for block in ("\n" + raw.output).split("\n" + header)[1:]:
            path, _, body = block.partition("\n")
            blocks[path] = body
        return {
            fact.key: parse_file_output(fact.path, blocks[fact.path])
            if fact.path in blocks
            else FileInfo(path=fact.path, type="absent")
            for fact in facts
        }


PATHS = PathsGroup()


def parse_file_output(path: str, output: str) -> FileInfo:
    """Parse FileFact's output: one description of `path`, then `resolved` and one more for links."""
    lines = iter(output.strip("\n").split("\n"))
    info = _parse_description(path, lines)
    if info.type != "link":
        return info
    line = next(lines, "")
    if not line:
        return info  # a dangling link or a loop: nothing resolved
    if not line.startswith("resolved-b64 "):
        raise ValueError(f"file fact for {path}: unexpected output {line!r}")
    target_path = _decode_name(path, line[len("resolved-b64 ") :])
    return replace(info, resolved=_parse_description(target_path, lines))


def _decode_name(path: str, encoded: str, errors: str = "strict") -> str:
    """A name the fact script printed in base64; a resolved path must be UTF-8 (commands will name it)."""
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8", errors)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"file fact for {path}: bad name encoding: {exc}") from None


def _parse_description(path: str, lines: Iterator[str]) -> FileInfo:
    first = next(lines, "")
    if first == "absent":
        return FileInfo(path=path, type="absent")
    words = first.split(" ")
    if len(words) != 8 or words[0] != "stat" or words[1] not in FILE_TYPES:
        raise ValueError(f"file fact for {path}: unexpected output {first!r}")
    _, kind, mode, uid, gid, size, owner, group = words
    link_target: str | None = None
    sha256: str | None = None
    content: bytes | None = None
    readable = True
    if kind == "link":
        line = next(lines, "")
        if not line.startswith("target-b64 "):
            raise ValueError(f"file fact for {path}: link target missing")
        link_target = _decode_name(path, line[len("target-b64 ") :], "replace").removesuffix("\n")
    elif kind == "file":
        line = next(lines, "")
        if line == "unreadable":
            readable = False
        elif line == "content-begin":  # a small file: its checksum is computed here, one process less
            content = _parse_content(path, lines)
            sha256 = _sha256(content)
        elif line.startswith("sha256 ") and int(size) > CONTENT_LIMIT:  # `sha256sum` output: "<hex>  -"
            sha256 = line[len("sha256 ") :].split(" ", 1)[0]
        else:
            raise ValueError(f"file fact for {path}: content missing")
    return FileInfo(
        path=path,
        type=cast(FileType, kind),
        mode=f"{int(mode, 8):04o}",
        owner=owner,
        group=group,
        uid=int(uid),
        gid=int(gid),
        size=int(size),
        sha256=sha256,
        content=content,
        readable=readable,
        link_target=link_target,
    )


def _parse_content(path: str, lines: Iterator[str]) -> bytes:
    encoded: list[str] = []
    for line in lines:
        if line == "content-end":
            try:
                return base64.b64decode("".join(encoded), validate=True)
            except binascii.Error as exc:
                raise ValueError(f"file fact for {path}: bad content encoding: {exc}") from None
        encoded.append(line)
    raise ValueError(f"file fact for {path}: content cut short")


@dataclass(frozen=True)
class PathExistsFact:
    """Whether anything (a dangling symlink included) matches `pattern`, a path or a shell glob.

    A leading `~/` means the home directory of the user the fact runs as, as Ansible expands it.
    """

    pattern: str

    @property
    def key(self) -> str:
        return f"exists:{self.pattern}"

    def script(self) -> str:
        quoted = shlex.quote(self.pattern)
        if self.pattern == "~" or self.pattern.startswith("~/"):
            quoted = '"$HOME"' + shlex.quote(self.pattern[1:]) if len(self.pattern) > 1 else '"$HOME"'
        return (
            f"p={quoted}\n"
            "IFS=''\n"
            'for f in $p; do if [ -e "$f" ] || [ -L "$f" ]; then echo present; exit 0; fi; done\n'
            "echo absent"
        )

    def parse(self, raw: RawFact) -> bool:
        words = raw.output.split()
        if not words or words[-1] not in ("present", "absent"):
            raise ValueError(f"exists fact for {self.pattern}: unexpected output {raw.output!r}")
        return words[-1] == "present"

    def value_from_json(self, data: Any) -> bool:
        """The fact's value from its JSON form (test fixtures): a boolean."""
        if not isinstance(data, bool):
            raise TypeError(f"exists fact for {self.pattern}: expected a boolean, got {data!r}")
        return data


UMASK_KEY = "umask"


@dataclass(frozen=True)
class UmaskFact:
    """The umask of the shell that runs the host's commands: what files created there get masked by."""

    @property
    def key(self) -> str:
        return UMASK_KEY

    def script(self) -> str:
        return "umask"

    def parse(self, raw: RawFact) -> int:
        text = raw.output.strip()
        if raw.exit_code != 0 or not text or any(char not in "01234567" for char in text):
            raise ValueError(f"umask fact: unexpected output {raw.output!r}")
        return int(text, 8)

    def value_from_json(self, data: Any) -> int:
        """The fact's value from its JSON form (test fixtures): an octal string such as "0022"."""
        return int(str(data), 8)
