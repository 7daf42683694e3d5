"""user: make sure a local user exists with given attributes, or does not.

As Ansible's user module on Linux (useradd/usermod/userdel with explicit flags):
- Creating: `useradd` with -u, -g (or -N when no group is given but a group named like the user
  already exists, so useradd does not try to create it), -G, -c, -d, -s, -r for system users and
  -m/-M from `create_home` (default true).
- `non_unique` adds -o to a uid given to useradd or changed by usermod (a uid another user has).
- Updating: one `usermod` with the flags of what differs: uid, primary group, shell, home (its files
  are moved there, `-m`, with `move_home`), comment, and supplementary groups: with `append` only missing groups count
  (`usermod -a -G`), otherwise the list must match exactly (`groups: []` or "" removes them all).
  `system` and `create_home` only matter at creation.
- Every group named in `group` and `groups` must exist ("Group X does not exist").
- Removing: `userdel`, with -r when `remove` (home and mail spool go too) and -f when `force`.
- `generate_ssh_key` creates a key pair with `ssh-keygen -t ssh_key_type [-b ssh_key_bits] -C comment -f
  FILE -N ''` (the comment defaults to "ansible-generated on <host name>", the name `uname -n` prints),
  FILE being `ssh_key_file` (default `.ssh/id_<type>`) under the user's home when relative (for a user
  the task creates: `home`, else /home/<name>). The key's directory is created (0700, the user's) when
  missing, and both files are given to the user. An existing private or public key is kept, unless
  `force` (then ssh-keygen overwrites it), as Ansible does. A relative key file needs the home to exist.
  `ssh_key_passphrase` never reaches a command line: it goes on stdin into a file of a private temporary
  folder that an askpass helper prints to ssh-keygen (SSH_ASKPASS_REQUIRE=force, OpenSSH 8.4 or later).
  Overwriting an existing key with a passphrase fails the task: Ansible's module then deletes the public
  key and keeps the private one, reporting no change.
  The result carries `ssh_key_file`, and for a key that stays `ssh_fingerprint` and `ssh_public_key`.
- `password` is a crypt hash, compared with /etc/shadow's (read with become: a run without it fails
  the plan). The hash never leaves the controller in a command line, a diff or a result: it is set
  with `chpasswd -e` on stdin, and the shadow fact carries only its sha256. With `update_password:
  on_create` it is set only when the user is created. `password_lock` locks (`usermod -L`) or unlocks
  (`usermod -U`) as Ansible does; with a password that changes, the hash is written locked (`!hash`).
- `expires` (seconds since the epoch, a float) sets the account's expiry date (`-e YYYY-MM-DD`,
  compared by day as Ansible does); a negative value removes it (`-e ''`).
- `password_expire_min`, `password_expire_max` and `password_expire_warn` (days) are compared with the
  shadow entry's; those that differ are set with one `chage -m/-M/-W` (after useradd for a new user).
Not supported (refused): password_expire_account_disable, local: true, seuser, skeleton, umask, login_class,
profile/role attributes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.users import (
    GroupFact,
    GroupInfo,
    ShadowFact,
    ShadowInfo,
    SshKeyFact,
    SshKeyInfo,
    UserFact,
    UserInfo,
    password_digest,
)
from deployctl.modules.base import Diff, Module, Param, Plan, RunCommand, no_change
from deployctl.modules.planning import fact, failed, optional_fact, parent_dir
from deployctl.modules.values import account_problem, line_problem, option_value_problem

_LOCAL_REFUSED = "local: true is not supported (luseradd and libuser are not on Debian): leave it false"


def _passphrase_problem(value: str) -> str | None:
    """A passphrase is one line (the value itself is never shown)."""
    if any(char in value for char in "\n\r\x00"):
        return "must be one line; the value is not shown"
    return None


def _expires_problem(value: str) -> str | None:
    """`expires` is seconds since the epoch: a number (negative to remove the expiry)."""
    try:
        float(value)
    except ValueError:
        return f"expires must be seconds since the epoch (a number), got {value!r}"
    return None


def _password_problem(value: str) -> str | None:
    """A crypt hash fits one shadow field: no line break, NUL or `:` (the value itself is never shown)."""
    if any(char in value for char in "\n\r\x00:"):
        return "must be a crypt hash (one line, without ':'); the value is not shown"
    return None


USER_PARAMS: Mapping[str, Param] = {
    "name": Param("str", required=True, aliases=("user",), check=account_problem),
    "state": Param("str", default="present", choices=("present", "absent")),
    "uid": Param("int"),
    "group": Param("str", check=account_problem),
    "groups": Param("list", check=account_problem),
    "append": Param("bool", default=False),
    "shell": Param("str"),
    "home": Param("path"),
    "comment": Param("str"),
    "system": Param("bool", default=False),
    "create_home": Param("bool", default=True, aliases=("createhome",)),
    "remove": Param("bool", default=False),
    "password": Param("str", check=_password_problem),
    "password_lock": Param("bool"),
    "update_password": Param("str", default="always", choices=("always", "on_create")),
    "expires": Param("raw", check=_expires_problem),
    "force": Param("bool", default=False),
    "generate_ssh_key": Param("bool", default=False),
    "ssh_key_bits": Param("int", default=0),
    "ssh_key_type": Param("str", default="rsa", check=option_value_problem),
    "ssh_key_file": Param("path", check=line_problem),
    "ssh_key_comment": Param("str", check=line_problem),
    "ssh_key_passphrase": Param("str", check=_passphrase_problem),
    "non_unique": Param("bool", default=False),
    "move_home": Param("bool", default=False),
    "seuser": Param("str", check=lambda _: "seuser is not supported: deployctl does not set SELinux users"),
    "local": Param("bool", default=False, check=lambda value: _LOCAL_REFUSED if value == "True" else None),
    "password_expire_min": Param("int"),
    "password_expire_max": Param("int"),
    "password_expire_warn": Param("int"),
}
AGING = (("-m", "password_expire_min"), ("-M", "password_expire_max"), ("-W", "password_expire_warn"))
"""chage's option for each password aging parameter, in the order of the shadow entry's fields."""

NOT_LOGGING_PASSWORD = "NOT_LOGGING_PASSWORD"  # noqa: S105 - the placeholder Ansible returns, not a password
"""What Ansible returns in place of the password."""


def _expires(params: Mapping[str, Any]) -> float | None:
    value = params.get("expires")
    return None if value is None else float(value)


def _reads_shadow(params: Mapping[str, Any]) -> bool:
    shadow_keys = ("password", "password_lock", "expires", *(key for _, key in AGING))
    return any(params.get(key) is not None for key in shadow_keys)


def _named_groups(params: Mapping[str, Any]) -> list[str]:
    names = [params["group"]] if params.get("group") else []
    names.extend(params.get("groups") or [])
    return list(dict.fromkeys(names))


def user_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The user, the group named like it, every group the task names, and its shadow entry when compared."""
    facts: list[Fact[Any]] = [UserFact(params["name"])]
    if params["state"] == "present":
        facts.extend(GroupFact(name) for name in dict.fromkeys([params["name"], *_named_groups(params)]))
        if _reads_shadow(params):
            facts.append(ShadowFact(params["name"]))
        if params["generate_ssh_key"]:
            facts.append(_ssh_key_fact(params))
    return facts


def _ssh_key_fact(params: Mapping[str, Any]) -> SshKeyFact:
    name: str = params["name"]
    file = params.get("ssh_key_file") or f".ssh/id_{params['ssh_key_type']}"
    return SshKeyFact(name, file, params.get("home") or f"/home/{name}")


def plan_user(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan useradd, usermod or userdel."""
    name: str = params["name"]
    if not name or name.startswith("-"):
        return failed(f"invalid user name {name!r}")
    info = optional_fact(facts, f"user:{name}", UserInfo)
    if params["state"] == "absent":
        return _plan_absent(name, info, params["remove"], params["force"])
    groups: dict[str, GroupInfo] = {}
    for group in _named_groups(params):
        found = optional_fact(facts, f"group:{group}", GroupInfo)
        if found is None:
            return failed(f"Group {group} does not exist")
        groups[group] = found
    if info is None:
        return _with_ssh_key(_plan_create(name, params, facts), params, facts, creating=True)
    shadow: ShadowInfo | None = None
    if _reads_shadow(params):
        shadow = optional_fact(facts, f"shadow:{name}", ShadowInfo)
        if shadow is not None and not shadow.readable:
            return failed("password, password_lock, expires and aging need /etc/shadow: run the task with become")
    return _with_ssh_key(_plan_update(name, info, params, groups, shadow), params, facts, creating=False)


def _with_ssh_key(plan: Plan, params: Mapping[str, Any], facts: Mapping[str, Any], *, creating: bool) -> Plan:
    """`plan` followed by the generation of the user's ssh key pair, when asked and not there yet."""
    if not params["generate_ssh_key"]:
        return plan
    fact_key = _ssh_key_fact(params)
    key = fact(facts, fact_key.key, SshKeyInfo)
    name: str = params["name"]
    home_ready = key.home_exists or (creating and params["create_home"])
    if not home_ready and not (params.get("ssh_key_file") or "").startswith("/"):
        return failed(f"User {name} home directory does not exist")
    result: dict[str, Any] = {**plan.result, "ssh_key_file": key.path}
    keeps = key.private_exists or key.public_exists
    if key.private_exists and params["force"] and params.get("ssh_key_passphrase") is not None:
        return failed(
            f"{key.path} exists: a key with a passphrase is not overwritten (Ansible's module would delete its "
            "public key and keep it); remove the key first"
        )
    if keeps and not params["force"]:
        which = "Key" if key.private_exists else "Public key"
        result.update(ssh_fingerprint=key.fingerprint or "", ssh_public_key=key.public_key)
        kept = f'{which} already exists, use "force: yes" to overwrite'
        return replace(plan, result=result, summary=f"{plan.summary}; {kept}" if plan.changed else kept)
    actions: list[RunCommand] = []
    directory = parent_dir(key.path) or "/"
    created_by_useradd = creating and params["create_home"] and directory == fact_key.home.rstrip("/")
    if not key.directory_exists and not created_by_useradd:
        actions += [RunCommand(("mkdir", "-m", "0700", "--", directory)), _give(name, directory)]
    if key.public_exists:
        actions.append(RunCommand(("rm", "-f", "--", f"{key.path}.pub")))
    actions.append(_ssh_keygen(params, key.path, overwrite=key.private_exists))
    actions.append(_give(name, key.path, f"{key.path}.pub"))
    generated = f"generate ssh key {key.path}" + (" (overwriting the existing one)" if keeps else "")
    return Plan(
        changed=True,
        summary=f"{plan.summary}; {generated}" if plan.changed else f"user {name}: {generated}",
        actions=(*plan.actions, *actions),
        diffs=(
            *plan.diffs,
            Diff(resource=f"ssh key {key.path}", before="present" if keeps else "absent", after="generated"),
        ),
        invalidates=tuple(dict.fromkeys([*plan.invalidates, fact_key.key])),
        result=result,
    )


_KEYGEN_WITH_HOST_COMMENT = 'k=$1; shift; exec ssh-keygen "$@" -C "ansible-generated on $(uname -n)" -f "$k" -N ""'
"""ssh-keygen with Ansible's default comment, which names the host (the name uname and gethostname give)."""


_KEYGEN_WITH_ASKPASS = """\
set -e
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cat > "$d/passphrase"
printf '#!/bin/sh\\nexec cat "$(dirname "$0")/passphrase"\\n' > "$d/askpass"
chmod 700 "$d/askpass"
k=$1
if [ "$2" = host ]; then c="ansible-generated on $(uname -n)"; else c=$3; fi
shift 3
SSH_ASKPASS="$d/askpass" SSH_ASKPASS_REQUIRE=force ssh-keygen "$@" -C "$c" -f "$k" </dev/null"""
"""ssh-keygen with a passphrase read from stdin: kept in a private temporary folder that ssh-keygen's askpass
helper prints (twice: the passphrase and its confirmation), removed when ssh-keygen is done."""


def _ssh_keygen(params: Mapping[str, Any], path: str, *, overwrite: bool) -> RunCommand:
    """ssh-keygen as Ansible runs it, answering its overwrite question when the private key is replaced."""
    bits: int = params["ssh_key_bits"]
    options = ["-t", params["ssh_key_type"], *(["-b", str(bits)] if bits > 0 else [])]
    stdin = b"y\n" if overwrite else None
    comment: str | None = params.get("ssh_key_comment")
    passphrase: str | None = params.get("ssh_key_passphrase")
    if passphrase is not None:
        words = ("host", "") if comment is None else ("given", comment)
        script = ("sh", "-c", _KEYGEN_WITH_ASKPASS, "sh", path, *words, *options)
        return RunCommand(script, stdin=passphrase.encode("utf-8"))
    if comment is None:
        return RunCommand(("sh", "-c", _KEYGEN_WITH_HOST_COMMENT, "sh", path, *options), stdin=stdin)
    return RunCommand(("ssh-keygen", *options, "-C", comment, "-f", path, "-N", ""), stdin=stdin)


def _give(name: str, *paths: str) -> RunCommand:
    """Give paths to the user and its login group (`chown -h user:`)."""
    return RunCommand(("chown", "-h", "--", f"{name}:", *paths))


def _set_password(name: str, password: str, lock: bool | None) -> RunCommand:
    """Set the hash from stdin, never on a command line (`!` in front when locking, as Ansible writes it)."""
    field = f"!{password.lstrip('!')}" if lock else password
    return RunCommand(("chpasswd", "-e"), stdin=f"{name}:{field}\n".encode())


def _expiry_date(expires: float) -> str:
    """`useradd`/`usermod -e`'s argument: the day (UTC) of `expires`, or "" for no expiry."""
    return "" if expires < 0 else time.strftime("%Y-%m-%d", time.gmtime(expires))


def _plan_absent(name: str, info: UserInfo | None, remove: bool, force: bool) -> Plan:
    if info is None:
        return no_change(f"user {name} does not exist", name=name, state="absent")
    flags = [*(["-f"] if force else []), *(["-r"] if remove else [])]
    return Plan(
        changed=True,
        summary=f"remove user {name}" + (" and its home" if remove else "") + (" (forced)" if force else ""),
        actions=(RunCommand(("userdel", *flags, "--", name)),),
        diffs=(Diff(resource=f"user {name}", before=f"uid {info.uid}", after="absent"),),
        invalidates=(f"user:{name}", f"group:{name}"),
        result={"name": name, "state": "absent", "force": force, "remove": remove},
    )


def _plan_create(name: str, params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    argv = ["useradd"]
    if params.get("uid") is not None:
        argv += ["-u", str(params["uid"]), *(["-o"] if params["non_unique"] else [])]
    if params.get("group"):
        argv += ["-g", params["group"]]
    elif optional_fact(facts, f"group:{name}", GroupInfo) is not None:
        argv.append("-N")
    if params.get("groups"):
        argv += ["-G", ",".join(params["groups"])]
    for flag, key in (("-c", "comment"), ("-d", "home"), ("-s", "shell")):
        if params.get(key) is not None:
            argv += [flag, params[key]]
    expires = _expires(params)
    if expires is not None:
        argv += ["-e", _expiry_date(expires)]
    if params["system"]:
        argv.append("-r")
    argv.append("-m" if params["create_home"] else "-M")
    argv += ["--", name]
    described = [f"{key} {params[key]}" for key in ("uid", "group", "shell", "home") if params.get(key) is not None]
    if expires is not None:
        described.append(f"expires {_expiry_date(expires) or 'never'}")
    actions = [RunCommand(tuple(argv))]
    result: dict[str, Any] = {"name": name, "state": "present"}
    if params.get("password") is not None:
        actions.append(_set_password(name, params["password"], params.get("password_lock")))
        described.append("password set" + (" (locked)" if params.get("password_lock") else ""))
        result["password"] = NOT_LOGGING_PASSWORD
    aging = _aging_change(name, params, None, None, described)
    actions += [aging] if aging is not None else []
    shadow = (f"shadow:{name}",) if _reads_shadow(params) else ()
    homeless = not params["create_home"]
    return Plan(
        changed=True,
        summary=f"create {'system ' if params['system'] else ''}user {name}",
        actions=tuple(actions),
        diffs=(Diff(resource=f"user {name}", before="absent", after="\n".join(["present", *described])),),
        invalidates=(
            f"user:{name}",
            f"group:{name}",
            *(f"group:{group}" for group in params.get("groups") or []),
            *shadow,
            *(useradd_files(name) if homeless else ()),
        ),
        result=result,
        effects_listed=True if homeless else None,
    )


def useradd_files(name: str) -> tuple[str, ...]:
    """The file facts `useradd -M` (no home) may change: the account databases and their backups, the mail
    spool (CREATE_MAIL_SPOOL), the lastlog and faillog records, the subordinate ids."""
    databases = ("/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow")
    paths = (
        *databases,
        *(f"{path}-" for path in databases),
        f"/var/mail/{name}",
        f"/var/spool/mail/{name}",
        "/var/log/lastlog",
        "/var/log/faillog",
        "/etc/subuid",
        "/etc/subgid",
    )
    return tuple(f"file:{path}" for path in paths)


def _plan_update(
    name: str,
    info: UserInfo,
    params: Mapping[str, Any],
    groups: Mapping[str, GroupInfo],
    shadow: ShadowInfo | None,
) -> Plan:
    flags: list[str] = []
    before: list[str] = []
    after: list[str] = []
    uid: int | None = params.get("uid")
    if uid is not None and uid != info.uid:
        flags += ["-u", str(uid), *(["-o"] if params["non_unique"] else [])]
        before.append(f"uid {info.uid}")
        after.append(f"uid {uid}")
    primary = info.group
    if params.get("group"):
        primary = groups[params["group"]].name
        if primary != info.group:
            flags += ["-g", params["group"]]
            before.append(f"group {info.group}")
            after.append(f"group {primary}")
    wanted_groups: list[str] | None = params.get("groups")
    if wanted_groups is not None:
        wanted = {groups[group].name for group in wanted_groups} - {primary}
        current = set(info.groups)
        if params["append"]:
            differs = bool(wanted - current)
            final = current | wanted
        else:
            differs = wanted != current
            final = wanted
        if differs:
            flags += [*(["-a"] if params["append"] else []), "-G", ",".join(wanted_groups)]
            before.append(f"groups {','.join(sorted(current)) or '(none)'}")
            after.append(f"groups {','.join(sorted(final)) or '(none)'}")
    for flag, key, now in (("-c", "comment", info.comment), ("-d", "home", info.home), ("-s", "shell", info.shell)):
        value = params.get(key)
        if value is not None and value != now:
            flags += [flag, value, *(["-m"] if key == "home" and params["move_home"] else [])]
            before.append(f"{key} {now or '(empty)'}")
            after.append(f"{key} {value or '(empty)'}")
    password_action = _shadow_changes(name, params, shadow, flags, before, after)
    aging = _aging_change(name, params, shadow, before, after)
    result: dict[str, Any] = {"name": name, "state": "present", "uid": info.uid}
    if params.get("password") is not None:
        result["password"] = NOT_LOGGING_PASSWORD
    if not flags and password_action is None and aging is None:
        return no_change(f"user {name} is as wanted", **result)
    actions = [RunCommand(("usermod", *flags, "--", name))] if flags else []
    actions += [action for action in (password_action, aging) if action is not None]
    shadow_changed = password_action or aging or set(flags) & _SHADOW_FLAGS
    shadow_key = [f"shadow:{name}"] if _reads_shadow(params) and shadow_changed else []
    return Plan(
        changed=True,
        summary=f"user {name}: "
        + ", ".join(f"{old} -> {new.split(' ', 1)[1]}" for old, new in zip(before, after, strict=True)),
        actions=tuple(actions),
        diffs=(Diff(resource=f"user {name}", before="\n".join(before), after="\n".join(after)),),
        invalidates=tuple(
            dict.fromkeys([f"user:{name}", *(f"group:{group}" for group in wanted_groups or []), *shadow_key])
        ),
        result=result,
    )


_SHADOW_FLAGS = frozenset({"-e", "-L", "-U"})


def _shadow_changes(
    name: str,
    params: Mapping[str, Any],
    shadow: ShadowInfo | None,
    flags: list[str],
    before: list[str],
    after: list[str],
) -> RunCommand | None:
    """Add usermod's expiry and lock flags to `flags`; the command that sets the password, if it changes."""
    if shadow is None:
        shadow = ShadowInfo(digest=password_digest(""), locked=False, expire=-1)
    expires = _expires(params)
    if expires is not None:
        current = time.strftime("%Y-%m-%d", time.gmtime(shadow.expire * 86400)) if shadow.expire >= 0 else ""
        wanted = _expiry_date(expires)
        if current != wanted:
            flags += ["-e", wanted]
            before.append(f"expires {current or 'never'}")
            after.append(f"expires {wanted or 'never'}")
    lock: bool | None = params.get("password_lock")
    password: str | None = params.get("password")
    always = params["update_password"] == "always"  # noqa: S105 - a choice of update_password, not a password
    if always and password is not None and password_digest(password) != shadow.digest:
        before.append("password (hash not shown)")
        after.append("password changed" + (" (locked)" if lock else ""))
        return _set_password(name, password, lock)
    if lock is not None and lock != shadow.locked:
        flags.append("-L" if lock else "-U")
        before.append(f"password_lock {'yes' if shadow.locked else 'no'}")
        after.append(f"password_lock {'yes' if lock else 'no'}")
    return None


def _aging_change(
    name: str, params: Mapping[str, Any], shadow: ShadowInfo | None, before: list[str] | None, after: list[str]
) -> RunCommand | None:
    """`chage` with the aging options that differ from the shadow entry (every one given when there is no entry),
    as Ansible's set_password_expire; what changes is added to `before` (None: a new user) and `after`."""
    options: list[str] = []
    for index, (option, key) in enumerate(AGING):
        wanted = params.get(key)
        current = shadow.aging[index] if shadow is not None else None
        if wanted is None or wanted == current:
            continue
        options += [option, str(wanted)]
        after.append(f"{key} {wanted}")
        if before is not None:
            before.append(f"{key} {'unset' if current is None else current}")
    return RunCommand(("chage", *options, "--", name)) if options else None


USER = Module(
    name="user",
    params=USER_PARAMS,
    facts=user_facts,
    plan=plan_user,
    doc=__doc__ or "",
)
