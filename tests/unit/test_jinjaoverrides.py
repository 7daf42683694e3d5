"""A template file's `#jinja2:` line: the settings it gives, and the lines ansible-core refuses."""

from __future__ import annotations

import pytest

from deployctl.jinjaoverrides import split_overrides


@pytest.mark.parametrize(
    ("source", "body", "settings"),
    [
        ("no line\n", "no line\n", {}),
        (" #jinja2: trim_blocks:False\nx", " #jinja2: trim_blocks:False\nx", {}),  # not at the very start
        ("#jinja2: trim_blocks:True, lstrip_blocks:True\nx\n", "x\n", {"trim_blocks": True, "lstrip_blocks": True}),
        ("#jinja2:variable_start_string:'[%', line_comment_prefix: None\n", "", {
            "variable_start_string": "[%", "line_comment_prefix": None}),
        ("#jinja2: newline_sequence:'\\r\\n'\nx", "x", {"newline_sequence": "\r\n"}),
    ],
)  # fmt: skip
def test_the_first_line_gives_the_settings_and_is_dropped(source: str, body: str, settings: dict[str, object]) -> None:
    assert split_overrides(source) == (body, settings)


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("#jinja2: trim_blocks:True", "Missing newline"),
        ("#jinja2: trim_blocks:True,\n", "Empty"),
        ("#jinja2: trim_blocks\n", "Missing key-value separator"),
        ("#jinja2: autoescape:True\n", "Invalid '#jinja2:' override key 'autoescape'"),
        ("#jinja2: trim_blocks:yes\n", "not a Python literal"),
        ("#jinja2: trim_blocks:'True'\n", "not a valid value"),
        ("#jinja2: newline_sequence:'\\t'\n", "not a valid value"),
        ("#jinja2: block_start_string:''\n", "not a valid value"),
    ],
)
def test_a_line_ansible_core_refuses_is_refused(source: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        split_overrides(source)
