"""authorized_key (ansible.posix.authorized_key): add or remove SSH public keys in a user's authorized_keys.

A port of ansible.posix's module:
- `key` holds one or more keys, one a line (blank lines and `#` lines are skipped); each is parsed as
  Ansible does (options before the key type, the key, the comment after it; `\\#` means `#`).
  `key_options` replaces each key's options and `comment` its comment.
- The file (`path`, by default `~USER/.ssh/authorized_keys`) is read into Ansible's table of keys by
  their key material: unparsable and comment lines are kept as they are (equal lines once), a key found
  twice keeps its last place. `present` adds a missing key after the existing ones, and replaces a key
  whose type, options or comment differ (it moves to the end); `absent` removes the given keys;
  `exclusive` removes every key not given. Keys are written back in order as
  `OPTIONS TYPE KEY COMMENT` (a trailing blank when there is no comment, as Ansible writes).
- Only when the file changes: with `manage_dir`, the file's folder is created (mode 0700) and given to
  the user (owner and primary group, mode 0700); the file is written with owner the user, group the
  user's primary group and mode 0600. With `follow`, a symlink at the path is followed; otherwise it is
  replaced by the file.
- The result holds Ansible's values: user, key, key_options, keyfile, state, exclusive, manage_dir,
  path, validate_certs, follow and comment.
Differences: keys given as a URL (`https://github.com/NAME.keys`) are not fetched (the task fails); a
symlink owned by a user other than root and its target's owner is not read or followed (the task fails).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from deployctl.facts.authorizedkeys import AuthorizedKeysFact, AuthorizedKeysInfo
from deployctl.facts.base import Fact
from deployctl.modules.base import Action, Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.fileattrs import WantedAttributes, attribute_changes, untrusted_link, write_actions
from deployctl.modules.planning import fact, failed, parent_dir
from deployctl.modules.values import account_problem

KEY_TYPES = (
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "ssh-ed25519",
    "ssh-dss",
    "ssh-rsa",
)
"""The key types Ansible's parser knows (a line without one is not a key)."""

AUTHORIZED_KEY_PARAMS: Mapping[str, Param] = {
    "user": Param("str", required=True, check=account_problem),
    "key": Param("str", required=True),
    "path": Param("path"),
    "manage_dir": Param("bool", default=True),
    "state": Param("str", default="present", choices=("absent", "present")),
    "key_options": Param("str"),
    "exclusive": Param("bool", default=False),
    "comment": Param("str"),
    "validate_certs": Param("bool", default=True),
    "follow": Param("bool", default=False),
}

_OPTION_PARTS = re.compile(r"""((?:[^,"']|"[^"]*"|'[^']*')+)""")
SKIPPED = "skipped"

Options = tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class KeyLine:
    """One entry of Ansible's table: the key material (the line itself for a skipped line), its type
    (`skipped` for lines that are not keys), options in order, comment, and rank (its place)."""

    key: str
    type: str
    options: Options
    comment: str | None
    rank: int

    def same_key(self, other: KeyLine) -> bool:
        """Ansible's comparison of all but the rank; options compare as its multi-valued dict does."""
        return (self.key, self.type, self.comment) == (other.key, other.type, other.comment) and _option_values(
            self.options
        ) == _option_values(other.options)

    def line(self) -> str:
        """The line Ansible's `serialize` writes."""
        if self.type == SKIPPED:
            return self.key
        options = ",".join(name if value is None else f"{name}={value}" for name, value in self.options)
        return f"{options + ' ' if options else ''}{self.type} {self.key} {self.comment}\n"


def _option_values(options: Options) -> dict[str, list[str | None]]:
    values: dict[str, list[str | None]] = {}
    for name, value in options:
        values.setdefault(name, []).append(value)
    return values


def parse_options(text: str | None) -> Options:
    """Ansible's `parseoptions`: comma-separated options (commas inside quotes kept), `name` or `name=value`."""
    if not text:
        return ()
    found: list[tuple[str, str | None]] = []
    for part in _OPTION_PARTS.split(text)[1:-1]:
        if "=" in part:
            name, value = part.split("=", 1)
            found.append((name, value))
        elif part != ",":
            found.append((part, None))
    return tuple(found)


def parse_key(raw: str, rank: int) -> KeyLine | None:
    """Ansible's `parsekey`: None when the line has no known key type (or no key after it)."""
    text = raw.replace(r"\#", "#")
    lexer = shlex.shlex(text)
    lexer.quotes = ""
    lexer.commenters = ""
    lexer.whitespace_split = True
    parts = list(lexer)
    if parts and parts[0] == "#":
        return KeyLine(raw, SKIPPED, (), None, rank)
    index = next((number for number, part in enumerate(parts) if part in KEY_TYPES), None)
    if index is None or index + 1 >= len(parts):
        return None
    options = parse_options(" ".join(parts[:index]) if index > 0 else None)
    return KeyLine(parts[index + 1], parts[index], options, " ".join(parts[index + 2 :]), rank)


def parse_keys(content: str) -> dict[str, KeyLine]:
    """Ansible's `parsekeys`: the file's keys by key material; other lines by themselves."""
    keys: dict[str, KeyLine] = {}
    for rank, line in enumerate(content.splitlines(keepends=True)):
        parsed = parse_key(line, rank)
        keys[parsed.key if parsed else line] = parsed or KeyLine(line, SKIPPED, (), None, rank)
    return keys


def serialize(keys: Mapping[str, KeyLine]) -> str:
    """Ansible's `serialize`: the entries in rank order (a stable sort)."""
    return "".join(entry.line() for entry in sorted(keys.values(), key=lambda entry: entry.rank))


def enforce(
    existing: dict[str, KeyLine], given: Sequence[KeyLine], params: Mapping[str, Any]
) -> tuple[dict[str, KeyLine], bool]:
    """Ansible's `enforce_state` on the parsed file: the new table and whether it must be written."""
    keys = dict(existing)
    present = params["state"] == "present"
    wanted: list[str] = []
    write = False
    first_new_rank = len(existing)
    for new in given:
        if params.get("key_options") is not None:
            new = replace(new, options=parse_options(params["key_options"]))
        if params.get("comment") is not None:
            new = replace(new, comment=params["comment"])
        old = keys.get(new.key)
        matched = old is not None and (old.same_key(new) or not present)
        if present:
            wanted.append(new.key)
            if old is not None and not matched:
                del keys[new.key]
                write = True
            if not matched:
                keys[new.key] = replace(new, rank=first_new_rank + new.rank)
                write = True
        elif matched:
            del keys[new.key]
            write = True
    if present and params["exclusive"]:
        for key in set(keys) - set(wanted):
            del keys[key]
            write = True
    return keys, write


def authorized_key_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The user and its keys file (and the file's folder)."""
    return [AuthorizedKeysFact(params["user"], params.get("path"))]


def plan_authorized_key(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the keys file's new content, and its folder, as Ansible decides them."""
    user: str = params["user"]
    text: str = params["key"]
    if text.startswith("http"):
        return failed(f"key {text}: fetching keys from a URL is not supported; give the keys themselves")
    given: list[KeyLine] = []
    for rank, line in enumerate(line for line in text.splitlines() if line and not line.startswith("#")):
        parsed = parse_key(line, rank)
        if parsed is None or parsed.type == SKIPPED:
            return failed(f"invalid key specified: {line}")
        given.append(parsed)
    info = fact(facts, AuthorizedKeysFact(user, params.get("path")).key, AuthorizedKeysInfo)
    if info.user is None:
        return failed(f"Failed to lookup user {user}: \"getpwnam(): name not found: '{user}'\"")
    result = {
        **{name: params.get(name) for name in AUTHORIZED_KEY_PARAMS},
        "keyfile": info.path,
    }
    for seen in (info.file, info.folder):
        if (problem := untrusted_link(seen)) is not None:
            return failed(problem)
    current = info.file.followed()
    if current.type == "file" and (not current.readable or current.content is None):
        return failed(f"cannot read {info.path} (unreadable, or larger than 256 KiB)")
    before = (current.content or b"").decode("utf-8", "surrogateescape") if current.type == "file" else ""
    keys, write = enforce(parse_keys(before), given, params)
    if not write:
        return no_change(f"{info.path}: keys already as wanted", **result)
    after = serialize(keys)
    return _plan_write(info, params, before, after, result)


def _plan_write(
    info: AuthorizedKeysInfo, params: Mapping[str, Any], before: str, after: str, result: dict[str, Any]
) -> Plan:
    account = info.user
    assert account is not None
    folder = info.folder.followed()
    actions: list[Action] = []
    invalidates = [AuthorizedKeysFact(account.name, params.get("path")).key, f"file:{info.path}"]
    owner = WantedAttributes(owner=account.name, group=account.group, mode="0700")
    if params["manage_dir"]:
        if not folder.exists:
            actions.append(RunCommand(("mkdir", "-m", "0700", "--", info.folder.path)))
        actions.extend(attribute_changes(folder.path, folder if folder.exists else None, owner).commands)
        invalidates.append(f"file:{info.folder.path}")
    elif not folder.exists and (holder := parent_dir(info.path)) is not None:
        actions.append(RunCommand(("mkdir", "-p", "--", holder)))
    target = info.file.followed() if params["follow"] and info.file.type == "link" else info.file
    baseline = target if target.type == "file" else None
    wanted = WantedAttributes(owner=account.name, group=account.group, mode="0600")
    writes, _ = write_actions(target.path, after.encode("utf-8", "surrogateescape"), baseline, wanted)
    actions.extend(writes)
    invalidates.append(f"file:{target.path}")
    return Plan(
        changed=True,
        summary=f"{info.path}: keys written for {account.name}",
        actions=tuple(actions),
        diffs=(Diff(resource=info.path, before=before, after=after),),
        invalidates=tuple(dict.fromkeys(invalidates)),
        result=result,
    )


AUTHORIZED_KEY = Module(
    name="authorized_key",
    params=AUTHORIZED_KEY_PARAMS,
    facts=authorized_key_facts,
    plan=plan_authorized_key,
    doc=__doc__ or "",
)
