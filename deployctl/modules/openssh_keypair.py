"""openssh_keypair (community.crypto): an OpenSSH key pair at `path` and `path.pub`, as the module's opensshbin
backend makes it with ssh-keygen.

- `state: present`: a key is generated (`ssh-keygen -q -N '' -b size -t type -C comment`, into a fresh folder,
  then moved over `path` and `path.pub`) when there is none, or when `regenerate` says so: `never` keeps any
  key, `fail` fails on a key of another type or size, `partial_idempotence`/`full_idempotence` regenerate it,
  `always` (or `force`) regenerates every run. A key ssh-keygen cannot read fails under never, fail and
  partial_idempotence. Otherwise a missing or mismatched `.pub` is written again from the private key
  (keeping its mode, else 0644), with `comment` set when given.
- `state: absent`: both files are removed.
`size` defaults to 4096 for rsa, 1024 for dsa (the only size), 256 for ecdsa (256, 384 or 521); ed25519 ignores
it. Passphrases, private_key_format other than auto and the cryptography backend are not supported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.files import FileFact, FileInfo
from deployctl.facts.sshkeys import SSH_KEYPAIR_PREFIX, SshKeypairFact, SshKeypairInfo
from deployctl.modules.base import Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.planning import fact, failed, parent_dir
from deployctl.modules.values import line_problem

KEY_TYPES = ("rsa", "dsa", "rsa1", "ecdsa", "ed25519")
REGENERATE = ("never", "fail", "partial_idempotence", "full_idempotence", "always")
UNREADABLE = (
    "Unable to read the key. The key is protected with a passphrase or broken. Will not proceed. To force "
    "regeneration, call the module with `generate` set to `full_idempotence` or `always`, or with `force=true`."
)
WRONG_KEY = (
    "Key has wrong type and/or size. Will not proceed. To force regeneration, call the module with `generate` "
    "set to `partial_idempotence`, `full_idempotence` or `always`, or with `force=true`."
)
_GENERATE = (
    'd=$(mktemp -d) || exit 1\nssh-keygen -q -N "" -b "$2" -t "$3" -f "$d/key" -C "$4" </dev/null'
    ' && mv -f -- "$d/key" "$1" && mv -f -- "$d/key.pub" "$1.pub"\nr=$?\nrm -rf -- "$d"\nexit $r'
)
_RESTORE_PUBLIC = (
    't=$(mktemp -- "$1.pub.XXXXXX") || exit 1\n'
    'if ssh-keygen -P "" -y -f "$1" >"$t" </dev/null && chmod "$2" -- "$t" && mv -f -- "$t" "$1.pub"; then\n'
    '  [ -z "$3" ] || ssh-keygen -q -P "" -c -C "$3" -f "$1" </dev/null\nelse rm -f -- "$t"; exit 1; fi'
)


def _unsupported(what: str, allowed: tuple[str, ...]) -> Callable[[str], str | None]:
    """A parameter check refusing the module's values deployctl does not have."""

    def check(value: str) -> str | None:
        return None if value in allowed else f"{what} {value!r} is not supported (supported: {', '.join(allowed)})"

    return check


OPENSSH_KEYPAIR_PARAMS: Mapping[str, Param] = {
    "path": Param("path", required=True),
    "state": Param("str", default="present", choices=("present", "absent")),
    "type": Param("str", default="rsa", choices=KEY_TYPES),
    "size": Param("int"),
    "comment": Param("str", check=line_problem),
    "force": Param("bool", default=False),
    "regenerate": Param("str", default="partial_idempotence", choices=REGENERATE),
    "backend": Param("str", default="auto", check=_unsupported("backend", ("auto", "opensshbin"))),
    "private_key_format": Param("str", default="auto", check=_unsupported("private_key_format", ("auto",))),
}


def key_size(key_type: str, size: int | None) -> int | str:
    """The size the module uses for a key type, or why the size is refused."""
    if key_type in ("rsa", "rsa1"):
        chosen = 4096 if size is None else size
        if chosen < 1024:
            return (
                "For RSA keys, the minimum size is 1024 bits and the default is 4096 bits. Attempting to use bit "
                "lengths under 1024 will cause the module to fail."
            )
        return chosen
    if key_type == "dsa":
        return 1024 if size in (None, 1024) else "DSA keys must be exactly 1024 bits as specified by FIPS 186-2."
    if key_type == "ecdsa":
        if size not in (None, 256, 384, 521):
            return (
                "For ECDSA keys, size determines the key length by selecting from one of three elliptic curve "
                "sizes: 256, 384 or 521 bits. Attempting to use bit lengths other than these three values for "
                "ECDSA keys will cause this module to fail."
            )
        return 256 if size is None else size
    return 256


def openssh_keypair_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The key pair and the folder it is in."""
    facts: list[Fact[Any]] = [SshKeypairFact(params["path"])]
    if parent := parent_dir(params["path"]):
        facts.append(FileFact(parent))
    return facts


def plan_openssh_keypair(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan the key pair: generated, its public half written again, removed, or left as it is."""
    path: str = params["path"]
    pair = fact(facts, f"{SSH_KEYPAIR_PREFIX}{path}", SshKeypairInfo)
    folder = parent_dir(path) or "."
    if folder != "." and fact(facts, f"file:{folder}", FileInfo).followed().type != "directory":
        return failed(f"The directory {folder} does not exist or the file is not a directory")
    if pair.path_type == "directory":
        return failed(f"{path} is a directory. Please specify a path to a file.")
    size = key_size(params["type"], params["size"])
    if isinstance(size, str):
        return failed(size)
    result = {"filename": path, "type": params["type"], "size": size}
    invalidates = (f"{SSH_KEYPAIR_PREFIX}{path}", f"file:{path}", f"file:{path}.pub")
    if params["state"] == "absent":
        if pair.path_type == "absent" and not pair.public_exists:
            return no_change(f"{path}: no key pair", **result)
        remove = RunCommand(("rm", "-f", "--", path, f"{path}.pub"))
        diff = Diff(path, _described(pair), "absent\n")
        return Plan(True, f"{path}: key pair removed", (remove,), (diff,), invalidates, result)
    if not pair.keygen:
        return failed("Cannot find the OpenSSH binary in the PATH")
    regenerate = "always" if params["force"] else params["regenerate"]
    exists = pair.path_type == "file"
    listed = pair.size is not None and pair.key_type is not None
    if exists and regenerate in ("never", "fail", "partial_idempotence") and (not listed or pair.derived is None):
        return failed(UNREADABLE)
    matches = listed and (pair.size, pair.key_type) == (size, params["type"])
    idempotent = regenerate in ("partial_idempotence", "full_idempotence")
    if not listed or regenerate == "always" or (idempotent and not matches):
        comment = params["comment"] or ""
        generate = RunCommand(("sh", "-c", _GENERATE, "sh", path, str(size), params["type"], comment))
        why = "generated" if not exists else f"regenerated ({pair.key_type} {pair.size} bits before)"
        summary = f"{path}: {params['type']} {size} bits key {why}"
        diff = Diff(path, _described(pair), f"{params['type']} key of {size} bits (new)\n")
        return Plan(True, summary, (generate,), (diff,), invalidates, result)
    if regenerate == "fail" and not matches:
        return failed(WRONG_KEY)
    wanted = pair.derived
    if wanted is not None and params["comment"] is not None:
        wanted = type(wanted)(wanted.type, wanted.data, params["comment"])
    if pair.public is not None and wanted is not None and pair.public.same_key(wanted):
        return no_change(f"{path}: key pair present", **result)
    mode = pair.public_mode or "0644"
    restore = RunCommand(("sh", "-c", _RESTORE_PUBLIC, "sh", path, mode, params["comment"] or ""))
    summary = f"{path}.pub: written from the private key"
    before = f"{pair.public.type} {pair.public.data}\n" if pair.public else "absent\n"
    after = f"{wanted.type} {wanted.data}\n" if wanted else "the private key's public key\n"
    diff = Diff(f"{path}.pub", before, after)
    return Plan(True, summary, (restore,), (diff,), invalidates, result)


def _described(pair: SshKeypairInfo) -> str:
    """The private key as a diff shows it (never its content)."""
    if pair.path_type == "absent":
        return "absent\n"
    if pair.size is None:
        return "a key ssh-keygen cannot read\n"
    return f"{pair.key_type} key of {pair.size} bits\n"


OPENSSH_KEYPAIR = Module(
    name="openssh_keypair",
    params=OPENSSH_KEYPAIR_PARAMS,
    facts=openssh_keypair_facts,
    plan=plan_openssh_keypair,
    doc=__doc__ or "",
)
