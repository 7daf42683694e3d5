"""Ansible host patterns: `web:db`, `web:&prod`, `all:!web`, `web*`, `~db\\d+` and host ranges `web[01:10]`."""

from __future__ import annotations

import fnmatch
import re
import string
from collections.abc import Iterable, Mapping, Sequence

_RANGE = re.compile(r"\[(?P<start>[a-zA-Z0-9]+):(?P<end>[a-zA-Z0-9]+)(?::(?P<step>\d+))?\]")


def expand_host_range(name: str) -> list[str]:
    """Expand Ansible's host ranges: `web[01:03]` -> web01, web02, web03; `db-[a:c]` -> db-a, db-b, db-c."""
    match = _RANGE.search(name)
    if match is None:
        return [name]
    start, end, step = match["start"], match["end"], int(match["step"] or 1)
    head, tail = name[: match.start()], name[match.end() :]
    if step < 1:
        raise ValueError(f"host range {match.group(0)!r}: the step must be at least 1")
    if start.isdigit() and end.isdigit():
        width = len(start) if start.startswith("0") else 0
        if int(start) > int(end):
            raise ValueError(f"host range {match.group(0)!r}: the start is after the end")
        items = [str(n).zfill(width) for n in range(int(start), int(end) + 1, step)]
    elif len(start) == 1 and len(end) == 1 and start.isalpha() and end.isalpha():
        letters = string.ascii_letters
        if letters.index(start) > letters.index(end):
            raise ValueError(f"host range {match.group(0)!r}: the start is after the end")
        items = list(letters[letters.index(start) : letters.index(end) + 1 : step])
    else:
        raise ValueError(f"host range {match.group(0)!r}: use numbers [01:10] or single letters [a:f]")
    return [expanded for item in items for expanded in expand_host_range(head + item + tail)]


def split_pattern(pattern: str) -> list[str]:
    """Split a pattern on `:` and `,` into terms (a `~regex` term may not contain either)."""
    return [term.strip() for term in re.split(r"[:,]", pattern) if term.strip()]


def _match_term(term: str, host_order: Sequence[str], groups: Mapping[str, Iterable[str]]) -> set[str]:
    if term in ("all", "*"):
        return set(host_order)
    if term.startswith("~"):
        regex = re.compile(term[1:])
        names = [g for g in groups if regex.search(g)] + [h for h in host_order if regex.search(h)]
    else:
        names = [g for g in groups if fnmatch.fnmatchcase(g, term)]
        names += [h for h in host_order if fnmatch.fnmatchcase(h, term)]
    matched: set[str] = set()
    for name in names:
        matched.update(groups.get(name, [name]))
    return matched


def match_hosts(pattern: str, host_order: Sequence[str], groups: Mapping[str, Iterable[str]]) -> list[str]:
    """Hosts matching an Ansible pattern, in inventory order: unions first, then `&` and then `!` terms."""
    union: set[str] = set()
    intersections: list[set[str]] = []
    exclusions: set[str] = set()
    for term in split_pattern(pattern):
        if term.startswith("!"):
            exclusions |= _match_term(term[1:], host_order, groups)
        elif term.startswith("&"):
            intersections.append(_match_term(term[1:], host_order, groups))
        else:
            union |= _match_term(term, host_order, groups)
    if not union and intersections:
        union = set(host_order)
    for other in intersections:
        union &= other
    union -= exclusions
    return [host for host in host_order if host in union]
