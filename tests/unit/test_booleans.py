"""Ansible's truthiness of settings: a golden table of values and what they mean."""

from __future__ import annotations

from typing import Any

import pytest

from deployctl.booleans import parse_bool

VALUES: list[tuple[Any, bool | None]] = [
    (True, True),
    (False, False),
    (1, True),
    (0, False),
    (2, None),
    ("yes", True),
    (" On ", True),
    ("TRUE", True),
    ("1", True),
    ("no", False),
    ("off", False),
    ("False", False),
    ("0", False),
    ("y", None),
    ("", None),
    (None, None),
    (1.0, None),
]


@pytest.mark.parametrize(("value", "expected"), VALUES)
def test_parse_bool(value: Any, expected: bool | None) -> None:
    assert parse_bool(value) is expected
