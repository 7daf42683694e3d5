"""Ansible's `comment` filter: text wrapped as a comment block in one of its styles (a port of ansible-core's)."""

from __future__ import annotations

from typing import Any

from jinja2.exceptions import FilterArgumentError

COMMENT_STYLES: dict[str, dict[str, str]] = {
    "plain": {"decoration": "# "},
    "erlang": {"decoration": "% "},
    "c": {"decoration": "// "},
    "cblock": {"beginning": "/*", "decoration": " * ", "end": " */"},
    "xml": {"beginning": "<!--", "decoration": " - ", "end": "-->"},
}

_SETTINGS = ("newline", "beginning", "prefix", "prefix_count", "decoration", "postfix", "postfix_count", "end")


def comment(text: Any, style: str = "plain", **settings: Any) -> str:
    """`{{ ansible_managed | comment }}`: a prefix line, each line of `text` decorated, a postfix line.

    `settings` overrides the style's `newline`, `beginning`, `prefix`, `prefix_count`, `decoration`,
    `postfix`, `postfix_count` and `end`, as Ansible's filter does.
    """
    if style not in COMMENT_STYLES:
        raise FilterArgumentError(f"comment: invalid style {style!r}; available styles: {', '.join(COMMENT_STYLES)}")
    unknown = sorted(set(settings) - set(_SETTINGS))
    if unknown:
        raise FilterArgumentError(f"comment: unknown argument {', '.join(unknown)}")
    style_settings = COMMENT_STYLES[style]
    prepostfix = str(settings.get("decoration", style_settings["decoration"]))
    p: dict[str, Any] = {
        "newline": "\n",
        "beginning": "",
        "prefix": prepostfix.rstrip(),
        "prefix_count": 1,
        "decoration": "",
        "postfix": prepostfix.rstrip(),
        "postfix_count": 1,
        "end": "",
        **style_settings,
        **settings,
    }
    newline, decoration = str(p["newline"]), str(p["decoration"])
    beginning = f"{p['beginning']}{newline}" if p["beginning"] else ""
    prefix = ""
    if p["prefix"]:
        prefix = (f"{p['prefix']}{newline}" if p["prefix"] != newline else newline) * int(p["prefix_count"])
    body = f"{decoration}{str(text).replace(newline, newline + decoration)}".replace(
        decoration + newline, decoration.rstrip() + newline
    )
    postfix = newline.join(["", *(str(p["postfix"]) for _ in range(int(p["postfix_count"])))])
    end = f"{newline}{p['end']}" if p["end"] else ""
    return f"{beginning}{prefix}{body}{postfix}{end}"
