"""Ansible's hashing filters: `hash`, `md5`, `sha1`/`checksum`, and `password_hash` (crypt(3) formats).

`password_hash` gives exactly what ansible-core gives (through passlib) for md5, sha256 and sha512: the
SHA-crypt algorithms of Ulrich Drepper's specification and FreeBSD's MD5-crypt, implemented here, with
Ansible's default rounds (656000 for sha512, 535000 for sha256; `rounds=` omitted at the algorithms'
implicit 5000). Without a salt a random one is drawn, as Ansible does (so the result differs per run).
bcrypt (`blowfish`) is not supported.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from jinja2.exceptions import FilterArgumentError

_HASH64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
"""crypt(3)'s base-64 alphabet, also the characters a salt may hold."""

_SCHEMES = {"md5": "md5_crypt", "sha256": "sha256_crypt", "sha512": "sha512_crypt", "blowfish": "bcrypt"}
"""Ansible's short names for the passlib schemes it maps them to."""

_SHA512_ORDER = (
    (0, 21, 42),
    (22, 43, 1),
    (44, 2, 23),
    (3, 24, 45),
    (25, 46, 4),
    (47, 5, 26),
    (6, 27, 48),
    (28, 49, 7),
    (50, 8, 29),
    (9, 30, 51),
    (31, 52, 10),
    (53, 11, 32),
    (12, 33, 54),
    (34, 55, 13),
    (56, 14, 35),
    (15, 36, 57),
    (37, 58, 16),
    (59, 17, 38),
    (18, 39, 60),
    (40, 61, 19),
    (62, 20, 41),
)
_SHA256_ORDER = (
    (0, 10, 20),
    (21, 1, 11),
    (12, 22, 2),
    (3, 13, 23),
    (24, 4, 14),
    (15, 25, 5),
    (6, 16, 26),
    (27, 7, 17),
    (18, 28, 8),
    (9, 19, 29),
)
_MD5_ORDER = ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))


def _to_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogateescape")


def get_hash(data: Any, hashtype: str = "sha1") -> str:
    """`'text' | hash('sha256')`: the hex digest of the UTF-8 text with any algorithm hashlib knows."""
    try:
        digest = hashlib.new(hashtype)
    except (ValueError, TypeError) as exc:
        raise FilterArgumentError(f"hash: {exc}") from None
    digest.update(_to_bytes(data))
    return digest.hexdigest()


def md5(data: Any) -> str:
    """`'text' | md5`: the MD5 hex digest."""
    return hashlib.md5(_to_bytes(data), usedforsecurity=False).hexdigest()


def sha1(data: Any) -> str:
    """`'text' | sha1` (and `checksum`): the SHA-1 hex digest."""
    return hashlib.sha1(_to_bytes(data), usedforsecurity=False).hexdigest()


def _b64_from_24bit(high: int, middle: int, low: int, count: int) -> str:
    word = (high << 16) | (middle << 8) | low
    chars = []
    for _ in range(count):
        chars.append(_HASH64[word & 0x3F])
        word >>= 6
    return "".join(chars)


def _repeat_to(block: bytes, length: int) -> bytes:
    return (block * (length // len(block) + 1))[:length]


def sha_crypt(password: bytes, salt: str, rounds: int, bits: int) -> str:
    """SHA-crypt (`$5$` with bits 256, `$6$` with 512), as specified by Ulrich Drepper."""
    digest: Callable[[bytes], Any] = hashlib.sha512 if bits == 512 else hashlib.sha256
    salt_bytes = salt.encode("ascii")
    alternate = digest(password + salt_bytes + password).digest()
    data = password + salt_bytes + _repeat_to(alternate, len(password))
    length = len(password)
    while length:
        data += alternate if length & 1 else password
        length >>= 1
    result = digest(data).digest()
    p_bytes = _repeat_to(digest(password * len(password)).digest(), len(password))
    s_bytes = _repeat_to(digest(salt_bytes * (16 + result[0])).digest(), len(salt_bytes))
    # Each round hashes C with the same pieces for the same i % 42: prepared once.
    rounds_table: list[tuple[bool, bytes]] = []
    for i in range(42):
        middle = (s_bytes if i % 3 else b"") + (p_bytes if i % 7 else b"")
        rounds_table.append((True, p_bytes + middle) if i % 2 else (False, middle + p_bytes))
    for i in range(rounds):
        odd, fixed = rounds_table[i % 42]
        result = digest(fixed + result).digest() if odd else digest(result + fixed).digest()
    if bits == 512:
        encoded = "".join(_b64_from_24bit(result[a], result[b], result[c], 4) for a, b, c in _SHA512_ORDER)
        encoded += _b64_from_24bit(0, 0, result[63], 2)
    else:
        encoded = "".join(_b64_from_24bit(result[a], result[b], result[c], 4) for a, b, c in _SHA256_ORDER)
        encoded += _b64_from_24bit(0, result[31], result[30], 3)
    rounds_field = "" if rounds == 5000 else f"rounds={rounds}$"
    return f"${'6' if bits == 512 else '5'}${rounds_field}{salt}${encoded}"


def md5_crypt(password: bytes, salt: str) -> str:
    """MD5-crypt (`$1$`), as FreeBSD's and glibc's crypt(3) compute it."""
    salt_bytes = salt.encode("ascii")
    alternate = hashlib.md5(password + salt_bytes + password, usedforsecurity=False).digest()
    data = password + b"$1$" + salt_bytes + _repeat_to(alternate, len(password))
    length = len(password)
    while length:
        data += b"\0" if length & 1 else password[:1]
        length >>= 1
    result = hashlib.md5(data, usedforsecurity=False).digest()
    for i in range(1000):
        piece = (password if i % 2 else result) + (salt_bytes if i % 3 else b"") + (password if i % 7 else b"")
        piece += result if i % 2 else password
        result = hashlib.md5(piece, usedforsecurity=False).digest()
    encoded = "".join(_b64_from_24bit(result[a], result[b], result[c], 4) for a, b, c in _MD5_ORDER)
    encoded += _b64_from_24bit(0, 0, result[11], 2)
    return f"$1${salt}${encoded}"


_SALT_SIZES = {"md5_crypt": 8, "sha256_crypt": 16, "sha512_crypt": 16}
_DEFAULT_ROUNDS = {"sha256_crypt": 535000, "sha512_crypt": 656000}


def password_hash(
    password: Any,
    hashtype: str = "sha512",
    salt: Any = None,
    salt_size: Any = None,
    rounds: Any = None,
    ident: Any = None,
) -> str:
    """`'secret' | password_hash('sha512', 'salt')`: a crypt(3) hash as ansible-core makes it."""
    scheme = _SCHEMES.get(hashtype, hashtype)
    if scheme not in _SCHEMES.values():
        raise FilterArgumentError(f"{hashtype} is not in the list of supported passlib algorithms: md5, sha256, sha512")
    if scheme not in _SALT_SIZES:
        raise FilterArgumentError(f"password_hash: {hashtype} is not supported by deployctl (use sha512)")
    max_salt = _SALT_SIZES[scheme]
    if salt_size is not None and (isinstance(salt_size, bool) or not isinstance(salt_size, int)):
        raise FilterArgumentError("salt_size must be an integer")
    if salt:
        salt_text = str(salt)
        if len(salt_text) > max_salt:
            raise FilterArgumentError(
                f"Could not hash the secret: salt too large ({scheme} requires <= {max_salt} chars)"
            )
        if any(char not in _HASH64 for char in salt_text):
            raise FilterArgumentError(f"Could not hash the secret: invalid characters in {scheme} salt")
    else:
        size = salt_size or max_salt
        if not 0 <= size <= max_salt:
            raise FilterArgumentError(f"Could not hash the secret: salt_size must be at most {max_salt} for {scheme}")
        salt_text = "".join(secrets.choice(_HASH64) for _ in range(size))
    secret = _to_bytes(password)
    if scheme == "md5_crypt":
        return md5_crypt(secret, salt_text)
    count = int(rounds) if rounds else _DEFAULT_ROUNDS[scheme]
    if not 1000 <= count <= 999_999_999:
        raise FilterArgumentError(f"Could not hash the secret: rounds must be between 1000 and 999999999, got {count}")
    return sha_crypt(secret, salt_text, count, 512 if scheme == "sha512_crypt" else 256)
