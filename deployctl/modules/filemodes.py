"""Symbolic file modes (`u=rwX,g=rX,o=`, `go-w`, `a-s`) resolved as Ansible resolves them (pure).

Ansible's `_symbolic_mode_to_octal` (module_utils/basic.py) computes the new mode from the path's current
one, clause by clause (comma-separated), each clause for each of its users in turn on the mode the previous
ones left: `X` is `x` when the path is a directory or any execute bit is set in that evolving mode; a clause
with no users means `a` with the umask's bits left alone (`+x` under umask 022 adds only 0111 & ~022); `=`
clears the user's rwx and its special bit (setuid for u, setgid for g, sticky for o) before setting. A path
the task creates starts from what creating it gives (0666 & ~umask for a file, 0777 & ~umask for a
directory), and the symbolic mode applies to that.
"""

from __future__ import annotations

import re
import stat

_OPERATOR = re.compile(r"[+=-]")
_USERS = re.compile(r"^[ugo]+$")
_PERMS = re.compile(r"^[rwxXstugo]*$")
_PERM_BITS = 0o7777
_ANY_EXECUTE = stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH

_USER_MASKS = {
    "u": stat.S_IRWXU | stat.S_ISUID,
    "g": stat.S_IRWXG | stat.S_ISGID,
    "o": stat.S_IRWXO | stat.S_ISVTX,
}


def is_symbolic_mode(mode: str) -> bool:
    """Whether `mode` is symbolic (an octal mode is digits only)."""
    return not mode.isdigit()


def octal_mode_problem(mode: str) -> str | None:
    """For modules that write a mode as given (no current mode to resolve against): symbolic ones are refused."""
    if is_symbolic_mode(mode):
        return f"symbolic mode {mode!r} is not supported here: give an octal mode such as '0644'"
    return None


def symbolic_mode_problem(mode: str) -> str | None:
    """Why Ansible would refuse `mode` as a symbolic mode ("mode must be in octal or symbolic form"), or None."""
    try:
        apply_symbolic_mode(mode, 0, is_directory=False, umask=0)
    except ValueError as exc:
        return f"mode must be in octal or symbolic form ('0644', 'u=rw,go=r'): {exc}"
    return None


def apply_symbolic_mode(mode: str, current: int, *, is_directory: bool, umask: int) -> int:
    """The permission bits `mode` gives a path whose bits are `current` (Ansible's _symbolic_mode_to_octal)."""
    new_mode = current & _PERM_BITS
    for clause in mode.split(","):
        permlist = _OPERATOR.split(clause)
        operators = _OPERATOR.findall(clause)
        users = permlist.pop(0)
        use_umask = users == ""
        if users in ("a", ""):
            users = "ugo"
        if not _USERS.match(users):
            raise ValueError(f"bad symbolic permission for mode: {clause}")
        for index, perms in enumerate(permlist):
            if not _PERMS.match(perms):
                raise ValueError(f"bad symbolic permission for mode: {clause}")
            for user in users:
                bits = _perm_bits(user, perms, new_mode, is_directory=is_directory, umask=umask if use_umask else 0)
                new_mode = _apply_operator(user, operators[index], bits, new_mode)
    return new_mode


def created_mode(*, is_directory: bool, umask: int) -> int:
    """The mode a newly created file (0666) or directory (0777) gets under `umask`."""
    return (0o777 if is_directory else 0o666) & ~umask


def _apply_operator(user: str, operator: str, bits: int, current: int) -> int:
    if operator == "=":
        return (current & (_USER_MASKS[user] ^ _PERM_BITS)) | bits
    if operator == "+":
        return current | bits
    return current - (current & bits)


def _perm_bits(user: str, perms: str, previous: int, *, is_directory: bool, umask: int) -> int:
    """The bits `perms` stand for, for `user`, given the mode so far (`umask` masks r, w and x)."""
    kept = umask ^ _PERM_BITS
    executable = is_directory or bool(previous & _ANY_EXECUTE)
    shift = {"u": 6, "g": 3, "o": 0}[user]
    by_perm = {
        "r": kept & (0o4 << shift),
        "w": kept & (0o2 << shift),
        "x": kept & (0o1 << shift),
        "X": (0o1 << shift) if executable else 0,
        "s": {"u": stat.S_ISUID, "g": stat.S_ISGID, "o": 0}[user],
        "t": stat.S_ISVTX if user == "o" else 0,
        "u": ((previous >> 6) & 0o7) << shift,
        "g": ((previous >> 3) & 0o7) << shift,
        "o": (previous & 0o7) << shift,
    }
    bits = 0
    for perm in perms:
        bits |= by_perm[perm]
    return bits
