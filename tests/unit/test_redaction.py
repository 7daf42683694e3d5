"""The redaction rule: which names hold secrets (a golden table), and how values are hidden in text and data."""

from __future__ import annotations

import pytest

from deployctl.modules.base import Diff
from deployctl.redaction import (
    REDACTED,
    RedactionRules,
    Redactor,
    masked,
    secret_name,
    secret_values,
)

NAMES = {
    "api_key": True,
    "db_password": True,
    "vault_token": True,
    "ssh_private_key": True,
    "ansible_ssh_pass": True,
    "ansible_become_password": True,
    "mysql_root_passwd": True,
    "client_secret": True,
    "aws_credentials": True,
    "apiKey": True,
    "DB_PASSWORD": True,
    "gpg-passphrase": True,
    "keyboard_layout": False,
    "monkey": False,
    "bypass_cache": False,
    "passenger_count": False,
    "secretary_name": False,
    "tokenizer": False,
    "user_name": False,
    "ssh_host_keys_dir": False,  # dev-sec ssh_hardening: where the keys are, who owns them, how big they are
    "ssh_host_keys_owner": False,
    "ssh_host_rsa_key_size": False,
    "password_min_length": False,
    "ssh_key_file": False,
    "key_file_password": True,  # the secret word after the describing one
    "tls_key": True,
    "db_password_hash": True,
}


@pytest.mark.parametrize(("name", "secret"), NAMES.items())
def test_the_name_rule(name: str, secret: bool) -> None:
    assert secret_name(name) is secret


def test_values_are_found_by_name_after_templating_nested_and_long_enough() -> None:
    variables = {
        "db_password": "{{ vault_db }}",
        "vault_db": "hunter2-long",
        "app": {"token": "tok-123456", "port": 8080},
        "pin_key": "12",
        "greeting": "hello",
    }

    def render(value: object) -> object:  # what the Templar gives for these variables
        return [variables["vault_db"] if item == "{{ vault_db }}" else item for item in value]  # type: ignore[attr-defined]

    found = secret_values(variables, RedactionRules(), render)
    assert found == {"hunter2-long", "tok-123456", "{{ vault_db }}"}  # the text as written is hidden too
    assert secret_values(variables, RedactionRules(variables=False)) == set()
    assert secret_values(variables, RedactionRules(never=frozenset({"token", "db_password"}))) == set()
    assert secret_values({"greeting": "hello"}, RedactionRules(also=frozenset({"greeting"}))) == {"hello"}


def test_text_diffs_and_data_are_redacted() -> None:
    redactor = Redactor.of({"hunter2-long"}, RedactionRules())
    text = "url=postgres://app:hunter2-long@db\n-db_password = old-one\n+export API_TOKEN=abc\nport: 5432\n"
    assert redactor.text(text) == (
        f"url=postgres://app:{REDACTED}@db\n-db_password = {REDACTED}\n+export API_TOKEN={REDACTED}\nport: 5432\n"
    )
    diff = redactor.diff(Diff("/etc/app.conf", "password: old\n", "password: hunter2-long\n"))
    assert (diff.before, diff.after) == (f"password: {REDACTED}\n", f"password: {REDACTED}\n")
    assert redactor.data({"stdout": "x hunter2-long", "ansible_facts": {"api_key": 1234567}, "rc": 0}) == {
        "stdout": f"x {REDACTED}",
        "ansible_facts": {"api_key": REDACTED},
        "rc": 0,
    }
    off = Redactor.of({"hunter2-long"}, RedactionRules(variables=False))
    assert off.text(text) == text


def test_masked_values_are_equal_for_equal_values_only() -> None:
    assert masked("a-secret") == masked("a-secret") != masked("b-secret")
    assert "a-secret" not in masked("a-secret") and masked("a-secret").startswith(REDACTED)
