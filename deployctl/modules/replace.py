"""replace: replace every match of a regular expression in a file, as Ansible's replace module does.

- `regexp` is a Python regular expression, applied with MULTILINE (`^`/`$` match at each line) to the
  whole file decoded with `encoding` (utf-8); `replace` is Python's replacement template (`\\1`,
  `\\g<name>`; empty by default: matches are deleted).
- `after`/`before` limit the replacement to the text after the first match of `after` and/or before
  `before` (both: the shortest text between them), matched with DOTALL as Ansible does. When they do
  not match, nothing changes, file attributes included.
- A missing file fails (`Path ... does not exist !`); a symlink is followed (the file it points to is
  written, unless the link is owned by a user other than root and its target's owner).
- `backup` copies the file to `path.PID.DATE@TIME~` on the host before writing it.
- owner/group/mode are applied as in the file module, also when no replacement is needed.
Not supported (refused): validate, unsafe_writes, SELinux attributes; files larger than 256 KiB.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.files import FileFact, FileInfo
from deployctl.modules.base import Module, Param, Plan, no_change
from deployctl.modules.fileattrs import ATTRIBUTE_PARAMS, WantedAttributes, mode_facts
from deployctl.modules.fileedit import backup_command, edited_file, plan_edit
from deployctl.modules.planning import fact, failed

REPLACE_PARAMS: Mapping[str, Param] = {
    "path": Param("path", required=True, aliases=("dest", "destfile", "name")),
    "regexp": Param("str", required=True),
    "replace": Param("str", default=""),
    "after": Param("str"),
    "before": Param("str"),
    "backup": Param("bool", default=False),
    "encoding": Param("str", default="utf-8"),
    **ATTRIBUTE_PARAMS,
}


def replace_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The file."""
    return [FileFact(params["path"]), *mode_facts(params)]


def section_pattern(after: str | None, before: str | None) -> str:
    """Ansible's pattern for the part of the file to work on (empty: the whole file)."""
    if after and before:
        return f"{after}(?P<subsection>.*?){before}"
    if after:
        return f"{after}(?P<subsection>.*)"
    if before:
        return f"(?P<subsection>.*){before}"
    return ""


def replaced_text(
    text: str, regexp: str, replacement: str, after: str | None, before: str | None
) -> tuple[str, int] | None:
    """The text after Ansible's replacement and the number of replacements made (0 when the text stays), or
    None when `after`/`before` do not match (nothing to do).

    Raises re.error for a bad expression or replacement template.
    """
    pattern = section_pattern(after, before)
    start, end = 0, len(text)
    if pattern:
        match = re.compile(pattern, re.DOTALL).search(text)
        if match is None:
            return None
        start, end = match.start("subsection"), match.end("subsection")
    section = text[start:end]
    new_section, count = re.compile(regexp, re.MULTILINE).subn(replacement, section)
    if count == 0 or new_section == section:
        return text, 0
    return text[:start] + new_section + text[end:], count


def plan_replace(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the replacements and the file's attributes."""
    path: str = params["path"]
    encoding: str = params["encoding"]
    try:
        codecs.lookup(encoding)
    except LookupError:
        return failed(f"unknown encoding {encoding!r}")
    edited = edited_file(path, fact(facts, f"file:{path}", FileInfo), "replace")
    if isinstance(edited, str):
        return failed(edited)
    if not edited.current.exists:
        return failed(f"Path {path} does not exist !")
    try:
        text = (edited.current.content or b"").decode(encoding)
    except UnicodeDecodeError:
        return failed(f"{path} is not {encoding} text")
    try:
        replaced = replaced_text(text, params["regexp"], params["replace"], params["after"], params["before"])
    except (re.error, IndexError) as exc:
        return failed(f"Unable to process replace due to error: {exc}")
    if replaced is None:
        pattern = section_pattern(params["after"], params["before"])
        return no_change(
            f"{path}: the before/after patterns do not match",
            path=path,
            msg=f"Pattern for before/after params did not match the given file: {pattern}",
        )
    new_text, count = replaced
    wanted = WantedAttributes.from_params(params, facts)
    if count == 0:
        return plan_edit(edited, None, "", wanted, unchanged="nothing to replace")
    before = (backup_command(edited.write_path),) if params["backup"] else ()
    return plan_edit(edited, new_text.encode(encoding), f"{count} replacements made", wanted, before=before)


REPLACE = Module(
    name="replace",
    params=REPLACE_PARAMS,
    facts=replace_facts,
    plan=plan_replace,
    doc=__doc__ or "",
)
