"""apt_key: add or remove a key in apt's trusted keys with `apt-key` (deprecated in apt and Ansible, still used).

As Ansible's apt_key (Debian 12's apt still ships `apt-key`; it and gpg, from package gnupg, must be
on the host, else the task fails naming the one missing):
- The keys are apt-key's listing (`apt-key [--keyring K] adv --list-public-keys --keyid-format=long`):
  the long ids of every key and subkey not expired. `id` (8, 16 or more hex digits, `0x` allowed) is
  compared by its last 16 digits, or its 8 digits (against the keys' last 8) when 8 are given.
- Without `id`, the id is the first key gpg finds (`gpg --with-colons`) in `file` (on the host),
  `data`, or what `url` serves (fetched by the host, `validate_certs`); `keyserver` needs `id`.
- `present`: nothing changes when the id is listed; else the key is added: `apt-key add FILE`, `apt-key
  add -` with the data or the URL's content (the content gpg read, checked by sha256, when the id came
  from it), or `apt-key adv --keyserver K --recv ID` (5 tries, the host's proxy variables as Ansible).
  `absent`: a listed id is removed with `apt-key del` and its last 8 digits. `keyring` gives
  `--keyring` to every apt-key command. After a change the keys are listed again, and the task fails as
  Ansible's does when the id is still missing (an `id` that is not the given key's) or still there.
- The result holds Ansible's `id`, `short_id`, `fp`, `key_id` and `before` (the listed ids); the diff
  shows the listed ids before and after.
Differences: Ansible ends its task as ok, changing nothing, when gpg is missing; deployctl fails it. With
`id` and no key to add, Ansible's check mode reports a change and its run fails; deployctl fails both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deployctl.facts.aptkeys import AptKeyring, AptKeyringFact, KeySource, KeySourceFact, keyring_words
from deployctl.facts.base import Fact
from deployctl.modules.base import Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.get_url import url_problem
from deployctl.modules.planning import fact, failed
from deployctl.modules.values import option_value_problem

DEFAULT_KEYRING = "/etc/apt/trusted.gpg"
"""Where `apt-key add` without `--keyring` writes."""
DEFAULT_KEYRING_DIR = "/etc/apt/trusted.gpg.d"
"""Keyrings that `apt-key del` without `--keyring` also removes the key from."""
SOURCES = ("data", "file", "keyserver", "url")
_HEX = re.compile(r"[0-9A-Fa-f]+")
ERROR_NO_ERROR = "apt-key did not return an error, but {} (check that the id is correct and *not* a subkey)"


def key_id_problem(value: str) -> str | None:
    """Ansible's parse_key_id check: hexadecimal, `0x` allowed, 8, 16 or more than 16 digits."""
    digits = value[2:] if value[:2].lower() == "0x" else value
    if not _HEX.fullmatch(digits):
        return f"{value!r} is not a hexadecimal key id"
    if len(digits) not in (8, 16) and len(digits) <= 16:
        return "key_id must be 8, 16, or 16+ hexadecimal characters in length"
    return None


APT_KEY_PARAMS: Mapping[str, Param] = {
    "id": Param("str", check=key_id_problem),
    "url": Param("str", check=url_problem),
    "data": Param("str"),
    "file": Param("path", check=option_value_problem),
    "keyring": Param("path", check=option_value_problem),
    "validate_certs": Param("bool", default=True),
    "keyserver": Param("str", check=option_value_problem),
    "state": Param("str", default="present", choices=("absent", "present")),
}


@dataclass(frozen=True)
class KeyId:
    """Ansible's three forms of an id: `short` (last 8 digits, for `apt-key del`), `fingerprint` (last 16,
    compared with the listing) and `full` (upper case, without `0x`, for `--recv`)."""

    short: str
    fingerprint: str
    full: str

    @classmethod
    def parse(cls, value: str) -> KeyId | None:
        """Ansible's parse_key_id; None for an invalid id."""
        if key_id_problem(value) is not None:
            return None
        full = value.upper().removeprefix("0X")
        return cls(full[-8:], full[-16:], full)

    @property
    def short_format(self) -> bool:
        """Whether the listing is compared by 8 digits (the id given had 8)."""
        return len(self.full) == 8

    def wanted(self) -> str:
        """What must be in the listing (shortened when `short_format`)."""
        return self.short if self.short_format else self.fingerprint

    def listed(self, ids: Sequence[str]) -> list[str]:
        """The listing as Ansible compares it: each id's last 8 digits when `short_format`."""
        return [item[-8:] for item in ids] if self.short_format else list(ids)


def _source(params: Mapping[str, Any]) -> KeySourceFact | None:
    """The fact giving the key's id when `id` is not given (None when there is nothing to read it from)."""
    if params.get("id"):
        return None
    if params.get("url"):
        return KeySourceFact("url", params["url"], params["validate_certs"])
    if params.get("file"):
        return KeySourceFact("file", params["file"])
    if params.get("data"):
        return KeySourceFact("data", params["data"])
    return None


def apt_key_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The keys in the keyring, and the key's id from its file, data or URL when `id` is not given."""
    source = _source(params)
    return [AptKeyringFact(params.get("keyring")), *([source] if source else [])]


def _tools_problem(missing: str) -> str:
    package = {"gpg": "gnupg", "apt-key": "apt"}.get(missing, missing)
    return (
        f'Failed to find required executable "{missing}" on the host: install the {package} package '
        "(Ansible's apt_key needs apt-key and gpg)"
    )


def _key_id(params: Mapping[str, Any], facts: Mapping[str, Any]) -> tuple[str | None, KeySource | None] | str:
    """The id to work with (given, or read from the key) and the source fact, or the reason the task fails."""
    if params.get("id"):
        return params["id"], None
    if params.get("keyserver"):
        return "Missing key_id, required with keyserver."
    source = _source(params)
    if source is None:
        return None, None
    read = fact(facts, source.key, KeySource)
    if read.missing is not None:
        return _tools_problem(read.missing)
    if source.kind == "url" and read.exit_code == 0 and read.error is not None:
        return f"Failed to download key at {params['url']}: {read.error}"
    if read.exit_code != 0:
        origin = params["file"] if source.kind == "file" else "inline data"
        return f"Unable to extract key from '{origin}': {read.error or f'gpg exited with {read.exit_code}'}"
    return read.key_id, read


def plan_apt_key(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan adding or removing the key; see the module docstring."""
    given = [name for name in SOURCES if params.get(name) is not None]
    if len(given) > 1:
        return failed(f"parameters are mutually exclusive: {'|'.join(SOURCES)}")
    keyring = fact(facts, AptKeyringFact(params.get("keyring")).key, AptKeyring)
    if keyring.missing is not None:
        return failed(_tools_problem(keyring.missing))
    found = _key_id(params, facts)
    if isinstance(found, str):
        return failed(found)
    raw_id, source = found
    key = KeyId.parse(raw_id) if raw_id else None
    if key is None:
        return failed("Invalid key_id", id=raw_id)
    result: dict[str, Any] = {"id": raw_id, "short_id": key.short, "fp": key.fingerprint, "key_id": key.full}
    if keyring.exit_code != 0:
        return failed(f"Unable to list public keys: {keyring.error or f'apt-key exited with {keyring.exit_code}'}")
    listed = key.listed(keyring.ids)
    result["before"] = listed
    present = key.wanted() in listed
    if params["state"] == "present":
        if present:
            return no_change(f"key {key.wanted()} is already in {_keyring_name(params)}", **result)
        add = _add_action(params, key, source)
        if isinstance(add, str):
            return failed(add, **result)
        return _plan_change(params, key, add, listed, [*listed, key.wanted()], result)
    if key.fingerprint not in listed:
        return no_change(f"key {key.wanted()} is not in {_keyring_name(params)}", **result)
    remove = RunCommand(("apt-key", *keyring_words(params.get("keyring")), "del", key.short))
    after = [item for item in listed if item != key.fingerprint]
    return _plan_change(params, key, remove, listed, after, result)


def _keyring_name(params: Mapping[str, Any]) -> str:
    return params.get("keyring") or "apt-key's keyrings"


_ADD_FROM_URL = r"""
import hashlib, json, ssl, subprocess, sys, urllib.request
a = json.load(sys.stdin)
context = None if a["verify"] else ssl._create_unverified_context()
try:
    with urllib.request.urlopen(a["url"], timeout=30, context=context) as response:
        body = response.read()
except Exception as error:
    sys.exit("Failed to download key at %s: %s" % (a["url"], error))
if a["sha256"] and hashlib.sha256(body).hexdigest() != a["sha256"]:
    sys.exit("%s changed since its key id was read: sha256 %s, planned %s"
             % (a["url"], hashlib.sha256(body).hexdigest(), a["sha256"]))
added = subprocess.run(["apt-key", *a["keyring"], "add", "-"], input=body)
if added.returncode != 0:
    sys.exit("Unable to add a key from binary data")
"""
"""Download the key on the host (checked against the sha256 gpg's read saw, when the id came from it), add it."""

_RECV_FROM_KEYSERVER = r"""
keyserver=$1 id=$2
shift 2
for p in "${HTTPS_PROXY:-}" "${https_proxy:-}" "${HTTP_PROXY:-}" "${http_proxy:-}"; do
  if [ -n "$p" ]; then set -- "$@" --keyserver-options "http-proxy=$p"; break; fi
done
for try in 1 2 3 4 5; do
  apt-key "$@" --recv "$id" && exit 0
done
echo "Error fetching key $id from keyserver: $keyserver" >&2
exit 1
"""
"""Ansible's import_key: `apt-key [--keyring K] adv --no-tty --keyserver S [proxy option] --recv ID`, 5 tries."""

_CHECK_LISTED = r"""
state=$1 id=$2 message=$3
shift 3
apt-key "$@" adv --list-public-keys --keyid-format=long 2>/dev/null | awk -v id="$id" '
  ($1 == "pub" || $1 == "sub") && !/expired/ {
    n = split($2, code, "/"); k = code[n]
    if (length(id) == 8) k = substr(k, length(k) - 7)
    if (k == id) found = 1
  }
  END { exit !found }'
listed=$?
if { [ "$state" = present ] && [ "$listed" -ne 0 ]; } || { [ "$state" = absent ] && [ "$listed" -eq 0 ]; }; then
  echo "$message" >&2
  exit 1
fi
"""
"""Ansible's check after a change: the id is listed after an add, not listed after a removal (run in C locale)."""


def _add_action(params: Mapping[str, Any], key: KeyId, source: KeySource | None) -> RunCommand | str:
    """The command that adds the key, or why there is none."""
    ring = keyring_words(params.get("keyring"))
    if params.get("file"):
        return RunCommand(("apt-key", *ring, "add", params["file"]))
    if params.get("keyserver"):
        recv = ("adv", "--no-tty", "--keyserver", params["keyserver"])
        return RunCommand(
            (
                "env",
                "LC_ALL=C",
                "sh",
                "-c",
                _RECV_FROM_KEYSERVER,
                "sh",
                params["keyserver"],
                key.full,
                *ring,
                *recv,
            )
        )
    if params.get("data"):
        return RunCommand(("apt-key", *ring, "add", "-"), stdin=params["data"].encode("utf-8", "surrogateescape"))
    if params.get("url"):
        request = {
            "url": params["url"],
            "verify": params["validate_certs"],
            "sha256": source.sha256 if source else None,
            "keyring": list(ring),
        }
        return RunCommand(("python3", "-c", _ADD_FROM_URL), stdin=json.dumps(request, sort_keys=True).encode())
    return "No key to add: give data, file, url or keyserver with the id"


def _plan_change(
    params: Mapping[str, Any],
    key: KeyId,
    action: RunCommand,
    before: list[str],
    after: list[str],
    result: dict[str, Any],
) -> Plan:
    keyring: str | None = params.get("keyring")
    adding = params["state"] == "present"
    message = ERROR_NO_ERROR.format("failed to add the key" if adding else "the key was not removed")
    check = RunCommand(
        (
            "env",
            "LC_ALL=C",
            "sh",
            "-c",
            _CHECK_LISTED,
            "sh",
            params["state"],
            key.wanted() if adding else key.fingerprint,
            message,
            *keyring_words(keyring),
        )
    )
    written = [keyring] if keyring else [DEFAULT_KEYRING] + ([] if adding else [DEFAULT_KEYRING_DIR])
    name = _keyring_name(params)
    return Plan(
        changed=True,
        summary=f"{'add' if adding else 'remove'} key {key.wanted()} {'to' if adding else 'from'} {name}",
        actions=(action, check),
        diffs=(Diff(resource=f"apt keys ({name})", before=_lines(before), after=_lines(after)),),
        invalidates=tuple(
            dict.fromkeys([AptKeyringFact(keyring).key, *(f"file:{path}" for path in written), f"file:{written[0]}~"])
        ),
        result=result,
    )


def _lines(ids: Sequence[str]) -> str:
    return "".join(f"{item}\n" for item in ids)


APT_KEY = Module(
    name="apt_key",
    params=APT_KEY_PARAMS,
    facts=apt_key_facts,
    plan=plan_apt_key,
    doc=__doc__ or "",
    effects_listed=True,
)
