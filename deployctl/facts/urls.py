"""What a URL serves, read on the host with python3 (the host fetches, as Ansible's get_url does).

The content is hashed as it streams and never kept: the fact is its sha256, its size and the digest a
task's `checksum` names. When the destination already has that checksum (and `force` is off), the URL
is not fetched at all, as Ansible skips the download then.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import RawFact

_FETCH_SCRIPT = r"""
import hashlib, json, os, ssl, sys, urllib.error, urllib.request
url, dest, name, algo, checksum, force, timeout, verify, headers = sys.argv[1:10]
target = os.path.join(dest, name) if os.path.isdir(dest) else dest
def digest(path):
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
if checksum and force != "1" and os.path.isfile(target):
    try:
        if digest(target) == checksum:
            print(json.dumps({"skipped": True}))
            sys.exit(0)
    except OSError:
        pass
context = None if verify == "1" else ssl._create_unverified_context()
request = urllib.request.Request(url, headers=json.loads(headers))
try:
    with urllib.request.urlopen(request, timeout=float(timeout), context=context) as response:
        whole, named, size = hashlib.sha256(), hashlib.new(algo or "sha256"), 0
        for chunk in iter(lambda: response.read(1 << 20), b""):
            whole.update(chunk)
            named.update(chunk)
            size += len(chunk)
        found = {"status": response.status or 200, "sha256": whole.hexdigest(), "size": size}
        found["digest"] = named.hexdigest() if algo else None
except urllib.error.HTTPError as error:
    found = {"status": error.code, "error": str(error.reason)}
except Exception as error:
    found = {"status": -1, "error": str(error)}
print(json.dumps(found))
"""


@dataclass(frozen=True)
class UrlInfo:
    """A fetch's outcome: `skipped` (the destination already has the checksum), or the HTTP status with the
    content's sha256, size and `digest` (in the checksum's algorithm), or an `error`."""

    skipped: bool = False
    status: int = 0
    sha256: str | None = None
    size: int | None = None
    digest: str | None = None
    error: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> UrlInfo:
        """Build from the fact's JSON (the host's output, and test fixtures)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"url fact: expected a mapping, got {data!r}")
        return cls(
            skipped=bool(data.get("skipped", False)),
            status=int(data.get("status", 0)),
            sha256=str(data["sha256"]) if data.get("sha256") is not None else None,
            size=int(data["size"]) if data.get("size") is not None else None,
            digest=str(data["digest"]) if data.get("digest") is not None else None,
            error=str(data["error"]) if data.get("error") is not None else None,
        )


@dataclass(frozen=True)
class UrlFact:
    """What `url` serves (fetched with `headers`, `timeout`, certificate checks unless `verify` is off), unless
    the destination (`dest`, or `dest/name` when dest is a directory) already has `checksum` in `algorithm`."""

    url: str
    dest: str
    name: str
    algorithm: str = ""
    checksum: str = ""
    force: bool = False
    timeout: int = 10
    verify: bool = True
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        check = f"{self.algorithm}:{self.checksum}" if self.checksum else ""
        return f"url:{self.url}|{self.dest}|{check}|{'force' if self.force else ''}"

    def script(self) -> str:
        words = (
            self.url,
            self.dest,
            self.name,
            self.algorithm,
            self.checksum,
            "1" if self.force else "0",
            str(self.timeout),
            "1" if self.verify else "0",
            json.dumps(dict(self.headers)),
        )
        return (
            "command -v python3 >/dev/null 2>&1 || "
            """{ echo '{"status": -1, "error": "python3 is missing"}'; exit 0; }\n"""
            f"python3 -c {shlex.quote(_FETCH_SCRIPT)} {shlex.join(words)}"
        )

    def parse(self, raw: RawFact) -> UrlInfo:
        lines = [line for line in raw.output.splitlines() if line.strip()]
        if not lines:
            return UrlInfo(status=-1, error=f"no output from the fetch (exit {raw.exit_code})")
        return UrlInfo.from_json(json.loads(lines[-1]))

    def value_from_json(self, data: Any) -> UrlInfo:
        """The fact's value from its JSON form (test fixtures)."""
        return UrlInfo.from_json(data)
