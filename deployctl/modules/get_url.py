"""get_url: download a file from a URL onto the host (the host fetches it, with python3).

As Ansible's get_url:
- `dest` is the file, or an existing directory that gets the file named after the URL's last path part
  (`index.html` when it has none; a Content-Disposition name is not used).
- `checksum` (`algorithm:hex`, any algorithm of Python's hashlib) is checked on the download, which
  fails when it differs; with `force` off, a destination that already has the checksum is not fetched
  and only its `owner`/`group`/`mode` are brought in line.
- Otherwise the URL is fetched (`headers`, `timeout`, `validate_certs`, `http_agent`) and the file is
  replaced only when the content differs; that is Ansible's result, which it reaches through a
  conditional request for an existing file without a checksum.
- The download goes to a temporary file beside the destination, is checked against the sha256 the plan
  saw (the task fails if the URL's content changed meanwhile), gets its owner, group and mode (kept
  from the file it replaces unless given), then is renamed over the destination.
Not supported (refused): url_username/url_password and the other authentication settings, checksums
given as a URL, backup, tmp_dest, unredirected_headers, decompress, ciphers, use_netrc, client certs.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from deployctl.facts.base import Fact
from deployctl.facts.files import FileFact, FileInfo
from deployctl.facts.urls import UrlFact, UrlInfo
from deployctl.modules.base import Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.fileattrs import (
    ATTRIBUTE_PARAMS,
    WantedAttributes,
    attribute_changes,
    content_text,
    group_word,
    mode_facts,
    owner_word,
    untrusted_link,
)
from deployctl.modules.planning import fact, failed, join_path, parent_dir
from deployctl.modules.values import line_problem

ALGORITHMS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
"""The checksum algorithms Ansible's get_url documents (hashlib's guaranteed ones)."""


def url_problem(value: str) -> str | None:
    """A URL get_url can fetch: http, https, ftp or file, on one line, without credentials."""
    problem = line_problem(value)
    if problem is not None:
        return problem
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https", "ftp", "file"):
        return f"{value!r} is not an http, https, ftp or file URL"
    if "@" in parts.netloc:
        return "credentials in the URL are not supported (they would show in results); the URL is not shown"
    return None


GET_URL_PARAMS: Mapping[str, Param] = {
    "url": Param("str", required=True, check=url_problem),
    "dest": Param("path", required=True),
    "checksum": Param("str", default=""),
    "force": Param("bool", default=False, aliases=("thirsty",)),
    "headers": Param("dict"),
    "timeout": Param("int", default=10),
    "validate_certs": Param("bool", default=True),
    "http_agent": Param("str", default="ansible-httpget"),
    "use_proxy": Param("bool", default=True),
    **ATTRIBUTE_PARAMS,
}

_DOWNLOAD_SCRIPT = r"""
import grp, hashlib, json, os, pwd, ssl, sys, tempfile, urllib.request
a = json.load(sys.stdin)
context = None if a["verify"] else ssl._create_unverified_context()
request = urllib.request.Request(a["url"], headers=a["headers"])
fd, temporary = tempfile.mkstemp(dir=os.path.dirname(a["dest"]) or ".", prefix=".deployctl-get_url-")
try:
    whole = hashlib.sha256()
    with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=a["timeout"], context=context) as r:
        for chunk in iter(lambda: r.read(1 << 20), b""):
            whole.update(chunk)
            out.write(chunk)
    if whole.hexdigest() != a["sha256"]:
        sys.exit("%s changed since it was read: sha256 %s, planned %s" % (a["url"], whole.hexdigest(), a["sha256"]))
    owner, group = a["owner"], a["group"]
    uid = -1 if owner is None else int(owner) if owner.isdigit() else pwd.getpwnam(owner).pw_uid
    gid = -1 if group is None else int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
    os.chown(temporary, uid, gid)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, int(a["mode"], 8) if a["mode"] else 0o666 & ~umask)
    os.rename(temporary, a["dest"])
except BaseException:
    os.unlink(temporary)
    raise
"""
"""Download to a temporary file beside the destination, check it, set its attributes, rename it into place."""


def url_filename(url: str) -> str:
    """The file name Ansible gives a download into a directory: the URL path's last part, else index.html."""
    return posixpath.basename(urlsplit(url).path) or "index.html"


def _checksum(params: Mapping[str, Any]) -> tuple[str, str] | str:
    """(algorithm, hex digest) from `checksum`, ("", "") when there is none, or the problem with it."""
    text: str = params["checksum"]
    if not text:
        return "", ""
    algorithm, sep, digest = text.partition(":")
    if not sep:
        return "The checksum parameter has to be in format <algorithm>:<checksum>"
    if "://" in digest:
        return "a checksum given as a URL is not supported: give algorithm:hex"
    if algorithm.lower() not in ALGORITHMS:
        return f"unsupported checksum algorithm {algorithm!r} (one of {', '.join(ALGORITHMS)})"
    digest = "".join(char for char in digest if char.isalnum()).lower()
    if not digest or any(char not in "0123456789abcdef" for char in digest):
        return "The checksum format is invalid"
    return algorithm.lower(), digest


def _headers(params: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    headers = {"User-Agent": params["http_agent"]} if params["http_agent"] else {}
    headers.update({str(name): str(value) for name, value in (params.get("headers") or {}).items()})
    return tuple(headers.items())


def _url_fact(params: Mapping[str, Any]) -> UrlFact:
    checksum = _checksum(params)
    algorithm, digest = checksum if isinstance(checksum, tuple) else ("", "")
    return UrlFact(
        url=params["url"],
        dest=params["dest"],
        name=url_filename(params["url"]),
        algorithm=algorithm,
        checksum=digest,
        force=params["force"],
        timeout=params["timeout"],
        verify=params["validate_certs"],
        headers=_headers(params),
    )


def get_url_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The destination, its directory, the file inside it (when dest is a directory) and the URL's content."""
    dest: str = params["dest"]
    parent = parent_dir(dest)
    paths = [dest, *([parent] if parent else []), join_path(dest, url_filename(params["url"]))]
    return [*(FileFact(path) for path in dict.fromkeys(paths)), _url_fact(params), *mode_facts(params)]


def plan_get_url(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the download (or only the attributes); see the module docstring."""
    checksum = _checksum(params)
    if isinstance(checksum, str):
        return failed(checksum)
    dest: str = params["dest"]
    seen = fact(facts, f"file:{dest}", FileInfo)
    if seen.followed().type == "directory":
        if (problem := untrusted_link(seen)) is not None:
            return failed(problem)
        target = join_path(dest, url_filename(params["url"]))
    else:
        target = dest
        parent = parent_dir(dest)
        holder = fact(facts, f"file:{parent}", FileInfo) if parent else None
        if holder is not None and (problem := untrusted_link(holder)) is not None:
            return failed(problem)
        if holder is not None and holder.followed().type != "directory":
            return failed(f"Destination {parent} does not exist")
    info = fact(facts, f"file:{target}", FileInfo)
    current = info.followed()
    if current.type not in ("file", "absent"):
        return failed(f"{target} is not a regular file")
    fetched = fact(facts, _url_fact(params).key, UrlInfo)
    result: dict[str, Any] = {"dest": target, "url": params["url"]}
    if not fetched.skipped:
        if fetched.error is not None or fetched.status != 200 or fetched.sha256 is None:
            return failed(f"Request failed: {fetched.status} {fetched.error or ''}".rstrip(), **result)
        if checksum[1] and fetched.digest != checksum[1]:
            return failed(
                f"The checksum for {params['url']} did not match {checksum[1]}; it was {fetched.digest}.", **result
            )
        result["status_code"] = fetched.status
    wanted = WantedAttributes.from_params(params, facts)
    if fetched.skipped or (current.type == "file" and current.sha256 == fetched.sha256):
        if (problem := untrusted_link(info)) is not None:
            return failed(problem)
        changes = attribute_changes(current.path, current, wanted)
        if not changes.changed:
            return no_change(f"{target} is up to date", **result)
        return changes.plan(
            target, invalidates=tuple(dict.fromkeys([f"file:{target}", f"file:{current.path}"])), result=result
        )
    return _plan_download(params, target, info, fetched, wanted, result)


def _plan_download(
    params: Mapping[str, Any],
    target: str,
    info: FileInfo,
    fetched: UrlInfo,
    wanted: WantedAttributes,
    result: dict[str, Any],
) -> Plan:
    current = info.followed()
    baseline = current if current.type == "file" and untrusted_link(info) is None else None
    wanted = wanted.resolved(baseline)
    request = {
        "url": params["url"],
        "headers": dict(_headers(params)),
        "timeout": params["timeout"],
        "verify": params["validate_certs"],
        "dest": target,
        "sha256": fetched.sha256,
        "mode": wanted.mode or (baseline.mode if baseline else None),
        "owner": wanted.owner or (owner_word(baseline) if baseline else None),
        "group": wanted.group or (group_word(baseline) if baseline else None),
    }
    changes = attribute_changes(target, baseline, wanted)
    diffs = [
        Diff(
            resource=target,
            before=content_text(current.content, current) if current.exists else "",
            after=f"(downloaded from {params['url']}: {fetched.size} bytes, sha256 {fetched.sha256})",
        )
    ]
    if baseline is not None and changes.changed:
        diffs.append(changes.diff(target))
    verb = "update" if baseline is not None else "download"
    return Plan(
        changed=True,
        summary=f"{verb} {target} from {params['url']} ({fetched.size} bytes)",
        actions=(RunCommand(("python3", "-c", _DOWNLOAD_SCRIPT), stdin=json.dumps(request, sort_keys=True).encode()),),
        diffs=tuple(diffs),
        invalidates=tuple(dict.fromkeys([f"file:{target}", f"file:{current.path}"])),
        result=result,
    )


GET_URL = Module(
    name="get_url",
    params=GET_URL_PARAMS,
    facts=get_url_facts,
    plan=plan_get_url,
    doc=__doc__ or "",
)
