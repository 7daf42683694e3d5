"""apt_repository: add or remove an APT repository line (one-line `deb`/`deb-src` format).

As Ansible's apt_repository:
- The line is compared, whitespace collapsed and comments aside, with every line of /etc/apt/sources.list
  and /etc/apt/sources.list.d/*.list. `present`: found enabled anywhere, nothing changes; found only
  commented out, those lines are enabled; else it is appended to sources.list.d/<filename>.list, where
  the file name is `filename` or made from the repository's address as Ansible makes it (options in
  `[...]` and the scheme dropped, user and password dropped, every run of other characters than letters
  and digits becoming one `_`: `deb [signed-by=/k.gpg] https://pkg.example.org/deb stable main` goes to
  `pkg_example_org_deb.list`). `absent`: every enabled copy is removed; a file left empty is deleted.
- A file that changes is written whole, every line in Ansible's form (`# ` before a disabled line,
  ` # ` before a comment). A new file gets `mode` (default 0644).
- `update_cache` (default true) runs `apt-get update` after a change.
Not supported (refused): PPAs (`ppa:` repositories), codename, update_cache_retries and
update_cache_retry_max_delay; a symlinked sources file that would change fails the task.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.packages import SOURCES_DIR, SOURCES_LIST, AptCacheAgeFact, AptSourcesFact, SourcesFile
from deployctl.modules.base import Action, Diff, Module, Param, Plan, PutFile, RunCommand, no_change
from deployctl.modules.filemodes import octal_mode_problem
from deployctl.modules.planning import failed, join_path
from deployctl.modules.values import line_problem

VALID_SOURCE_TYPES = ("deb", "deb-src")
SOURCES_KEY = AptSourcesFact().key
DEFAULT_MODE = "0644"

APT_REPOSITORY_PARAMS: Mapping[str, Param] = {
    "repo": Param("str", required=True, check=line_problem),
    "state": Param("str", default="present", choices=("absent", "present")),
    "mode": Param("mode", check=octal_mode_problem),
    "update_cache": Param("bool", default=True, aliases=("update-cache",)),
    "filename": Param("str", check=line_problem),
    "install_python_apt": Param("bool", default=True),
    "validate_certs": Param("bool", default=True),
}


@dataclass(frozen=True)
class SourceLine:
    """One line of a sources file as Ansible's apt_repository reads it."""

    valid: bool
    enabled: bool
    source: str
    comment: str

    @classmethod
    def parse(cls, line: str) -> SourceLine:
        """Ansible's SourcesList._parse: a leading `#` disables, a later `#` starts a comment."""
        line = line.strip()
        enabled = True
        comment = ""
        if line.startswith("#"):
            enabled = False
            line = line[1:]
        index = line.find("#")
        if index > 0:
            comment = line[index + 1 :].strip()
            line = line[:index]
        source = line.strip()
        valid = False
        if source:
            chunks = source.split()
            if chunks[0] in VALID_SOURCE_TYPES:
                valid = True
                source = " ".join(chunks)
        return cls(valid, enabled, source, comment)

    def render(self) -> str:
        """The line as Ansible writes it back."""
        return ("" if self.enabled else "# ") + self.source + (f" # {self.comment}" if self.comment else "") + "\n"


def suggested_filename(source: str, filename: str | None) -> str:
    """The sources.list.d file for a new line: Ansible's _suggest_filename and _expand_path."""
    if filename is not None:
        name = f"{filename}.list"
    else:
        line = re.sub(r"\[[^\]]+\]", "", source)
        line = re.sub(r"\w+://", "", line)
        parts = [part for part in line.split() if part not in VALID_SOURCE_TYPES]
        first = parts[0].split("@", 1)[-1] if parts else ""
        name = "_".join(re.sub("[^a-zA-Z0-9]", " ", first).split()) + ".list"
    return name if "/" in name else join_path(SOURCES_DIR, name)


def apt_repository_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """Every sources file in the one-line format."""
    return [AptSourcesFact()]


def _matches(line: SourceLine, wanted: SourceLine) -> bool:
    return line.valid and line.source == wanted.source


def _dump(lines: list[SourceLine]) -> str:
    return "".join(line.render() for line in lines)


def plan_apt_repository(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the sources files' new text, and the list refresh; see the module docstring."""
    repo: str = params["repo"]
    if repo.startswith("ppa:"):
        return failed("PPA repositories are not supported (Ubuntu only)")
    wanted = SourceLine.parse(repo)
    if not wanted.valid or not wanted.enabled:
        return failed(f"Invalid repository string: {repo}")
    found = facts[SOURCES_KEY]
    files: dict[str, tuple[SourcesFile, list[SourceLine]]] = {
        entry.path: (entry, [SourceLine.parse(line) for line in entry.text.splitlines()])
        for entry in sorted(found, key=lambda entry: (entry.path != SOURCES_LIST, entry.path))
    }
    before = {path: _dump(lines) for path, (_, lines) in files.items() if lines}
    after = dict(before)
    appended_to: str | None = None
    for path, (_, lines) in files.items():
        if params["state"] == "present":
            lines[:] = [
                SourceLine(True, True, line.source, line.comment) if _matches(line, wanted) else line for line in lines
            ]
        else:
            lines[:] = [line for line in lines if not (_matches(line, wanted) and line.enabled)]
        if lines:
            after[path] = _dump(lines)
        else:
            after.pop(path, None)
    if params["state"] == "present" and not any(
        _matches(line, wanted) for _, lines in files.values() for line in lines
    ):
        appended_to = suggested_filename(wanted.source, params.get("filename"))
        existing = after.get(appended_to, "")
        after[appended_to] = existing + SourceLine(True, True, wanted.source, "").render()
    result: dict[str, Any] = {"repo": repo, "state": params["state"]}
    if before == after:
        word = "present" if params["state"] == "present" else "absent"
        return no_change(f"{wanted.source}: already {word}", **result, sources_added=[], sources_removed=[])
    return _plan_writes(params, files, before, after, appended_to, result)


def _plan_writes(
    params: Mapping[str, Any],
    files: Mapping[str, tuple[SourcesFile, list[SourceLine]]],
    before: Mapping[str, str],
    after: Mapping[str, str],
    appended_to: str | None,
    result: dict[str, Any],
) -> Plan:
    actions: list[Action] = []
    diffs: list[Diff] = []
    for path in sorted(set(before) | set(after)):
        if before.get(path) == after.get(path):
            continue
        entry = files[path][0] if path in files else None
        if entry is not None and entry.link:
            return failed(f"{path} is a symlink: deployctl does not write sources files through links")
        if path in after:
            mode = (params["mode"] or DEFAULT_MODE) if path == appended_to or entry is None else entry.mode
            actions.append(PutFile(path=path, content=after[path].encode("utf-8"), mode=mode))
        else:
            actions.append(RunCommand(("rm", "-f", "--", path)))
        diffs.append(Diff(resource=path, before=before.get(path, ""), after=after.get(path, "")))
    invalidates = [SOURCES_KEY, *(f"file:{diff.resource}" for diff in diffs)]
    if params["update_cache"]:
        actions.append(RunCommand(("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-q", "update")))
        invalidates.append(AptCacheAgeFact().key)
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    return Plan(
        changed=True,
        summary=f"{'add' if params['state'] == 'present' else 'remove'} {SourceLine.parse(params['repo']).source}"
        + (" and update the apt lists" if params["update_cache"] else ""),
        actions=tuple(actions),
        diffs=tuple(diffs),
        invalidates=tuple(invalidates),
        result={**result, "sources_added": added, "sources_removed": removed},
    )


APT_REPOSITORY = Module(
    name="apt_repository",
    params=APT_REPOSITORY_PARAMS,
    facts=apt_repository_facts,
    plan=plan_apt_repository,
    doc=__doc__ or "",
)
