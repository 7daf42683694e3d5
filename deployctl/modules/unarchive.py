"""unarchive: extract a tar (plain, gzip, bzip2, xz) or zip archive into an existing folder on the host.

As Ansible's unarchive:
- `src` is a controller file (read by the engine, given in `_content`, and copied to the host to be
  extracted), or with `remote_src: true` (or the older `copy: false`) a file already on the host.
- `dest` must be an existing directory; `creates` names a path whose existence means nothing to do.
- The archive is compared with `dest` member by member (type, content, link target, and the owner and
  group when given): extracted only when a member is missing or differs. Ansible compares tar archives
  with `tar --diff`, which also compares modification times and modes; here those are not compared.
- Extraction: `tar --extract -C dest -f archive` (GNU tar detects the compression) or `unzip -o archive
  -d dest`, with `extra_opts` after the archive as Ansible passes them; then `owner`/`group` are set on
  every member (`chown -h`). `list_files` returns the members' names in `files`.
Not supported (refused): mode, include, exclude, keep_newer, io_buffer_size, decrypt, validate_certs and
a URL as `src`.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.archives import ArchiveFact, ArchiveState, archive_members
from deployctl.facts.base import Fact
from deployctl.facts.files import FileFact, FileInfo, PathExistsFact
from deployctl.modules.base import Action, Diff, Module, Param, Plan, PutFile, RunCommand, no_change
from deployctl.modules.planning import fact, failed, join_path
from deployctl.modules.values import account_problem, line_problem

UNARCHIVE_PARAMS: Mapping[str, Param] = {
    "src": Param("path", required=True),
    "dest": Param("path", required=True),
    "remote_src": Param("bool", default=False),
    "copy": Param("bool"),
    "creates": Param("path"),
    "extra_opts": Param("list", default=[], check=line_problem),
    "list_files": Param("bool", default=False),
    "owner": Param("str", check=account_problem),
    "group": Param("str", check=account_problem),
    "_content": Param("raw"),
    "_src_name": Param("str"),
}

STAGED_PREFIX = "/tmp/deployctl-unarchive-"  # noqa: S108 - named by the archive's hash, written atomically as root
"""Where a controller archive is put on the host to be extracted (then removed)."""


def _remote(params: Mapping[str, Any]) -> bool:
    return bool(params["remote_src"] or params.get("copy") is False)


def _listing(params: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]] | None:
    """The controller archive's format and members, or None when it is not read yet (or not an archive)."""
    content = params.get("_content")
    if not isinstance(content, bytes):
        return None
    try:
        return archive_members(io.BytesIO(content))
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError):
        return None


def _archive_fact(params: Mapping[str, Any]) -> ArchiveFact:
    owner, group = params.get("owner") or "", params.get("group") or ""
    if _remote(params):
        return ArchiveFact(dest=params["dest"], source=params["src"], member_owner=owner, member_group=group)
    content = params.get("_content")
    digest = hashlib.sha256(content).hexdigest() if isinstance(content, bytes) else "unread"
    listing = _listing(params)
    return ArchiveFact(
        dest=params["dest"],
        listing=json.dumps(listing) if listing is not None else "",
        label=f"{params['src']}@{digest[:16]}",
        member_owner=owner,
        member_group=group,
    )


def unarchive_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """`creates`, the destination, and the archive's members compared with it."""
    creates = [PathExistsFact(params["creates"])] if params.get("creates") else []
    facts: list[Fact[Any]] = [*creates, FileFact(params["dest"])]
    if _remote(params) or _listing(params) is not None:
        facts.append(_archive_fact(params))
    return facts


def plan_unarchive(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the extraction, or say why nothing changes; see the module docstring."""
    src: str = params["src"]
    dest: str = params["dest"]
    if "://" in src:
        return failed("a URL as src is not supported: fetch it with get_url first")
    creates = params.get("creates")
    if creates and fact(facts, f"exists:{creates}", bool):
        return no_change(f"skipped, since {creates} exists", dest=dest)
    if fact(facts, f"file:{dest}", FileInfo).followed().type != "directory":
        return failed(f"dest '{dest}' must be an existing dir")
    listing = None if _remote(params) else _listing(params)
    if not _remote(params) and listing is None:
        return failed(f"{src} is not a tar or zip archive deployctl can read")
    key = _archive_fact(params).key
    state = fact(facts, key, ArchiveState)
    if state.error is not None:
        return failed(f"cannot compare {src} with {dest}: {state.error}")
    result: dict[str, Any] = {
        "dest": dest,
        "src": src,
        **({"files": list(state.files)} if params["list_files"] else {}),
    }
    if state.unarchived:
        return no_change(f"{src}: already unarchived in {dest}", **result)
    actions: list[Action] = []
    archive = src
    if not _remote(params):
        content: bytes = params["_content"]
        suffix = ".zip" if state.format == "zip" else ".tar"
        archive = f"{STAGED_PREFIX}{hashlib.sha256(content).hexdigest()[:16]}{suffix}"
        actions.append(PutFile(path=archive, content=content, mode="0600"))
    extra = [str(option) for option in params["extra_opts"]]
    if state.format == "zip":
        actions.append(RunCommand(("unzip", "-o", archive, *extra, "-d", dest)))
    else:
        actions.append(RunCommand(("tar", "--extract", "-C", dest, "-f", archive, *extra)))
    if not _remote(params):
        actions.append(RunCommand(("rm", "-f", "--", archive)))
    owner, group = params.get("owner"), params.get("group")
    if owner or group:
        spec = f"{owner}:{group}" if owner and group else owner or group
        tool = "chown" if owner else "chgrp"
        actions.append(RunCommand((tool, "-h", "--", str(spec), *(join_path(dest, name) for name in state.files))))
    changed = [*state.missing, *state.differs]
    return Plan(
        changed=True,
        summary=f"unarchive {src} into {dest} ({len(state.missing)} missing, {len(state.differs)} differing)",
        actions=tuple(actions),
        diffs=(
            Diff(
                resource=dest,
                before="\n".join(f"{name}: {'missing' if name in state.missing else 'differs'}" for name in changed),
                after="\n".join(f"{name}: as in {src}" for name in changed),
            ),
        ),
        invalidates=(
            key,
            f"file:{dest}",
            *(f"file:{join_path(dest, name)}" for name in state.files),
            *([f"exists:{creates}"] if creates else []),
        ),
        result=result,
    )


UNARCHIVE = Module(
    name="unarchive",
    params=UNARCHIVE_PARAMS,
    facts=unarchive_facts,
    plan=plan_unarchive,
    doc=__doc__ or "",
)
