"""Inline module arguments: `key=value` strings and free-form text, split as Ansible splits them."""

from __future__ import annotations

import pytest

from deployctl.model.taskargs import parse_inline_args, split_words

COMMAND_PARAMS = {"cmd", "creates", "chdir"}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a b  c", ["a", "b", "c"]),
        ('echo "a  b" c', ["echo", '"a  b"', "c"]),
        ("echo 'it''s'", ["echo", "'it''s'"]),
        ("msg={{ a | default('x y') }} z", ["msg={{ a | default('x y') }}", "z"]),
        ("{% if a %} x {% endif %}", ["{% if a %}", "x", "{% endif %}"]),
        ('say "a \\" b"', ["say", '"a \\" b"']),
        ("  ", []),
    ],
)
def test_split_words(text: str, words: list[str]) -> None:
    assert [word.text for word in split_words(text)] == words


@pytest.mark.parametrize("text", ['echo "open', "echo {{ x", "x={% if a"])
def test_unbalanced_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"unbalanced|unclosed"):
        split_words(text)


def test_key_value_arguments() -> None:
    assert parse_inline_args("dest=/etc/x mode=0644 content='a b=c'", None, {"dest", "mode", "content"}) == {
        "dest": "/etc/x",
        "mode": "0644",
        "content": "a b=c",
    }
    assert parse_inline_args('name={{ app }} state="started"', None, {"name", "state"}) == {
        "name": "{{ app }}",
        "state": "started",
    }


def test_key_value_errors() -> None:
    with pytest.raises(ValueError, match="expected key=value, got 'oops'"):
        parse_inline_args("dest=/x oops", None, {"dest"})
    with pytest.raises(ValueError, match="'dest' is given twice"):
        parse_inline_args("dest=/x dest=/y", None, {"dest"})


def test_free_form_takes_only_known_parameters() -> None:
    assert parse_inline_args("ls -l /tmp chdir=/opt creates=/x", "cmd", COMMAND_PARAMS) == {
        "cmd": "ls -l /tmp",
        "chdir": "/opt",
        "creates": "/x",
    }
    assert parse_inline_args("echo a=b   'c  d' creates=/x e", "cmd", COMMAND_PARAMS) == {
        "cmd": "echo a=b   'c  d' e",
        "creates": "/x",
    }
    assert parse_inline_args("cmd=uptime", "cmd", COMMAND_PARAMS) == {"cmd": "uptime"}
    assert parse_inline_args("chdir=/tmp", "cmd", COMMAND_PARAMS) == {"chdir": "/tmp"}


def test_free_form_and_its_parameter_together_are_refused() -> None:
    with pytest.raises(ValueError, match="both free-form text and cmd= are given"):
        parse_inline_args("ls cmd=uptime", "cmd", COMMAND_PARAMS)
