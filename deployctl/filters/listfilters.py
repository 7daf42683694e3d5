"""Ansible's filters on lists, numbers and paths (ansible.builtin) that Jinja lacks: zip, product, log, path_join..."""

from __future__ import annotations

import itertools
import math
import posixpath
from collections.abc import Callable, Sequence
from typing import Any

from jinja2 import Environment, pass_environment
from jinja2.exceptions import FilterArgumentError


def split(text: Any, separator: str | None = None, maxsplit: int = -1) -> list[str]:
    """`str.split`: on whitespace runs, or on each `separator`."""
    return str(text).split(separator, maxsplit)


def path_join(paths: Any) -> str:
    """The members of a list joined as one path (a later absolute member starts again, as os.path.join does)."""
    if isinstance(paths, str):
        return posixpath.join(paths)
    if isinstance(paths, Sequence):
        return posixpath.join(*(str(path) for path in paths))
    raise FilterArgumentError(f"|path_join expects string or sequence, got {type(paths).__name__} instead.")


def splitext(path: Any) -> list[str]:
    """A path and its extension (`'a/b.tar.gz'` gives `a/b.tar` and `.gz`)."""
    return list(posixpath.splitext(str(path)))


def normpath(path: Any) -> str:
    """A path with `.`, `..` and doubled slashes folded."""
    return posixpath.normpath(str(path))


def log(value: Any, base: float = math.e) -> float:
    """The logarithm of a number (natural unless `base` is given)."""
    try:
        return math.log10(value) if base == 10 else math.log(value, base)
    except TypeError:
        raise FilterArgumentError("log() can only be used on numbers") from None


def power(value: Any, exponent: Any) -> float:
    """`value` to the power `exponent`, as a float."""
    try:
        return math.pow(value, exponent)
    except TypeError:
        raise FilterArgumentError("pow() can only be used on numbers") from None


def root(value: Any, base: float = 2) -> float:
    """The square root of a number, or its `base`th root."""
    try:
        return math.sqrt(value) if base == 2 else math.pow(value, 1.0 / float(base))
    except (ValueError, TypeError):
        raise FilterArgumentError("root() can only be used on numbers") from None


def type_debug(value: Any) -> str:
    """The name of a value's Python type (`str` for host text deployctl marks unsafe, as for Ansible's tagged text)."""
    return next(kind for kind in type(value).__mro__ if kind.__module__ == "builtins").__name__


@pass_environment
def extract(environment: Environment, item: Any, container: Any, morekeys: Any = None) -> Any:
    """`container[item]`, then each of `morekeys` below it (`['a'] | map('extract', hostvars, 'x')`)."""
    keys = [item] if morekeys is None else [item, *(morekeys if isinstance(morekeys, list) else [morekeys])]
    value = container
    for key in keys:
        value = environment.getitem(value, key)
    return value


def zip_lists(*lists: Any) -> list[list[Any]]:
    """The lists' items side by side, as long as the shortest."""
    return [list(items) for items in zip(*lists, strict=False)]


def zip_longest(*lists: Any, fillvalue: Any = None) -> list[list[Any]]:
    """The lists' items side by side, as long as the longest (`fillvalue` where one ran out)."""
    return [list(items) for items in itertools.zip_longest(*lists, fillvalue=fillvalue)]


def product(*lists: Any, repeat: int = 1) -> list[list[Any]]:
    """Every combination of one item of each list (the cartesian product)."""
    return [list(items) for items in itertools.product(*lists, repeat=repeat)]


def permutations(items: Any, length: int | None = None) -> list[list[Any]]:
    """Every ordering of `length` items (all of them by default)."""
    return [list(found) for found in itertools.permutations(items, length)]


def combinations(items: Any, length: int) -> list[list[Any]]:
    """Every choice of `length` items, in their order."""
    return [list(found) for found in itertools.combinations(items, length)]


LIST_FILTERS: dict[str, Callable[..., Any]] = {
    "split": split,
    "path_join": path_join,
    "splitext": splitext,
    "normpath": normpath,
    "log": log,
    "pow": power,
    "root": root,
    "type_debug": type_debug,
    "extract": extract,
    "zip": zip_lists,
    "zip_longest": zip_longest,
    "product": product,
    "permutations": permutations,
    "combinations": combinations,
}
