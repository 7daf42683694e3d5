"""Jinja2 the way Ansible uses it: strict undefined variables, Ansible's filters and tests, native values.

A string that is exactly one `{{ expr }}` renders to the expression's native value (a list stays a
list); any other string renders to text. Variables are templated lazily when a template reads them
(`app_url: "http://{{ host }}"`), as Ansible does, with loops between variables reported by name.

Templates run in Jinja's immutable sandbox: an attribute walk to Python internals
(`cycler.__init__.__globals__`) is refused, at load time when it is written out, else when it runs.
Everything read from a host (facts, the fact cache, registered results, command output) is wrapped by
`mark_unsafe` where it enters the variables and is never templated; so is every rendered result, so a
value holding a host's text is never templated a second time.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import posixpath
import re
import secrets
import shlex
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2 import meta, nodes
from jinja2.exceptions import FilterArgumentError, SecurityError
from jinja2.filters import do_attr as sync_do_attr
from jinja2.filters import sync_do_unique
from jinja2.lexer import TOKEN_STRING, TOKEN_VARIABLE_BEGIN, TOKEN_VARIABLE_END, Lexer, get_lexer
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing

from deployctl.booleans import parse_bool
from deployctl.errors import DeployctlError, InputError
from deployctl.filters.comment import comment
from deployctl.filters.hashes import get_hash, md5, password_hash, sha1
from deployctl.filters.listfilters import LIST_FILTERS
from deployctl.filters.valuetests import VALUE_TESTS
from deployctl.filters.versions import version_compare
from deployctl.jinjaoverrides import split_overrides
from deployctl.lookups import (
    BUILTIN_PREFIXES,
    ERROR_MODES,
    LOOKUP_FUNCTIONS,
    LOOKUP_SITE_VAR,
    SUPPORTED_LOOKUPS,
    LookupFailure,
    LookupSite,
    LookupUndefinedError,
    LookupUsageError,
    lookup_value,
    plugin_name,
    run_lookup,
)
from deployctl.unsafe import UnsafeText as UnsafeText  # re-exported: the marker of host data
from deployctl.unsafe import mark_unsafe as mark_unsafe
from deployctl.yamlsource import parse_yaml

OMIT = f"__omit_place_holder__{secrets.token_hex(8)}"
"""The value of the `omit` variable: a mapping key or list item rendering to it is dropped, as in Ansible."""

ANY_VARIABLE = "vars"
"""Ansible's variable holding every variable: what content reads when it reads a variable by a computed name."""

TEMPLATE_MARKERS = ("{{", "{%", "{#")
_MARKUP = re.compile("|".join(re.escape(marker) for marker in TEMPLATE_MARKERS))
LOG = logging.getLogger(__name__)


class TemplateError(DeployctlError):
    """A template failed to compile or render: the problem, and the template file and line when known."""

    exit_code = 4

    def __init__(self, problem: str, template: str | None = None, line: int | None = None) -> None:
        self.problem = problem
        self.template = template
        self.line = line
        if template is None:
            message = problem
        else:
            message = f"{template}:{line}: {problem}" if line is not None else f"{template}: {problem}"
        super().__init__(message)


class UndefinedVariableError(TemplateError):
    """A template read a variable (or attribute, or key) that is not defined: Ansible's AnsibleUndefinedVariable."""


class UnsupportedLookupError(TemplateError):
    """A lookup plugin deployctl does not have (or one not named literally): refused when the content loads."""


def is_templated(value: Any) -> bool:
    """Whether `value` (a string, or any string inside a mapping or list) contains Jinja markup."""
    if isinstance(value, str):
        return "{" in value and not isinstance(value, UnsafeText) and _MARKUP.search(value) is not None
    if isinstance(value, Mapping):
        return any(is_templated(key) or is_templated(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(is_templated(item) for item in value)
    return False


def keep_literal(value: Any) -> Any:
    """`value` ready for a trip through JSON: marked text holding markup becomes a Jinja string literal.

    The marker does not survive JSON (a release's deploy-time variables); the literal renders back to
    the same text, never templated, so what a host (or a base image) said stays data after the trip.
    """
    if isinstance(value, UnsafeText):  # in a statement: a value's `{{ }}` string constants keep backslashes
        return "{% set text = " + _jinja_string(value) + " %}{{ text }}" if _MARKUP.search(value) else str(value)
    if isinstance(value, Mapping):
        return {keep_literal(key): keep_literal(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [keep_literal(item) for item in value]
    return value


def _jinja_string(text: str) -> str:
    """A Jinja string literal of `text`: every character but ASCII letters and digits escaped."""
    return "'" + "".join(_escaped(char) for char in text) + "'"


def _escaped(char: str) -> str:
    if char.isascii() and char.isalnum():
        return char
    return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"


# --- Ansible's filters ------------------------------------------------------------------------------


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str):
        value = value.lower()
    return value in ("yes", "on", "1", "true", 1)


def _json_default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _to_json(value: Any, **kwargs: Any) -> str:
    return json.dumps(value, default=_json_default, **kwargs)


def _to_nice_json(value: Any, indent: int = 4, sort_keys: bool = True, **kwargs: Any) -> str:
    return json.dumps(
        value, indent=indent, sort_keys=sort_keys, separators=(",", ": "), default=_json_default, **kwargs
    )


def _from_json(value: Any, **kwargs: Any) -> Any:
    return json.loads(value, **kwargs)


class _YamlDumper(yaml.SafeDumper):
    """Safe YAML output that also accepts subclasses (located mappings, unsafe text) and tuples."""


_YamlDumper.add_multi_representer(str, lambda dumper, data: dumper.represent_str(str(data)))
_YamlDumper.add_multi_representer(dict, lambda dumper, data: dumper.represent_dict(dict(data)))
_YamlDumper.add_multi_representer(list, lambda dumper, data: dumper.represent_list(list(data)))
_YamlDumper.add_multi_representer(tuple, lambda dumper, data: dumper.represent_list(list(data)))


def _to_yaml(value: Any, **kwargs: Any) -> str:
    flow = kwargs.pop("default_flow_style", None)
    return str(yaml.dump(value, Dumper=_YamlDumper, allow_unicode=True, default_flow_style=flow, **kwargs))


def _to_nice_yaml(value: Any, indent: int = 4, **kwargs: Any) -> str:
    text = yaml.dump(value, Dumper=_YamlDumper, indent=indent, allow_unicode=True, default_flow_style=False, **kwargs)
    return str(text)


def _from_yaml(value: Any) -> Any:
    """YAML text (often a host's output) through the one bounded reader: an alias bomb is an error, not a hang."""
    if not isinstance(value, str):
        return value
    try:
        return parse_yaml(value, "from_yaml")
    except InputError as exc:
        raise ValueError(str(exc)) from None


def _regex_flags(ignorecase: bool, multiline: bool) -> int:
    return (re.IGNORECASE if ignorecase else 0) | (re.MULTILINE if multiline else 0)


def _regex_replace(
    value: Any = "",
    pattern: str = "",
    replacement: str = "",
    ignorecase: bool = False,
    multiline: bool = False,
    count: int = 0,
) -> str:
    return re.sub(pattern, replacement, str(value), count=count, flags=_regex_flags(ignorecase, multiline))


def _regex_search(value: Any, regex: str, *groups: str, ignorecase: bool = False, multiline: bool = False) -> Any:
    wanted: list[str | int] = []
    for group in groups:
        named = re.fullmatch(r"\\g<(\S+)>", group)
        numbered = re.fullmatch(r"\\(\d+)", group)
        if named is not None:
            wanted.append(named.group(1))
        elif numbered is not None:
            wanted.append(int(numbered.group(1)))
        else:
            raise FilterArgumentError(f"regex_search: unknown argument {group!r} (use '\\1' or '\\g<name>')")
    match = re.search(regex, str(value), _regex_flags(ignorecase, multiline))
    if match is None:
        return None
    return [match.group(group) for group in wanted] if wanted else match.group()


def _regex_findall(value: Any, regex: str, ignorecase: bool = False, multiline: bool = False) -> list[Any]:
    return re.findall(regex, str(value), _regex_flags(ignorecase, multiline))


def _b64encode(value: Any, encoding: str = "utf-8") -> str:
    return base64.b64encode(str(value).encode(encoding)).decode(encoding)


def _b64decode(value: Any, encoding: str = "utf-8") -> str:
    return base64.b64decode(str(value).encode(encoding)).decode(encoding)


def _quote(value: Any) -> str:
    return shlex.quote("" if value is None else str(value))


def _ternary(value: Any, true_value: Any, false_value: Any, none_value: Any = None) -> Any:
    if value is None and none_value is not None:
        return none_value
    return true_value if bool(value) else false_value


def _mandatory(value: Any, msg: str | None = None) -> Any:
    if isinstance(value, jinja2.Undefined):
        if msg is not None:
            raise jinja2.UndefinedError(msg)
        name = f"'{value._undefined_name}' " if value._undefined_name is not None else ""
        raise jinja2.UndefinedError(f"Mandatory variable {name}not defined.")
    return value


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _flatten(values: Any, levels: int | None = None, skip_nulls: bool = True) -> list[Any]:
    flat: list[Any] = []
    for element in values:
        if skip_nulls and element in (None, "None", "null"):
            continue
        if _is_sequence(element) and (levels is None or levels >= 1):
            flat.extend(_flatten(element, None if levels is None else int(levels) - 1, skip_nulls))
        else:
            flat.append(element)
    return flat


LIST_MERGES = ("replace", "keep", "append", "prepend", "append_rp", "prepend_rp")


def _merge_hash(low: Mapping[Any, Any], high: Mapping[Any, Any], recursive: bool, list_merge: str) -> dict[Any, Any]:
    merged = dict(low)
    for key, high_value in high.items():
        low_value = merged.get(key)
        if key not in merged:
            merged[key] = high_value
        elif isinstance(low_value, Mapping) and isinstance(high_value, Mapping) and recursive:
            merged[key] = _merge_hash(low_value, high_value, recursive, list_merge)
        elif isinstance(low_value, list) and isinstance(high_value, list):
            merged[key] = {
                "replace": high_value,
                "keep": low_value,
                "append": low_value + high_value,
                "prepend": high_value + low_value,
                "append_rp": [item for item in low_value if item not in high_value] + high_value,
                "prepend_rp": high_value + [item for item in low_value if item not in high_value],
            }[list_merge]
        else:
            merged[key] = high_value
    return merged


def _combine(*terms: Any, recursive: bool = False, list_merge: str = "replace") -> dict[Any, Any]:
    if list_merge not in LIST_MERGES:
        raise FilterArgumentError(f"combine: list_merge must be one of {', '.join(LIST_MERGES)}")
    result: dict[Any, Any] = {}
    for term in _flatten(terms, levels=1):
        if not isinstance(term, Mapping):
            raise FilterArgumentError(f"combine expects dictionaries, got {type(term).__name__}")
        result = _merge_hash(result, term, recursive, list_merge)
    return result


def _dict2items(value: Any, key_name: str = "key", value_name: str = "value") -> list[dict[str, Any]]:
    if not isinstance(value, Mapping):
        raise FilterArgumentError(f"dict2items requires a dictionary, got {type(value).__name__}")
    return [{key_name: key, value_name: item} for key, item in value.items()]


def _items2dict(value: Any, key_name: str = "key", value_name: str = "value") -> dict[Any, Any]:
    if not _is_sequence(value) or not all(isinstance(item, Mapping) for item in value):
        raise FilterArgumentError("items2dict requires a list of dictionaries")
    try:
        return {item[key_name]: item[value_name] for item in value}
    except KeyError as exc:
        raise FilterArgumentError(f"items2dict: an item has no key {exc.args[0]!r}") from None


@jinja2.pass_environment
def _unique(environment: jinja2.Environment, values: Any, case_sensitive: bool = False, attribute: Any = None) -> Any:
    """Ansible's `unique`: Jinja's (case-insensitive by default), falling back to equality for unhashable items."""
    try:
        return list(sync_do_unique(environment, values, case_sensitive=case_sensitive, attribute=attribute))
    except TypeError:
        if case_sensitive or attribute is not None:
            raise
        found: list[Any] = []
        for item in values:
            if item not in found:
                found.append(item)
        return found


_DATA_TYPES = (
    *(str, bytes, int, float, list, tuple, dict, set, frozenset, range),
    *(date, datetime, time, timedelta, jinja2.Undefined),
)
"""What a template may read attributes of: data (and undefined values), not the objects deployctl holds."""


def _refused(value: Any) -> bool:
    """Whether a value is the sandbox's refusal (an undefined that raises SecurityError when used)."""
    return isinstance(value, jinja2.Undefined) and value._undefined_exception is SecurityError


@jinja2.pass_environment
def _attr(environment: jinja2.Environment, value: Any, name: str) -> Any:
    """Jinja's `attr`, keeping the sandbox's refusal along a walk (see `_Environment`)."""
    return value if _refused(value) else sync_do_attr(environment, value, name)


def _union(first: Any, second: Any) -> list[Any]:
    return _unique_in_order([*first, *second])


def _intersect(first: Any, second: Any) -> list[Any]:
    return _unique_in_order([item for item in first if item in second])


def _difference(first: Any, second: Any) -> list[Any]:
    return _unique_in_order([item for item in first if item not in second])


def _builtin_names(plugins: Mapping[str, Any]) -> dict[str, Any]:
    """Every filter or test also under its fully qualified names (`ansible.builtin.to_json`, `ansible.legacy.bool`)."""
    return {prefix + name: plugin for name, plugin in plugins.items() for prefix in BUILTIN_PREFIXES}


def _symmetric_difference(first: Any, second: Any) -> list[Any]:
    return [item for item in _union(first, second) if item not in _intersect(first, second)]


def _unique_in_order(values: Iterable[Any]) -> list[Any]:
    found: list[Any] = []
    for item in values:
        if item not in found:
            found.append(item)
    return found


FILTERS: dict[str, Callable[..., Any]] = {
    "to_json": _to_json,
    "to_nice_json": _to_nice_json,
    "from_json": _from_json,
    "to_yaml": _to_yaml,
    "to_nice_yaml": _to_nice_yaml,
    "from_yaml": _from_yaml,
    "bool": _to_bool,
    "regex_replace": _regex_replace,
    "regex_search": _regex_search,
    "regex_findall": _regex_findall,
    "regex_escape": re.escape,
    "basename": posixpath.basename,
    "dirname": posixpath.dirname,
    "b64encode": _b64encode,
    "b64decode": _b64decode,
    "quote": _quote,
    "ternary": _ternary,
    "mandatory": _mandatory,
    "combine": _combine,
    "dict2items": _dict2items,
    "items2dict": _items2dict,
    "unique": _unique,
    "attr": _attr,
    "union": _union,
    "intersect": _intersect,
    "difference": _difference,
    "symmetric_difference": _symmetric_difference,
    "flatten": _flatten,
    "comment": comment,
    "hash": get_hash,
    "md5": md5,
    "sha1": sha1,
    "checksum": sha1,
    "password_hash": password_hash,
    **LIST_FILTERS,
}


# --- Ansible's tests on registered results ---------------------------------------------------------


def _result(value: Any, test: str) -> Mapping[str, Any]:
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    if not isinstance(value, Mapping):
        raise jinja2.TemplateRuntimeError(f"the '{test}' test expects a registered result (a dictionary)")
    return value


def _failed(value: Any) -> bool:
    return bool(_result(value, "failed").get("failed", False))


def _succeeded(value: Any) -> bool:
    return not bool(_result(value, "succeeded").get("failed", False))


def _changed(value: Any) -> bool:
    result = _result(value, "changed")
    if "changed" in result:
        return bool(result["changed"])
    items = result.get("results")
    return isinstance(items, list) and any(isinstance(item, Mapping) and item.get("changed") for item in items)


def _skipped(value: Any) -> bool:
    return bool(_result(value, "skipped").get("skipped", False))


def _unreachable(value: Any) -> bool:
    return bool(_result(value, "unreachable").get("unreachable", False))


def _reachable(value: Any) -> bool:
    return not bool(_result(value, "reachable").get("unreachable", False))


def _timedout(value: Any) -> bool:
    timedout = _result(value, "timedout").get("timedout")
    return bool(timedout and isinstance(timedout, Mapping) and timedout.get("period"))


def _finished(value: Any) -> bool:
    """An async result's `finished` (a result that ran in the foreground is finished)."""
    result = _result(value, "finished")
    return bool(result["finished"]) if "finished" in result else True


def _started(value: Any) -> bool:
    """An async result's `started` (a result that ran in the foreground has started)."""
    result = _result(value, "started")
    return bool(result["started"]) if "started" in result else True


def _regex_test(
    value: Any, pattern: str = "", ignorecase: bool = False, multiline: bool = False, match_type: str = "search"
) -> bool:
    if match_type not in ("match", "search", "fullmatch"):
        raise FilterArgumentError("regex: match_type must be match, search or fullmatch")
    compiled = re.compile(pattern, _regex_flags(ignorecase, multiline))
    return bool(getattr(compiled, match_type)(str(value)))


def _match_test(value: Any, pattern: str = "", ignorecase: bool = False, multiline: bool = False) -> bool:
    return _regex_test(value, pattern, ignorecase, multiline, "match")


def _search_test(value: Any, pattern: str = "", ignorecase: bool = False, multiline: bool = False) -> bool:
    return _regex_test(value, pattern, ignorecase, multiline, "search")


TESTS: dict[str, Callable[..., bool]] = {
    "failed": _failed,
    "failure": _failed,
    "succeeded": _succeeded,
    "success": _succeeded,
    "successful": _succeeded,
    "reachable": _reachable,
    "unreachable": _unreachable,
    "timedout": _timedout,
    "finished": _finished,
    "started": _started,
    "changed": _changed,
    "change": _changed,
    "skipped": _skipped,
    "skip": _skipped,
    "match": _match_test,
    "search": _search_test,
    "regex": _regex_test,
    "version": version_compare,
    "version_compare": version_compare,
    **VALUE_TESTS,
}


# --- The environment: strict, chainable undefined; lazily templated variables ----------------------


class _Undefined(jinja2.StrictUndefined, jinja2.ChainableUndefined):
    """Strict (printing, testing or comparing it fails) yet chainable, so `foo.bar | default(x)` works."""

    __slots__ = ()


@dataclass(frozen=True)
class _Reads:
    """What one template reads: variable names, templates it includes, templates it looks up (literal names)."""

    names: frozenset[str]
    includes: tuple[str, ...]
    template_lookups: tuple[str, ...]


class _LazyVariable:
    """A variable whose value is templated the first time a template reads it, within one render."""

    __slots__ = ("_name", "_raw", "_scope", "_state", "_templar", "_value")

    def __init__(self, name: str, raw: Any, scope: Mapping[str, Any], templar: Templar) -> None:
        self._name = name
        self._raw = raw
        self._scope = scope
        self._templar = templar
        self._state = "pending"
        self._value: Any = None

    def resolve(self) -> Any:
        if self._state == "done":
            return self._value
        if self._state == "resolving":
            raise TemplateError(f"recursive loop detected in variable '{self._name}'")
        self._state = "resolving"
        try:
            self._value = self._templar._render_value(self._raw, self._scope)
        except TemplateError as exc:
            self._state = "pending"
            if "(in variable '" in exc.problem or exc.problem.startswith("recursive loop"):
                raise
            raise type(exc)(f"{exc.problem} (in variable '{self._name}')", exc.template, exc.line) from None
        self._state = "done"
        return self._value


class _LazyContext(Context):
    """A template context that templates variables when they are read, not when the render starts."""

    def resolve_or_missing(self, key: str) -> Any:
        value = super().resolve_or_missing(key)
        if not isinstance(value, _LazyVariable):
            return value
        try:
            return value.resolve()
        except UndefinedVariableError as exc:  # as Ansible: undefined too (`is defined` is false, `default` applies)
            return self.environment.undefined(hint=exc.problem, name=key)


class _AllVariables(Mapping[str, Any]):
    """Ansible's `vars`: every variable of the render's scope, read by name (`vars['x']`, `vars[item]`)."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Mapping[str, Any]) -> None:
        self._scope = scope

    def __getitem__(self, name: str) -> Any:
        if name in (LOOKUP_SITE_VAR, ANY_VARIABLE):
            raise KeyError(name)
        value = self._scope[name]
        return value.resolve() if isinstance(value, _LazyVariable) else value

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._scope if name not in (LOOKUP_SITE_VAR, ANY_VARIABLE))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _ValueLexer(Lexer):
    """Jinja's lexer, but a backslash in a string constant inside `{{ }}` is kept, not an escape (as Ansible).

    Values come from YAML, which already read their escapes: `regex_replace('(\\d+)', '\\1')` written in
    YAML must reach the filter as `\\1`, not as the character \\x01. `{% %}` statements, conditions and
    template files keep Jinja's escapes, as in Ansible.
    """

    def tokeniter(
        self, source: str, name: str | None, filename: str | None = None, state: str | None = None
    ) -> Iterator[tuple[int, str, str]]:
        in_variable = state == "variable"  # compile_expression lexes a bare expression from this state
        for lineno, token, value in super().tokeniter(source, name, filename, state):
            if token == TOKEN_VARIABLE_BEGIN:
                in_variable = True
            elif token == TOKEN_VARIABLE_END:
                in_variable = False
            elif in_variable and token == TOKEN_STRING:
                value = value.replace("\\", "\\\\")
            yield lineno, token, value


class _Environment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox (no Python internals, no mutating methods) with lazily templated variables.

    A refused attribute stays refused along the rest of the walk (`x.__init__.__globals__`), so the
    error says what the sandbox refused, not that some later attribute is missing. `for_values` selects
    the lexer of values (see `_ValueLexer`).
    """

    context_class = _LazyContext
    for_values = False

    @property
    def lexer(self) -> Lexer:
        if not self.for_values:
            return get_lexer(self)
        lexer = self.__dict__.get("_value_lexer")
        if lexer is None:
            lexer = self.__dict__["_value_lexer"] = _ValueLexer(self)
        return lexer

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Jinja's rules, and only data and Jinja's own objects show attributes (never a Path's write_text)."""
        if not super().is_safe_attribute(obj, attr, value):
            return False
        return isinstance(obj, _DATA_TYPES) or type(obj).__module__.startswith("jinja2.")

    def getattr(self, obj: Any, attribute: str) -> Any:
        return obj if _refused(obj) else super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        return obj if _refused(obj) else super().getitem(obj, argument)

    def join_path(self, template: str, parent: str) -> str:
        """`{% include %}` names: the search paths first, then the including template's folder (as Ansible)."""
        if Path(template).is_absolute() or not Path(parent).is_absolute():
            return template
        search_paths = self.loader.search_paths if isinstance(self.loader, _SearchPathLoader) else ()
        if any((folder / template).is_file() for folder in search_paths):
            return template
        sibling = Path(parent).parent / template
        return str(sibling) if sibling.is_file() else template


class _SearchPathLoader(jinja2.BaseLoader):
    """Loads a template by absolute path, or by a name relative to the search paths (for `{% include %}`)."""

    def __init__(self, search_paths: Sequence[Path]) -> None:
        self.search_paths = tuple(search_paths)

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = Path(template)
        candidates = [path] if path.is_absolute() else [folder / template for folder in self.search_paths]
        for candidate in candidates:
            if candidate.is_file():
                mtime = candidate.stat().st_mtime
                source = candidate.read_text(encoding="utf-8")
                return source, str(candidate), lambda c=candidate, m=mtime: c.is_file() and c.stat().st_mtime == m
        raise jinja2.TemplateNotFound(template)


SANDBOX_REFUSAL = "refused by the template sandbox"
_INTERNAL_NAME = re.compile(r"__|_[A-Za-z][A-Za-z0-9]*__")
"""Attribute names that only reach Python internals: dunders and name-mangled privates."""


def _internal_name(node: nodes.Node) -> str | None:
    """The attribute a node reads when it is written out and names Python internals, else None."""
    if isinstance(node, nodes.Getattr):
        name: Any = node.attr
    elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        name = node.arg.value
    elif isinstance(node, nodes.Filter) and node.name == "attr" and node.args and isinstance(node.args[0], nodes.Const):
        name = node.args[0].value
    else:
        return None
    return name if isinstance(name, str) and _INTERNAL_NAME.match(name) else None


def _check_sandbox(ast: nodes.Template, template: str | None = None) -> None:
    """Refuse, when the content loads, a template that names Python internals (`x.__class__`)."""
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        name = _internal_name(node)
        if name is not None:
            problem = f"{SANDBOX_REFUSAL}: attribute {name!r} reaches Python internals"
            raise TemplateError(problem, template, node.lineno if template else None)


def _check_filters_and_tests(env: jinja2.Environment, ast: nodes.Template, template: str | None = None) -> None:
    """Refuse an unknown filter or test anywhere, also inside `{% if %}` where Jinja checks only when it runs."""
    for node in ast.find_all((nodes.Filter, nodes.Test)):
        known, kind = (env.filters, "filter") if isinstance(node, nodes.Filter) else (env.tests, "test")
        if node.name not in known:
            problem = f"template syntax error: No {kind} named {node.name!r}."
            raise TemplateError(problem, template, node.lineno if template else None)


USER_ERRORS = (
    jinja2.TemplateError,
    ValueError,
    TypeError,
    LookupError,
    ArithmeticError,
    AttributeError,
    re.error,
    yaml.YAMLError,
)
"""What a template can raise because of its author or its data (a bad filter argument, a missing key)."""


def _problem(exc: BaseException) -> str:
    if isinstance(exc, SecurityError):
        return f"{SANDBOX_REFUSAL}: {exc.message}"
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"template syntax error: {exc.message}"
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"template {exc.name!r} not found"
    if isinstance(exc, jinja2.TemplateError):
        return exc.message or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


def _user_error(exc: BaseException) -> TemplateError:
    """The TemplateError for what a template raised (USER_ERRORS): UndefinedVariableError for an undefined variable."""
    problem = _problem(exc)
    return UndefinedVariableError(problem) if isinstance(exc, jinja2.UndefinedError) else TemplateError(problem)


def _fail_if_undefined(value: Any) -> Any:
    """Fail on an undefined value anywhere in an expression's result (`{{ [port] }}` with no `port`)."""
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    if isinstance(value, Mapping):
        for item in value.values():
            _fail_if_undefined(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _fail_if_undefined(item)
    return value


def _innermost_template_line(exc: BaseException) -> tuple[str, int] | None:
    """The template file and line where a render failed, from the traceback Jinja rewrote for it."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _finalize(value: Any) -> Any:
    """As Ansible: `{{ none }}` inside text renders as nothing, not the word None."""
    return "" if value is None else value


class Templar:
    """Renders values, conditions and template files with Ansible's Jinja2 semantics.

    `search_paths` are where `{% include %}` and relative template names are found (for a playbook:
    its `templates/` folder, then its own folder). `lookup_site` is where lookups find relative file
    names when the variables carry no task's site (see `deployctl.lookups`). Compiled templates are
    cached per instance.
    """

    def __init__(self, search_paths: Sequence[Path] = (), lookup_site: LookupSite | None = None) -> None:
        self.search_paths = tuple(search_paths)
        self.lookup_site = lookup_site or LookupSite(self.search_paths)
        self._env = _Environment(
            loader=_SearchPathLoader(self.search_paths),
            undefined=_Undefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            finalize=_finalize,
            autoescape=False,  # we render configuration files and values, never HTML
        )
        self._env.filters.update(FILTERS)
        self._env.tests.update(TESTS)
        self._env.filters.update(_builtin_names(self._env.filters))
        self._env.tests.update(_builtin_names(self._env.tests))
        self._env.globals["omit"] = OMIT
        for name in LOOKUP_FUNCTIONS:
            self._env.globals[name] = self._lookup_function(name)
        self._values_env = self._env.overlay()  # the same filters, tests and globals; values' lexer
        self._files_env = self._env.overlay(keep_trailing_newline=False)  # template files: see render_file
        self._file_newlines: dict[str, int] = {}
        self._values_env.for_values = True
        self._templates: dict[str, jinja2.Template] = {}
        self._expressions: dict[tuple[str, bool], Callable[..., Any]] = {}
        self._single: dict[str, str | None] = {}
        self._reads: dict[str, _Reads] = {}
        self._file_reads: dict[str, _Reads] = {}
        self._file_templates: dict[str, jinja2.Template] = {}

    # --- public API -----------------------------------------------------------------------------

    def render(self, value: Any, variables: Mapping[str, Any]) -> Any:
        """Template `value` recursively: `"{{ x }}"` gives x's native value, other strings give text."""
        return self._render_value(value, self._scope(variables))

    def evaluate(self, condition: str | bool, variables: Mapping[str, Any]) -> bool:
        """Evaluate a `when`/`changed_when`/`failed_when` condition (a bare Jinja expression or a bool)."""
        if isinstance(condition, bool):
            return condition
        expression = self.condition_expression(condition)
        if not expression:
            return True
        try:
            value = _fail_if_undefined(self._expression(expression, self._env)(self._scope(variables)))
        except USER_ERRORS as exc:
            raise _user_error(exc) from None
        return _truth(value, condition)

    def render_file(self, path: Path, variables: Mapping[str, Any], display: str | None = None) -> str:
        """Render a template file; errors name the file (`display`, else its path) and the template line.

        As ansible-core's template module: Jinja drops the file's last newline, then the newlines the file
        ends with that the result lacks are added back (`{{ x }}\\n` with x "" or "a\\n" ends in one newline).
        """
        shown = display or str(path)
        name = str(path if path.is_absolute() else path.absolute())
        try:
            template = self._file_template(name, shown)
            rendered = template.render(self._scope(variables))
            missing = self._file_newlines[name] - (len(rendered) - len(rendered.rstrip("\n")))
            return rendered + "\n" * max(0, missing)
        except TemplateError as exc:
            if exc.template is not None:
                raise
            raise self._file_error(exc, exc.problem, name, shown) from None
        except jinja2.TemplateNotFound as exc:
            if exc.name != name:
                raise self._file_error(exc, _problem(exc), name, shown) from None
            raise TemplateError("template file not found", shown) from None
        except jinja2.TemplateSyntaxError as exc:
            where = exc.filename or name
            raise TemplateError(_problem(exc), self._display(where, name, shown), exc.lineno) from None
        except UnicodeDecodeError as exc:
            raise TemplateError(f"cannot read: {exc}", shown) from None
        except USER_ERRORS as exc:
            raise self._file_error(exc, _problem(exc), name, shown) from None

    def _file_template(self, name: str, shown: str) -> jinja2.Template:
        """The compiled template file `name`, with the Jinja settings of its `#jinja2:` line if it has one."""
        if name not in self._file_templates:
            body, env = self._file_source(name, shown)
            code = env.compile(body, name=name, filename=name)
            self._file_templates[name] = env.template_class.from_code(env, code, env.make_globals(None), None)
        return self._file_templates[name]

    def _file_source(self, name: str, shown: str) -> tuple[str, jinja2.Environment]:
        """A template file's text without its `#jinja2:` line, and the environment that line asks for; keeps
        how many newlines the file ends with (render_file adds back those Jinja drops)."""
        loader = self._files_env.loader
        source = loader.get_source(self._files_env, name)[0] if loader is not None else ""
        self._file_newlines[name] = len(source) - len(source.rstrip("\n"))
        try:
            body, settings = split_overrides(source)
        except ValueError as exc:
            raise TemplateError(str(exc), shown, 1) from None
        return body, (self._files_env.overlay(**settings) if settings else self._files_env)

    def is_templated(self, value: Any) -> bool:
        """Whether `value` contains Jinja markup anywhere (see the module-level `is_templated`)."""
        return is_templated(value)

    def referenced_names(self, value: Any, variables: Mapping[str, Any] | None = None) -> set[str]:
        """The variables a value (or a template file, given as a Path) reads, via jinja2.meta.

        With `variables`, names defined there are followed: `{{ url }}` with `url: "{{ host }}"` gives
        both `url` and `host`. Jinja globals (`range`, `omit`...) are not variables and are left out.
        A `vars` or `template` lookup of a computed name reads `vars` (it may read any variable).
        """
        site = variables.get(LOOKUP_SITE_VAR) if variables is not None else None
        site = site if isinstance(site, LookupSite) else self.lookup_site
        names = self._direct_names(value, set(), site)
        if variables is None:
            return names
        found: set[str] = set()
        pending = list(names)
        while pending:
            name = pending.pop()
            if name in found:
                continue
            found.add(name)
            if name in variables:
                pending.extend(self._direct_names(variables[name], set(), site) - found)
        return found

    def condition_names(self, condition: str | bool, variables: Mapping[str, Any] | None = None) -> set[str]:
        """The variables a condition reads (followed through `variables` as in `referenced_names`)."""
        if isinstance(condition, bool):
            return set()
        expression = self.condition_expression(condition)
        return self.referenced_names(f"{{{{ {expression} }}}}", variables) if expression else set()

    def check_syntax(self, value: Any) -> None:
        """Compile every string in `value` (recursively); a syntax error raises TemplateError."""
        if isinstance(value, str):
            if is_templated(value):
                inner = self._single_expression(value)
                if inner is None:
                    self._template(value)
                else:
                    self._expression(inner, self._values_env)
                ast = self._values_env.parse(value)
                _check_sandbox(ast)
                _check_filters_and_tests(self._env, ast)
                _check_lookups(ast)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                self.check_syntax(key)
                self.check_syntax(item)
        elif isinstance(value, list | tuple):
            for item in value:
                self.check_syntax(item)

    def check_condition_syntax(self, condition: str | bool) -> None:
        """Compile a condition as a Jinja expression; a syntax error raises TemplateError."""
        if isinstance(condition, str):
            expression = self.condition_expression(condition)
            if expression:
                self._expression(expression, self._env)
                ast = self._env.parse(f"{{{{ {expression} }}}}")
                _check_sandbox(ast)
                _check_filters_and_tests(self._env, ast)
                _check_lookups(ast)

    def check_file_syntax(self, path: Path, display: str | None = None) -> None:
        """Compile a template file; a syntax error raises TemplateError with the file and its line."""
        shown = display or str(path)
        name = str(path if path.is_absolute() else path.absolute())
        try:
            self._env.get_template(name)
            ast = self._env.parse(Path(name).read_text(encoding="utf-8"))
            _check_sandbox(ast, shown)
            _check_filters_and_tests(self._env, ast, shown)
            _check_lookups(ast, shown)
        except jinja2.TemplateNotFound:
            raise TemplateError("template file not found", shown) from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(_problem(exc), shown, exc.lineno) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateError(f"cannot read: {exc}", shown) from None

    def condition_expression(self, condition: str) -> str:
        """The bare expression of a condition: `{{ x }}` is unwrapped; other templating is refused."""
        text = condition.strip()
        if not is_templated(text):
            return text
        inner = self._single_expression(text)
        if inner is None:
            raise TemplateError(
                f"a condition is a bare Jinja expression, without {{{{ }}}} or {{% %}} around parts of it: {text!r}"
            )
        return inner.strip()

    # --- internals ------------------------------------------------------------------------------

    def _scope(self, variables: Mapping[str, Any]) -> dict[str, Any]:
        scope: dict[str, Any] = {}
        for name, value in variables.items():
            lazy = is_templated(value) if isinstance(value, str) else isinstance(value, Mapping | list | tuple)
            scope[name] = _LazyVariable(name, value, scope, self) if lazy else value
        scope.setdefault(ANY_VARIABLE, _AllVariables(scope))
        return scope

    def _render_value(self, value: Any, scope: Mapping[str, Any]) -> Any:
        if isinstance(value, str):
            return self._render_string(value, scope)
        if isinstance(value, Mapping):
            rendered: dict[Any, Any] = {}
            for key, item in value.items():
                result = self._render_value(item, scope)
                if not (isinstance(result, str) and result == OMIT):
                    rendered[self._render_value(key, scope)] = result
            return rendered
        if isinstance(value, list | tuple):
            items = (self._render_value(item, scope) for item in value)
            return [item for item in items if not (isinstance(item, str) and item == OMIT)]
        return value

    def _render_string(self, text: str, scope: Mapping[str, Any]) -> Any:
        if not is_templated(text):
            return text
        inner = self._single_expression(text)
        try:  # a rendered result may hold a host's text: it is never templated again
            if inner is not None:
                return mark_unsafe(_fail_if_undefined(self._expression(inner, self._values_env)(scope)))
            return UnsafeText(self._template(text).render(scope))
        except USER_ERRORS as exc:
            raise _user_error(exc) from None

    def _single_expression(self, text: str) -> str | None:
        """The expression of a string that is exactly one `{{ expr }}`, else None; compiles the string."""
        if text in self._single:
            return self._single[text]
        try:
            body = self._values_env.parse(text).body
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(_problem(exc)) from None
        inner = None
        if (
            len(body) == 1
            and isinstance(body[0], nodes.Output)
            and len(body[0].nodes) == 1
            and not isinstance(body[0].nodes[0], nodes.TemplateData)
            and text.startswith("{{")
            and text.endswith("}}")
        ):
            inner = text[2:-2].strip("-+")
        self._single[text] = inner
        return inner

    def _expression(self, source: str, env: _Environment) -> Callable[..., Any]:
        """`source` compiled by `env`: the values' environment for a value, the other for a condition."""
        compiled = self._expressions.get((source, env.for_values))
        if compiled is None:
            try:
                compiled = env.compile_expression(source, undefined_to_none=False)
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(_problem(exc)) from None
            self._expressions[source, env.for_values] = compiled
        return compiled

    def _template(self, text: str) -> jinja2.Template:
        compiled = self._templates.get(text)
        if compiled is None:
            try:
                compiled = self._values_env.from_string(text)
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(_problem(exc)) from None
            self._templates[text] = compiled
        return compiled

    def _direct_names(self, value: Any, seen_files: set[str], site: LookupSite) -> set[str]:
        """The names a value reads; `lookup('vars', 'x')` reads x, `lookup('template', 'f')` what f reads."""
        if isinstance(value, Path):
            return self._file_names(value, seen_files, site)
        if isinstance(value, str):
            if not is_templated(value):
                return set()
            reads = self._reads.get(value)
            if reads is None:
                try:
                    reads = self._reads[value] = self._ast_reads(self._values_env.parse(value))
                except jinja2.TemplateSyntaxError as exc:
                    raise TemplateError(_problem(exc)) from None
            return self._follow(reads, None, seen_files, site)
        names: set[str] = set()
        if isinstance(value, Mapping):
            for key, item in value.items():
                names |= self._direct_names(key, seen_files, site) | self._direct_names(item, seen_files, site)
        elif isinstance(value, list | tuple):
            for item in value:
                names |= self._direct_names(item, seen_files, site)
        return names

    def _ast_reads(self, ast: nodes.Template) -> _Reads:
        names = set(meta.find_undeclared_variables(ast)) - set(self._env.globals)
        if _computed_lookup_terms(ast, ("vars", "template")):
            names.add(ANY_VARIABLE)  # `lookup('vars', name)` with a computed name may read any variable
        if any(_plugin_of(call) == "varnames" for call in _lookup_calls(ast)):
            names.add(ANY_VARIABLE)  # varnames reads which variables are defined
        included = list(meta.find_referenced_templates(ast))
        if None in included:
            names.add(ANY_VARIABLE)  # an include of a computed name may read any variable
        return _Reads(
            frozenset(names | set(_constant_lookup_terms(ast, "vars"))),
            tuple(name for name in included if name is not None),
            tuple(_constant_lookup_terms(ast, "template")),
        )

    def _follow(self, reads: _Reads, path: Path | None, seen_files: set[str], site: LookupSite | None) -> set[str]:
        """The names `reads` gives, with those of the templates it includes (beside `path`) and looks up."""
        names = set(reads.names)
        if path is not None:  # a file's includes (a templated value's are not followed)
            for included in reads.includes:
                for folder in (*self.search_paths, path.parent):
                    if (folder / included).is_file():
                        names |= self._file_names(folder / included, seen_files, site)
                        break
        for name in reads.template_lookups:
            found = (site or self.lookup_site).find(name, "templates")
            if found is not None:
                names |= self._file_names(found, seen_files, site)
        return names

    def _file_names(self, path: Path, seen_files: set[str], site: LookupSite | None = None) -> set[str]:
        name = str(path if path.is_absolute() else path.absolute())
        if name in seen_files:
            return set()
        seen_files.add(name)
        reads = self._file_reads.get(name)
        if reads is None:  # a template file is parsed once per Templar (that is, per run)
            try:
                body, env = self._file_source(name, str(path))
                ast = env.parse(body, filename=name)
            except jinja2.TemplateNotFound:
                raise TemplateError("template file not found", str(path)) from None
            except (OSError, UnicodeDecodeError) as exc:
                raise TemplateError(f"cannot read: {exc}", str(path)) from None
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(_problem(exc), str(path), exc.lineno) from None
            reads = self._file_reads[name] = self._ast_reads(ast)
        return self._follow(reads, path, seen_files, site)

    def _lookup_function(self, function: str) -> Callable[..., Any]:
        """`lookup()` (joined text unless `wantlist=True`) or `query()`/`q()` (a list), see deployctl.lookups."""
        always_list = function != "lookup"

        @jinja2.pass_context
        def call(
            context: Context, plugin: Any, *terms: Any, wantlist: bool = False, errors: str = "strict", **options: Any
        ) -> Any:
            _fail_if_undefined([plugin, *terms, *options.values()])
            if errors not in ERROR_MODES:
                raise jinja2.TemplateRuntimeError(f"{function}(): errors must be one of {', '.join(ERROR_MODES)}")
            site = context.get(LOOKUP_SITE_VAR)
            try:
                found = run_lookup(
                    str(plugin),
                    terms,
                    options,
                    site if isinstance(site, LookupSite) else self.lookup_site,
                    variable=lambda name: _context_variable(context, name),
                    variable_names=lambda: _context_names(context),
                    render_template=lambda path, extra: self._lookup_template(context, path, extra),
                    environ=os.environ,
                )
            except LookupUndefinedError as exc:
                raise jinja2.UndefinedError(str(exc)) from None
            except LookupUsageError as exc:
                raise jinja2.TemplateRuntimeError(f"{function}('{plugin}'): {exc}") from None
            except LookupFailure as exc:
                if errors == "strict":
                    raise jinja2.TemplateRuntimeError(f"{function}('{plugin}'): {exc}") from None
                if errors == "warn":
                    LOG.warning("Lookup failed but the error is being ignored: %s", exc)
                return [] if always_list or wantlist else None
            return mark_unsafe(lookup_value(found, always_list or bool(wantlist)))

        return call

    def _lookup_template(self, context: Context, path: Path, extra: Mapping[str, Any]) -> str:
        """The template lookup: a template file rendered with the calling template's variables."""
        try:
            template = self._env.get_template(str(path.absolute()))
            return template.render({**context.get_all(), **extra})
        except (jinja2.UndefinedError, SecurityError):
            raise
        except (jinja2.TemplateError, OSError, UnicodeDecodeError) as exc:
            raise LookupFailure(f"{path}: {_problem(exc)}") from None

    def _file_error(self, exc: BaseException, problem: str, name: str, shown: str) -> TemplateError:
        where = _innermost_template_line(exc)
        if where is None:
            return TemplateError(problem, shown)
        return TemplateError(problem, self._display(where[0], name, shown), where[1])

    @staticmethod
    def _display(filename: str, main: str, shown: str) -> str:
        """How to show a template file: the main one as given; an included one beside it."""
        if filename == main:
            return shown
        try:
            return str(Path(shown).parent / Path(filename).relative_to(Path(main).parent))
        except ValueError:
            return filename


def _lookup_calls(ast: nodes.Template) -> list[nodes.Call]:
    return [
        call
        for call in ast.find_all(nodes.Call)
        if isinstance(call.node, nodes.Name) and call.node.name in LOOKUP_FUNCTIONS
    ]


def _check_lookups(ast: nodes.Template, template: str | None = None) -> None:
    """Refuse, before any host is contacted, a lookup plugin deployctl does not have (or one not named literally)."""
    for call in _lookup_calls(ast):
        function = call.node.name if isinstance(call.node, nodes.Name) else "lookup"
        first = call.args[0] if call.args else None
        if not isinstance(first, nodes.Const) or not isinstance(first.value, str):
            problem = f"{function}(): name the lookup plugin with a quoted string"
            raise UnsupportedLookupError(problem, template, call.lineno if template else None)
        if plugin_name(first.value) not in SUPPORTED_LOOKUPS:
            supported = ", ".join(SUPPORTED_LOOKUPS)
            raise UnsupportedLookupError(
                f"unsupported lookup plugin {first.value!r} in {function}() (supported: {supported})",
                template,
                call.lineno if template else None,
            )


def _constant_lookup_terms(ast: nodes.Template, plugin: str) -> list[str]:
    """The literal terms of the `plugin` lookups in a template (`lookup('vars', 'x')` gives x)."""
    return [
        str(arg.value)
        for call in _lookup_calls(ast)
        if _plugin_of(call) == plugin
        for arg in call.args[1:]
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str)
    ]


def _computed_lookup_terms(ast: nodes.Template, plugins: tuple[str, ...]) -> bool:
    """Whether a lookup of one of `plugins` has a term computed at run time (not a literal string)."""
    return any(
        not (isinstance(arg, nodes.Const) and isinstance(arg.value, str))
        for call in _lookup_calls(ast)
        if _plugin_of(call) in plugins
        for arg in call.args[1:]
    )


def _plugin_of(call: nodes.Call) -> str | None:
    """The short name of the plugin a lookup call names literally (None: not named by a quoted string)."""
    first = call.args[0] if call.args else None
    if isinstance(first, nodes.Const) and isinstance(first.value, str):
        return plugin_name(first.value)
    return None


def _context_variable(context: Context, name: str) -> Any:
    value = context.resolve_or_missing(name)
    if value is missing or isinstance(value, jinja2.Undefined):
        raise LookupUndefinedError(f"No variable found with this name: {name}")
    return value


def _context_names(context: Context) -> list[str]:
    """The names of the variables a template sees (Jinja's lookup functions and deployctl's own names aside)."""
    return [name for name in context.get_all() if name not in (*LOOKUP_FUNCTIONS, LOOKUP_SITE_VAR)]


def _truth(value: Any, condition: str) -> bool:
    """A condition's result as a bool; strings must be boolean words (the string "false" is not true)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = parse_bool(value)
        if word is None:
            raise TemplateError(f"condition {condition!r} gave the string {value!r}, not a boolean")
        return word
    return bool(value)
