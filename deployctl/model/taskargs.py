"""Ansible's inline module arguments: `copy: dest=/x mode=0644` and free-form `command: ls -l chdir=/tmp`.

Words are split on whitespace outside quotes and outside Jinja blocks (`{{ a b }}` stays one word).
For a module with a free-form parameter, only `key=value` words naming one of its other parameters
are taken out; every other word stays in the free-form text, quotes included, as Ansible does.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Collection
from dataclasses import dataclass

_KEY_VALUE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)
_JINJA_OPEN = {"{{": "}}", "{%": "%}", "{#": "#}"}
_ESCAPE = re.compile(
    r"""(\\U[0-9a-fA-F]{8}|\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}|\\[0-7]{1,3}|\\N\{[^}]+\}|\\[\\'"abfnrtv])"""
)


def decode_escapes(text: str) -> str:
    """Backslash escapes (`\\n`, `\\t`, `\\x41`...) in a `key=value` argument, as Ansible's parse_kv decodes them."""
    return _ESCAPE.sub(lambda match: codecs.decode(match.group(0), "unicode-escape"), text)


@dataclass(frozen=True)
class Word:
    """One word of an inline argument string, as written (quotes kept), with its span in the string."""

    text: str
    start: int
    end: int


def split_words(text: str) -> list[Word]:
    """Split on whitespace outside quotes and Jinja blocks; unbalanced quotes or blocks raise ValueError."""
    words: list[Word] = []
    start: int | None = None
    quote: str | None = None
    closers: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        pair = text[index : index + 2]
        if start is None and not char.isspace():
            start = index
        if quote is not None:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif pair in _JINJA_OPEN:
            closers.append(_JINJA_OPEN[pair])
            index += 1
        elif closers and pair == closers[-1]:
            closers.pop()
            index += 1
        elif char in "'\"":
            quote = char
        elif not closers and char.isspace() and start is not None:
            words.append(Word(text[start:index], start, index))
            start = None
        index += 1
    if quote is not None:
        raise ValueError(f"unbalanced quote {quote} in {text!r}")
    if closers:
        raise ValueError(f"unclosed Jinja block (missing {closers[-1]!r}) in {text!r}")
    if start is not None:
        words.append(Word(text[start:], start, len(text)))
    return words


def unquote(value: str) -> str:
    """Strip one pair of matching outer quotes."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def parse_inline_args(text: str, free_form: str | None, params: Collection[str]) -> dict[str, str]:
    """The arguments in an inline string; the free-form text goes under `free_form` (raises ValueError).

    Without a free-form parameter every word must be `key=value`. With one, `key=value` words whose
    key is another parameter of the module are arguments; the other words, joined as written, are
    the free-form text.
    """
    args: dict[str, str] = {}
    kept: list[Word] = []
    for word in split_words(text):
        match = _KEY_VALUE.fullmatch(word.text)
        is_argument = match is not None and (free_form is None or match.group(1) in params)
        if not is_argument or match is None:
            if free_form is None:
                raise ValueError(f"expected key=value, got {word.text!r} (this module takes no free-form text)")
            kept.append(word)
            continue
        key = match.group(1)
        if key in args:
            raise ValueError(f"{key!r} is given twice")
        args[key] = unquote(decode_escapes(match.group(2)))
    if kept and free_form is not None:
        if free_form in args:
            raise ValueError(f"both free-form text and {free_form}= are given")
        pieces = [kept[0].text]
        for previous, word in itertools.pairwise(kept):
            adjacent = text[previous.end : word.start]
            pieces.append(adjacent if adjacent.isspace() else " ")
            pieces.append(word.text)
        args[free_form] = "".join(pieces)
    return args
