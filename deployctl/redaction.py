"""Hiding secrets in what deployctl shows and stores: `no_log`, and values of secret-named variables.

The rule, in one sentence: a variable is secret when one of the words of its name (split at `_`, `-`, `.`
and lower-to-upper case changes, compared in lower case) is one of SECRET_WORDS and no word after it is one
of DESCRIBING_WORDS (`ssh_host_keys_dir` names where keys are, not a key), and its value (every
string or number inside it, once templated, at least MIN_SECRET_LENGTH characters) is replaced with
REDACTED wherever it appears in a result's text; in a line of text `key = value` or `key: value` whose
key is secret-named, the value is replaced too (so an old password still on a host is hidden as well).
deployctl.yml's `redact:` turns the rule off or names variables to add or to leave out (RedactionRules).

Everything is pure: the runner builds a Redactor from a task's variables and applies it where results
are made (deployctl.strategies.resultredaction), so every report, the JSON and the ledger receive redacted
data.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deployctl.modules.base import Diff

REDACTED = "********"
"""What a secret value is replaced with."""
NO_LOG_TEXT = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
"""Ansible's own words for a result hidden by `no_log`."""
HIDDEN_ITEM = "item hidden by no_log"
"""A loop item's label when its task has `no_log`."""
SECRET_WORDS = frozenset(
    {
        "password",
        "passwords",
        "passwd",
        "pass",
        "passphrase",
        "pwd",
        "secret",
        "secrets",
        "token",
        "tokens",
        "key",
        "keys",
        "apikey",
        "credential",
        "credentials",
    }
)
"""A name with one of these words (see `name_words`) holds a secret."""
MIN_SECRET_LENGTH = 4
"""Shorter values are not searched for in text (they would redact common words and numbers)."""
MAX_DEPTH = 8
"""How deep nested mappings are searched for secret-named keys."""

_WORD_BREAK = re.compile(r"[_\-.\s]+|(?<=[a-z0-9])(?=[A-Z])")
_KEY_VALUE_LINE = re.compile(
    r"""^(?P<key>[^\S\n]*[-+]?[^\S\n]*(?:export[^\S\n]+)?["']?(?P<name>[A-Za-z_][\w.\-]*)["']?[^\S\n]*[=:][^\S\n]*)
    (?P<value>\S.*)$""",
    re.M | re.X,
)
"""A `key = value`, `key: value` or `export KEY=value` line (a diff's +/- prefix allowed)."""
_MASK_KEY = secrets.token_bytes(16)
"""Keys the digest of masked values: the same value gives the same mark within one run, never across runs."""


def name_words(name: str) -> list[str]:
    """The words of a variable name, lower case: `sshPrivateKey` and `ssh_private-key` give ssh, private, key."""
    return [word.lower() for word in _WORD_BREAK.split(name) if word]


DESCRIBING_WORDS = frozenset(
    {
        "file", "files", "path", "paths", "dir", "dirs", "directory", "folder",
        "owner", "group", "mode", "permissions", "size", "bits", "length", "type", "types",
        "algorithm", "algorithms", "name", "names", "id", "ids", "fingerprint", "url", "format",
    }
)  # fmt: skip
"""A word after the secret word names something about the secret, not the secret: `ssh_host_keys_dir`,
`ssh_host_rsa_key_size`, `password_min_length` hold no secret (public roles are full of them)."""


@functools.lru_cache(maxsize=4096)
def secret_name(name: str) -> bool:
    """Whether a name holds a secret by the rule: one of its words is in SECRET_WORDS and no word after it is
    in DESCRIBING_WORDS."""
    words = name_words(name)
    return any(
        word in SECRET_WORDS and not DESCRIBING_WORDS.intersection(words[index + 1 :])
        for index, word in enumerate(words)
    )


@dataclass(frozen=True)
class RedactionRules:
    """deployctl.yml's `redact:`: whether secret-named values are hidden, names to add and names to leave out."""

    variables: bool = True
    also: frozenset[str] = frozenset()
    never: frozenset[str] = frozenset()

    def is_secret(self, name: str) -> bool:
        """Whether values under this name are hidden: by the rule or `also`, unless off or in `never`."""
        if not self.variables or name in self.never:
            return False
        return name in self.also or secret_name(name)


def _leaves(value: Any) -> Iterable[str]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        yield str(value)


def secret_values(
    variables: Mapping[str, Any], rules: RedactionRules, render: Callable[[Any], Any] = lambda value: value
) -> set[str]:
    """The values of the secret-named variables (nested mappings' keys too), templated with `render`.

    The templated ones are rendered together (one pass); `render` returns a value it cannot render as is.
    """
    from deployctl.templating import is_templated  # Jinja is imported only by the commands that template

    if not rules.variables:
        return set()
    named: list[Any] = []

    def walk(mapping: Mapping[Any, Any], depth: int) -> None:
        for name, value in mapping.items():
            if isinstance(name, str) and rules.is_secret(name):
                named.append(value)
            elif isinstance(value, Mapping) and depth < MAX_DEPTH:
                walk(value, depth + 1)

    walk(variables, 0)
    templated = [value for value in named if is_templated(value)]
    if templated:
        rendered = render(templated)
        named += [render(value) for value in templated] if rendered is templated else [rendered]
    return {leaf for leaf in _leaves(named) if len(leaf.strip()) >= MIN_SECRET_LENGTH}


def masked(value: str) -> str:
    """A whole secret value as shown in the parity matrix: REDACTED and a short keyed digest, so that two
    stages' values can be told equal or different in one report without showing (or hashing) them."""
    digest = hmac.new(_MASK_KEY, value.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:8]
    return f"{REDACTED} ({digest})"


@dataclass(frozen=True)
class Redactor:
    """Replaces known secret values, and the values of secret-named `key = value` lines, in text and data."""

    values: tuple[str, ...] = ()
    rules: RedactionRules = field(default_factory=RedactionRules)

    @classmethod
    def of(cls, values: Iterable[str], rules: RedactionRules) -> Redactor:
        """A redactor for these values (longest first, so a value inside another does not split it)."""
        return cls(tuple(sorted(set(values), key=lambda v: (-len(v), v))), rules)

    def text(self, text: str) -> str:
        """`text` with every secret value, and every secret-named line's value, replaced by REDACTED."""
        if not self.rules.variables or not text:
            return text
        for value in self.values:
            if value in text:
                text = text.replace(value, REDACTED)
        if "=" in text or ":" in text:
            text = _KEY_VALUE_LINE.sub(self._line, text)
        return text

    def _line(self, match: re.Match[str]) -> str:
        if not self.rules.is_secret(match["name"]) or match["value"].startswith(REDACTED):
            return match[0]
        return match["key"] + REDACTED

    def data(self, value: Any) -> Any:
        """A copy of `value` (a result's output) with its strings redacted, and secret-named keys' values hidden."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {
                key: REDACTED
                if isinstance(key, str) and self.rules.is_secret(key) and isinstance(item, str | int | float)
                else self.data(item)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return type(value)(self.data(item) for item in value)
        return value

    def diff(self, diff: Diff) -> Diff:
        """A diff with its resource, before and after redacted."""
        return replace(
            diff, resource=self.text(diff.resource), before=self.text(diff.before), after=self.text(diff.after)
        )

    def value(self, value: str, *, secret: bool = False) -> str:
        """A whole value (a parity fact): masked when it holds a secret value or is named like one (`secret`)."""
        if self.rules.variables and (secret or self.text(value) != value):
            return masked(value)
        return value
