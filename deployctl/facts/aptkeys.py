"""apt's trusted keys as Ansible's apt_key reads them, and the id of a key given as a file, data or URL.

Both run the tools Ansible's module runs on the host: `apt-key [--keyring K] adv --list-public-keys
--keyid-format=long` for the keyring, `gpg --with-colons KEYFILE` for a key's id. gpg runs in a
temporary home, removed afterwards, so reading a fact leaves nothing behind (Ansible's run creates
root's ~/.gnupg). Output is read in the C locale, where an expired key says `expired`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from deployctl.facts.base import RawFact

APT_KEYRING_PREFIX = "apt_keyring:"
"""A keyring fact's key: `apt_keyring:PATH`, `apt_keyring:` for apt-key's own keyrings (all of them)."""
KEY_SOURCE_PREFIX = "apt_key_source:"

KeySourceKind = Literal["file", "data", "url"]

_STDERR_TO = "e=$(mktemp) || exit 1\ntrap 'rm -f \"$e\"' EXIT\n"
_REPORT = 'printf \'rc %s\\n\' "$rc"\nprintf \'stderr %s\\n\' "$(base64 -w0 < "$e")"\nprintf \'%s\\n\' "$out"'
_LOCALE = "LC_ALL=C LANG=C LANGUAGE=C"

_DOWNLOAD_SCRIPT = r"""
import hashlib, ssl, sys, urllib.error, urllib.request
url, verify, dest = sys.argv[1:4]
context = None if verify == "1" else ssl._create_unverified_context()
try:
    with urllib.request.urlopen(url, timeout=30, context=context) as response:
        body = response.read()
except urllib.error.HTTPError as error:
    print("download_error %s %s" % (error.code, error.reason))
    sys.exit(1)
except Exception as error:
    print("download_error -1 %s" % error)
    sys.exit(1)
with open(dest, "wb") as out:
    out.write(body)
print("sha256 %s" % hashlib.sha256(body).hexdigest())
"""
"""Fetch a key's URL into the fact's temporary home; print its sha256 (the add checks it is still the same)."""


def parse_key_ids(output: str) -> tuple[str, ...]:
    """Ansible's parse_output_for_keys: the id of every `pub`/`sub` line not marked expired, in order.

    A line of apt-key's listing (`pub   rsa3072/ID 2020-01-01 [SC]`) gives the part after the `/`, a
    line of gpg's colon format (`pub:-:255:22:ID:...`) its fifth field; other lines are skipped.
    """
    found: list[str] = []
    for line in output.split("\n"):
        if not line.startswith(("pub", "sub")) or "expired" in line:
            continue
        tokens = line.split()
        code = tokens[1].split("/") if len(tokens) > 1 else []
        if len(code) == 2:
            found.append(code[1])
            continue
        fields = line.split(":")
        if len(fields) > 4:
            found.append(fields[4])
    return tuple(found)


@dataclass(frozen=True)
class ToolRun:
    """What one tool printed: exit code, standard output, standard error, or the tool that is `missing`."""

    missing: str | None = None
    exit_code: int = 0
    output: str = ""
    error: str = ""


def parse_tool_run(output: str) -> tuple[ToolRun, dict[str, str]]:
    """`missing TOOL`, or leading `WORD value` lines, then `rc N`, `stderr BASE64` and the tool's output."""
    notes: dict[str, str] = {}
    lines = output.split("\n")
    while lines and lines[0] == "":
        lines.pop(0)
    while lines:
        word, _, value = lines[0].partition(" ")
        if word == "missing":
            return ToolRun(missing=value.strip()), notes
        if word == "rc":
            break
        notes[word] = value
        lines.pop(0)
    if len(lines) < 2 or not lines[1].startswith("stderr"):
        return ToolRun(exit_code=-1, error=f"unexpected output {output[:200]!r}"), notes
    try:
        exit_code = int(lines[0].removeprefix("rc "))
        error = base64.b64decode(lines[1].removeprefix("stderr").strip(), validate=True).decode("utf-8", "replace")
    except (ValueError, binascii.Error):
        return ToolRun(exit_code=-1, error=f"unexpected output {output[:200]!r}"), notes
    return ToolRun(exit_code=exit_code, output="\n".join(lines[2:]), error=error), notes


def last_line(text: str) -> str:
    """The last line a tool wrote on its standard error (gpg's reason comes after its notices)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


@dataclass(frozen=True)
class AptKeyring:
    """The ids apt-key lists (long ids, as printed; expired keys left out), or why they could not be listed:
    a `missing` tool, or apt-key's exit code and error."""

    ids: tuple[str, ...] = ()
    missing: str | None = None
    exit_code: int = 0
    error: str = ""

    @classmethod
    def from_json(cls, data: Any) -> AptKeyring:
        """From a fixture: `{"ids": [...]}`, `{"missing": "gpg"}` or `{"exit_code": 2, "error": "..."}`."""
        if not isinstance(data, Mapping):
            raise TypeError(f"apt keyring fact: expected a mapping, got {data!r}")
        return cls(
            ids=tuple(str(item) for item in data.get("ids", ())),
            missing=str(data["missing"]) if data.get("missing") is not None else None,
            exit_code=int(data.get("exit_code", 0)),
            error=str(data.get("error", "")),
        )


def keyring_words(keyring: str | None) -> tuple[str, ...]:
    """apt-key's words for a keyring: `--keyring PATH`, none for apt-key's own keyrings."""
    return ("--keyring", keyring) if keyring else ()


@dataclass(frozen=True)
class AptKeyringFact:
    """The keys in `keyring` (a keyring file), or in every keyring apt-key uses when it is None.

    A keyring file that is not there has no keys: it is not listed, since apt-key would create it (as
    Ansible's apt_key does, even in check mode)."""

    keyring: str | None = None

    @property
    def key(self) -> str:
        return f"{APT_KEYRING_PREFIX}{self.keyring or ''}"

    def script(self) -> str:
        return (
            f"set -f\nset -- {shlex.join(keyring_words(self.keyring))}\n"
            "command -v apt-key >/dev/null 2>&1 || { echo 'missing apt-key'; exit 0; }\n"
            "command -v gpg >/dev/null 2>&1 || { echo 'missing gpg'; exit 0; }\n"
            # apt-key creates a keyring it is asked to list: one that is not there is listed as empty instead
            """if [ "$#" -gt 0 ] && [ ! -e "$2" ]; then printf 'rc 0\\nstderr \\n'; exit 0; fi\n"""
            f"{_STDERR_TO}"
            f'out=$({_LOCALE} apt-key "$@" adv --list-public-keys --keyid-format=long 2>"$e"); rc=$?\n'
            f"{_REPORT}"
        )

    def parse(self, raw: RawFact) -> AptKeyring:
        return parse_keyring_output(raw.output)

    def value_from_json(self, data: Any) -> AptKeyring:
        """The fact's value from its JSON form (test fixtures)."""
        return AptKeyring.from_json(data)


def parse_keyring_output(output: str) -> AptKeyring:
    """The keyring fact from the script's output (see `parse_tool_run`)."""
    run, _ = parse_tool_run(output)
    if run.missing is not None:
        return AptKeyring(missing=run.missing)
    if run.exit_code != 0:
        return AptKeyring(exit_code=run.exit_code, error=last_line(run.error))
    return AptKeyring(ids=parse_key_ids(run.output))


@dataclass(frozen=True)
class KeySource:
    """The first key id gpg finds in a key (None when it finds none), or what went wrong: a `missing` tool,
    a download `error`, or gpg's exit code and error. `sha256` is the downloaded content's, for a URL."""

    key_id: str | None = None
    missing: str | None = None
    error: str | None = None
    exit_code: int = 0
    sha256: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> KeySource:
        """From a fixture: `{"key_id": "..."}` (and `sha256`), `{"missing": "gpg"}`, `{"error": "..."}`..."""
        if not isinstance(data, Mapping):
            raise TypeError(f"apt key source fact: expected a mapping, got {data!r}")

        def text(name: str) -> str | None:
            return str(data[name]) if data.get(name) is not None else None

        return cls(
            key_id=text("key_id"),
            missing=text("missing"),
            error=text("error"),
            exit_code=int(data.get("exit_code", 0)),
            sha256=text("sha256"),
        )


@dataclass(frozen=True)
class KeySourceFact:
    """The id of the key in a file on the host, in inline `data`, or served at a URL (fetched by the host)."""

    kind: KeySourceKind
    value: str
    validate_certs: bool = True

    @property
    def key(self) -> str:
        if self.kind == "data":
            digest = hashlib.sha256(self.value.encode("utf-8", "surrogateescape")).hexdigest()
            return f"{KEY_SOURCE_PREFIX}data:{digest}"
        if self.kind == "url":
            return f"{KEY_SOURCE_PREFIX}url:{self.value}|{'' if self.validate_certs else 'insecure'}"
        return f"{KEY_SOURCE_PREFIX}file:{self.value}"

    def script(self) -> str:
        if self.kind == "file":
            head = f'set -- {shlex.quote(self.value)}\nf="$1"\n'
        elif self.kind == "data":
            encoded = base64.b64encode(self.value.encode("utf-8", "surrogateescape")).decode()
            head = f'set -- {encoded}\nf="$h/key"\nprintf %s "$1" | base64 -d > "$f" || exit 1\n'
        else:
            words = (self.value, "1" if self.validate_certs else "0")
            head = (
                f"set -- {shlex.join(words)}\n"
                "command -v python3 >/dev/null 2>&1 || { echo 'missing python3'; exit 0; }\n"
                f'f="$h/key"\npython3 -c {shlex.quote(_DOWNLOAD_SCRIPT)} "$1" "$2" "$f" || exit 0\n'
            )
        return (
            "set -f\n"
            "command -v gpg >/dev/null 2>&1 || { echo 'missing gpg'; exit 0; }\n"
            "h=$(mktemp -d) || exit 1\n"
            'e="$h/stderr"\n'
            "trap 'rm -rf \"$h\"' EXIT\n"
            f"{head}"
            f'out=$(GNUPGHOME="$h" {_LOCALE} gpg --batch --with-colons "$f" 2>"$e"); rc=$?\n'
            f"{_REPORT}"
        )

    def parse(self, raw: RawFact) -> KeySource:
        return parse_key_source_output(raw.output)

    def value_from_json(self, data: Any) -> KeySource:
        """The fact's value from its JSON form (test fixtures)."""
        return KeySource.from_json(data)


def parse_key_source_output(output: str) -> KeySource:
    """The key source fact from the script's output: a download's `sha256`/`download_error` line first."""
    run, notes = parse_tool_run(output)
    if "download_error" in notes:
        return KeySource(error=notes["download_error"])
    if run.missing is not None:
        return KeySource(missing=run.missing)
    sha256 = notes.get("sha256")
    if run.exit_code != 0:
        return KeySource(exit_code=run.exit_code, error=last_line(run.error) or None, sha256=sha256)
    ids: Sequence[str] = parse_key_ids(run.output)
    return KeySource(key_id=ids[0] if ids else None, sha256=sha256)
