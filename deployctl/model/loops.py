"""The items of Ansible's `with_<lookup>` loops, as ansible-core's lookup plugins make them (pure).

A loop's rendered value is its terms: a list as is, anything else a list of that one value (as
ansible-core's task executor does). Each keyword then shapes its items exactly as its lookup does:
`with_dict` gives `{key, value}` mappings, `with_subelements` `[parent, sub]` pairs (the parent without
its sub-list), `with_nested` the cartesian product as lists, `with_together` the lists zipped (None
where one is shorter), `with_indexed_items` `[index, item]`, `with_flattened` every nested list opened,
`with_sequence` formatted numbers, `with_fileglob` controller files matching a pattern. `with_items` and
`with_list` keep their own shapes; `with_first_found` is resolved by the lookup of that name.
"""

from __future__ import annotations

import glob
import itertools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from deployctl.booleans import parse_bool
from deployctl.lookups import LookupSite, plugin_name

WITH_LOOPS = (
    "with_items",
    "with_first_found",
    "with_list",
    "with_dict",
    "with_subelements",
    "with_nested",
    "with_flattened",
    "with_together",
    "with_indexed_items",
    "with_sequence",
    "with_fileglob",
)
"""The `with_<lookup>` keywords deployctl runs."""
COLLECTION_LOOKUPS = {"community.general.flattened": "flattened"}
"""Collection lookups that are loops deployctl runs under their short name (community.general.flattened is the
lookup ansible-core's `with_flattened` is routed to)."""
SUBELEMENTS_FLAGS = ("skip_missing",)
_SEQUENCE_SHORTCUT = re.compile(r"^(?:(0?x?[0-9a-f]+)-)?(0?x?[0-9a-f]+)(?:/(0?x?[0-9a-f]+))?(?::(.+))?$", re.I)
_SEQUENCE_WORD = re.compile(r"(\w+)=(\S+)")
SEQUENCE_LIMIT = 100_000
"""The most items one `with_sequence` term may give (a typo in `end` should not exhaust memory)."""


class LoopError(ValueError):
    """A loop's value does not have the shape its keyword needs (the message says which)."""


def with_loop_keyword(key: str) -> str | None:
    """The `with_<lookup>` keyword a task key is, its lookup named by its short or fully qualified name
    (`with_ansible.builtin.dict` is with_dict, `with_community.general.flattened` with_flattened); else None."""
    if not key.startswith("with_"):
        return None
    lookup = key.removeprefix("with_")
    keyword = f"with_{COLLECTION_LOOKUPS.get(lookup, plugin_name(lookup))}"
    return keyword if keyword in WITH_LOOPS else None


def loop_terms(rendered: Any) -> list[Any]:
    """A rendered `with_*` value as lookup terms: a list as is, any other value a list of itself."""
    return list(rendered) if isinstance(rendered, list | tuple) else [rendered]


def with_items(keyword: str, rendered: Any, site: LookupSite | None = None) -> list[Any]:
    """The items of a `with_<lookup>` loop (not with_first_found) from its rendered value."""
    terms = loop_terms(rendered)
    if keyword == "with_items":
        return flatten_once(terms)
    if keyword == "with_list":
        return terms
    if keyword == "with_dict":
        return dict_items(terms)
    if keyword == "with_subelements":
        return subelements(terms)
    if keyword == "with_nested":
        return nested(terms)
    if keyword == "with_flattened":
        return flattened(terms)
    if keyword == "with_together":
        return [flatten_once(list(group)) for group in itertools.zip_longest(*terms, fillvalue=None)]
    if keyword == "with_indexed_items":
        return [[index, item] for index, item in enumerate(flatten_once(terms))]
    if keyword == "with_sequence":
        return [value for term in terms for value in sequence(str(term))]
    if keyword == "with_fileglob":
        return fileglob(terms, site or LookupSite((Path.cwd(),)))
    raise LoopError(f"unsupported loop keyword {keyword!r}")


def flatten_once(terms: Sequence[Any]) -> list[Any]:
    """Lists among the terms opened one level (ansible-core's `_flatten`)."""
    return [inner for term in terms for inner in (term if isinstance(term, list | tuple) else [term])]


def dict_items(terms: Sequence[Any]) -> list[dict[str, Any]]:
    """`with_dict`: every mapping's entries as `{key, value}`, in order."""
    found: list[dict[str, Any]] = []
    for term in terms:
        if not isinstance(term, Mapping):
            raise LoopError(f"with_dict expects a dictionary, got {type(term).__name__} {term!r}")
        found.extend({"key": key, "value": value} for key, value in term.items())
    return found


def subelements(terms: Sequence[Any]) -> list[list[Any]]:
    """`with_subelements`: `[parent, sub]` for each element of each parent's sub-list (a dotted path).

    The parent is shown without its sub-list, as ansible-core does; `skip_missing` skips parents lacking it.
    """
    if not 2 <= len(terms) <= 3 or not isinstance(terms[0], list | tuple | Mapping) or not isinstance(terms[1], str):
        raise LoopError("with_subelements expects a list (or dict) of parents, the subkey, and optional flags")
    flags = terms[2] if len(terms) == 3 else {}
    if not isinstance(flags, Mapping) or any(key not in SUBELEMENTS_FLAGS for key in flags):
        raise LoopError(f"with_subelements: the third item must be a mapping of flags {', '.join(SUBELEMENTS_FLAGS)}")
    skip_missing = bool(parse_bool(flags.get("skip_missing", False)))
    parents = terms[0]
    if isinstance(parents, Mapping):
        if parents.get("skipped", False) is not False:
            return []
        parents = list(parents.values())
    path = terms[1].split(".")
    found: list[list[Any]] = []
    for parent in parents:
        if not isinstance(parent, Mapping):
            raise LoopError(f"with_subelements expects dictionaries, got {parent!r}")
        if parent.get("skipped", False) is not False:
            continue
        sub = _sub_list(parent, path, skip_missing)
        if sub is None:
            continue
        shown = _without(parent, path)
        found.extend([shown, item] for item in sub)
    return found


def _sub_list(parent: Mapping[str, Any], path: list[str], skip_missing: bool) -> list[Any] | None:
    value: Any = parent
    for depth, key in enumerate(path):
        if not isinstance(value, Mapping) or key not in value:
            if skip_missing:
                return None
            raise LoopError(f"could not find {key!r} key in iterated item {value!r}")
        value = value[key]
        last = depth == len(path) - 1
        if not last and not isinstance(value, Mapping):
            if skip_missing:
                return None
            raise LoopError(f"the key {key} should point to a dictionary, got {value!r}")
        if last and not isinstance(value, list | tuple):
            raise LoopError(f"the key {key} should point to a list, got {value!r}")
    return list(value)


def _without(parent: Mapping[str, Any], path: list[str]) -> dict[str, Any]:
    """The parent with the sub-list's key removed (a copy: the variable itself is left as it is)."""
    if len(path) == 1:
        return {key: value for key, value in parent.items() if key != path[0]}
    inner = parent[path[0]]
    return {**parent, path[0]: _without(inner, path[1:])}


def nested(terms: Sequence[Any]) -> list[list[Any]]:
    """`with_nested`: the cartesian product of the lists, each combination a list (ansible-core's shape)."""
    if not terms:
        raise LoopError("with_nested requires at least one element in the nested list")
    result: list[Any] = list(terms[0]) if isinstance(terms[0], list | tuple) else [terms[0]]
    for term in terms[1:]:
        following = term if isinstance(term, list | tuple) else [term]
        result = [flatten_once([left, right]) for left in result for right in following]
    return [flatten_once(item) if isinstance(item, list | tuple) else [item] for item in result]


def flattened(terms: Sequence[Any]) -> list[Any]:
    """`with_flattened`: every nested list opened; the words None and null end a list, as the lookup does."""
    found: list[Any] = []
    for term in terms:
        if term in ("None", "null"):
            break
        if isinstance(term, list | tuple):
            found.extend(flattened(term))
        else:
            found.append(term)
    return found


def sequence(term: str) -> list[str]:
    """`with_sequence`: `start=1 end=5 stride=1 format=%d` (or `count=`), or `[start-]end[/stride][:format]`."""
    options = _sequence_options(term.strip())
    start = _number(options.get("start", "1"))
    stride = _number(options.get("stride", "1"))
    form = options.get("format", "%d")
    if "count" in options and "end" in options:
        raise LoopError("with_sequence: count and end are mutually exclusive")
    if "count" in options:
        count = _number(options["count"])
        if count <= 0:
            return []
        end = start + (count - 1) * stride
    elif "end" in options:
        end = _number(options["end"])
    else:
        raise LoopError("with_sequence: must specify count or end")
    if stride == 0:
        return []
    if (stride > 0 and end < start) or (stride < 0 and end > start):
        raise LoopError(f"with_sequence: to count from {start} to {end}, the stride must have that direction")
    values = range(start, end + (1 if stride > 0 else -1), stride)
    if len(values) > SEQUENCE_LIMIT:
        raise LoopError(f"with_sequence: {len(values)} items, over the limit of {SEQUENCE_LIMIT}")
    try:
        return [form % value for value in values]
    except (TypeError, ValueError):
        raise LoopError(f"with_sequence: bad format string {form!r}") from None


def _sequence_options(term: str) -> dict[str, str]:
    shortcut = _SEQUENCE_SHORTCUT.match(term)
    if "=" not in term and shortcut is not None:
        start, end, stride, form = shortcut.groups()
        found = {"end": end}
        found.update({key: value for key, value in (("start", start), ("stride", stride), ("format", form)) if value})
        return found
    options: dict[str, str] = {}
    for key, value in _SEQUENCE_WORD.findall(term):
        if key not in ("start", "end", "count", "stride", "format"):
            raise LoopError(f"with_sequence: unrecognized option {key!r}")
        options[key] = value
    if not options:
        raise LoopError(f"with_sequence: can't parse {term!r}")
    return options


def _number(text: str) -> int:
    try:
        return int(text, 0) if not text.lstrip("-").isdigit() else int(text)
    except ValueError:
        raise LoopError(f"with_sequence: can't parse {text!r} as a number") from None


def fileglob(terms: Sequence[Any], site: LookupSite) -> list[str]:
    """`with_fileglob`: the controller files matching each pattern, searched as the fileglob lookup does.

    A pattern with a folder is globbed in the first of the task's folders (their `files/` first) where
    that folder exists; a bare pattern in each of the task's `files/` folders and folders in turn, the
    first with a match winning. Matches are sorted (glob's own order is the file system's).
    """
    found: list[str] = []
    for term in terms:
        name = str(term)
        folder, pattern = str(Path(name).parent), Path(name).name
        if folder != ".":
            roots = [path for path in site.candidates(folder, "files") if path.is_dir()][:1]
        else:
            roots = [path for root in site.roots for path in (root / "files", root)]
        for root in roots:
            matches = sorted(
                str(Path(match).absolute())
                for match in glob.glob(str(root / pattern))  # noqa: PTH207 (a pattern, as the lookup takes)
                if Path(match).is_file()
            )
            if matches:
                found.extend(matches)
                break
    return found
