"""Ansible's comment, version, hash and password_hash, rendered by deployctl's Templar, equal ansible-core's."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from deployctl.filters.hashes import password_hash
from deployctl.templating import Templar, TemplateError

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # passlib imports the deprecated crypt module
    from ansible.errors import AnsibleError
    from ansible.plugins.filter.core import comment as ansible_comment
    from ansible.plugins.filter.core import get_encrypted_password, get_hash
    from ansible.plugins.test.core import version_compare as ansible_version_compare


def render(template: str, **variables: Any) -> Any:
    return Templar().render(template, variables)


@pytest.mark.parametrize(
    ("arguments", "settings"),
    [
        ("", {}),
        ("'plain'", {}),
        ("'erlang'", {}),
        ("'c'", {}),
        ("'cblock'", {}),
        ("'xml'", {}),
        ("'plain', decoration='; '", {"decoration": "; "}),
        ("'c', prefix='//+', postfix='//-'", {"prefix": "//+", "postfix": "//-"}),
        ("'xml', prefix_count=2, postfix_count=3", {"prefix_count": 2, "postfix_count": 3}),
        ("'plain', beginning='BEGIN', end='END'", {"beginning": "BEGIN", "end": "END"}),
        ("'plain', prefix='', postfix=''", {"prefix": "", "postfix": ""}),
        ("'plain', newline=crlf", {"newline": "\r\n"}),
    ],
)
@pytest.mark.parametrize("text", ["Ansible managed", "line one\nline two", "a\n\nb\n", ""])
def test_comment_matches_ansible(text: str, arguments: str, settings: dict[str, Any]) -> None:
    style = arguments.split(",")[0].strip("'") if arguments else "plain"
    call = f"comment({arguments})" if arguments else "comment"
    assert render("{{ text | " + call + " }}", text=text, crlf="\r\n") == ansible_comment(text, style, **settings)


def test_comment_of_ansible_managed_in_a_template_file() -> None:
    rendered = Templar().render("{{ ansible_managed | comment }}\nkey = 1\n", {"ansible_managed": "Ansible managed"})
    assert rendered == "#\n# Ansible managed\n#\nkey = 1\n"


def test_comment_refuses_an_unknown_style() -> None:
    with pytest.raises(TemplateError, match="invalid style 'shell'"):
        render("{{ 'x' | comment('shell') }}")


VERSION_CASES = [
    ("12", "11", ">=", {}),
    ("12.4", "12.10", "<", {}),
    ("1.0", "1.0.0", "==", {}),
    ("2.2beta29", "2.2", "gt", {}),
    ("9", "10", "lt", {}),
    ("1.10", "1.9", "ge", {}),
    ("1.0.4a3", "1.0.4", "<", {"strict": True}),
    ("0.4", "0.4.0", "eq", {"strict": True}),
    ("1.0.4b1", "1.0.4a3", ">", {"strict": True}),
    ("1.0.0-alpha", "1.0.0-alpha.1", "<", {"version_type": "semver"}),
    ("1.0.0-alpha.1", "1.0.0-alpha.beta", "<", {"version_type": "semver"}),
    ("1.0.0-beta.11", "1.0.0-beta.2", ">", {"version_type": "semantic"}),
    ("1.0.0-rc.1", "1.0.0", "<", {"version_type": "semver"}),
    ("1.0.0+build.5", "1.0.0", "==", {"version_type": "semver"}),
    ("1.0.0rc1", "1.0.0", "<", {"version_type": "pep440"}),
    ("2.19.0", "2.19", "==", {"version_type": "pep440"}),
    ("3.1", "3.1", "!=", {}),
    ("3.1", "3.2", "<>", {}),
    ("3.1", "3.1", "=", {}),
    ("3.1", "3.0", "le", {"version_type": "loose"}),
]


@pytest.mark.parametrize(("value", "version", "operator", "options"), VERSION_CASES)
@pytest.mark.parametrize("test", ["version", "version_compare"])
def test_version_matches_ansible(value: str, version: str, operator: str, options: dict[str, Any], test: str) -> None:
    extra = "".join(f", {name}={value!r}" for name, value in options.items())
    expression = f"{{{{ value is {test}(version, {operator!r}{extra}) }}}}"
    assert render(expression, value=value, version=version) is ansible_version_compare(
        value, version, operator, **options
    )


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("'1.2' is version('1.3', 'lesser')", "Invalid operator type"),
        ("'1.2' is version('1.3', version_type='calendar')", "Invalid version type"),
        ("'1.2' is version('1.3', strict=true, version_type='semver')", "Cannot specify both"),
        ("'1.2' is version('1.3', version_type='semver')", "invalid semantic version"),
        ("'1.3pl1' is version('1.3', strict=true)", "invalid version number"),
        ("'1.a' is version('1.0')", "Version comparison failed"),
        ("'' is version('1.0')", "cannot be empty"),
    ],
)
def test_version_errors(expression: str, problem: str) -> None:
    with pytest.raises(TemplateError, match=problem):
        render("{{ " + expression + " }}")


@pytest.mark.parametrize("algorithm", ["sha1", "md5", "sha256", "sha512", "sha3_256", "blake2b"])
@pytest.mark.parametrize("text", ["", "hello", "héllo wörld\n"])
def test_hash_matches_ansible(algorithm: str, text: str) -> None:
    assert render("{{ text | hash(algorithm) }}", text=text, algorithm=algorithm) == get_hash(text, algorithm)


def test_hash_defaults_to_sha1_and_the_short_filters() -> None:
    assert render("{{ 'hello' | hash }}") == get_hash("hello")
    assert render("{{ 'hello' | sha1 }}") == render("{{ 'hello' | checksum }}") == get_hash("hello", "sha1")
    assert render("{{ 'hello' | md5 }}") == get_hash("hello", "md5")
    with pytest.raises(TemplateError, match="unsupported hash type"):
        render("{{ 'hello' | hash('nope') }}")


PASSWORD_CASES: list[tuple[str, str, str, int | None]] = [
    ("secret", "sha512", "mysalt", None),
    ("secret", "sha256", "mysalt", None),
    ("secret", "md5", "mysalt", None),
    ("secret", "sha512", "mysalt", 5000),
    ("", "sha512", "x", 1000),
    ("p" * 200, "sha256", "abcdefghijklmnop", 1234),
    ("pässwörd", "sha512", "./09AZaz", 2000),
    ("pässwörd", "md5", "12345678", None),
    ("a" * 64, "sha512", "s", 1001),
]


@pytest.mark.parametrize(("secret", "hashtype", "salt", "rounds"), PASSWORD_CASES)
def test_password_hash_with_salt_matches_ansible(secret: str, hashtype: str, salt: str, rounds: int | None) -> None:
    expected = get_encrypted_password(secret, hashtype, salt, rounds=rounds)
    extra = f", rounds={rounds}" if rounds else ""
    assert render(f"{{{{ secret | password_hash({hashtype!r}, {salt!r}{extra}) }}}}", secret=secret) == expected


def test_password_hash_without_salt_draws_a_random_one_as_ansible() -> None:
    first, second = password_hash("secret", "sha512", rounds=1000), password_hash("secret", "sha512", rounds=1000)
    assert first != second
    for hashed in (first, second):
        salt = hashed.split("$")[3]
        assert len(salt) == 16
        assert get_encrypted_password("secret", "sha512", salt, rounds=1000) == hashed
    assert len(password_hash("secret", "md5").split("$")[2]) == 8
    assert len(password_hash("secret", "sha512", salt_size=4, rounds=1000).split("$")[3]) == 4


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ("'sha512', 'abcdefghijklmnopq'", "salt too large"),
        ("'sha512', 'bad$salt'", "invalid characters"),
        ("'sha512', 'salt', rounds=999", "rounds must be between"),
        ("'whirlpool'", "not in the list of supported passlib algorithms"),
        ("'blowfish'", "not supported by deployctl"),
    ],
)
def test_password_hash_refusals(arguments: str, problem: str) -> None:
    with pytest.raises(TemplateError, match=problem):
        render("{{ 'secret' | password_hash(" + arguments + ") }}")


@pytest.mark.parametrize(("arguments"), ["'sha512', 'abcdefghijklmnopq'", "'sha512', 'bad$salt'"])
def test_ansible_refuses_the_same_salts(arguments: str) -> None:
    hashtype, salt = (part.strip("' ") for part in arguments.split(","))
    with pytest.raises(AnsibleError):
        get_encrypted_password("secret", hashtype, salt)
