"""Ansible's lookup plugins that run on the controller: first_found, file, template, env, vars, varnames, items,
list.

The plugins' semantics are here, pure but for reading controller files and the environment it is
given; `templating` wires them into Jinja as `lookup()`, `query()` and `q()`. Relative file names are
searched as Ansible does: in each of the task's folders (its role's, its own file's, the playbook's),
first in the subfolder for its kind (`vars/` for include_vars, `templates/` for template, `files/`
otherwise), then in the folder itself. `with_first_found`, include_vars, `copy`/`template` src and the
first_found lookup share this resolver.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOOKUP_FUNCTIONS = ("lookup", "query", "q")
SUPPORTED_LOOKUPS = ("first_found", "file", "template", "env", "vars", "varnames", "items", "list")
BUILTIN_PREFIXES = ("ansible.builtin.", "ansible.legacy.")
"""The collection names ansible-core's own lookups, filters and tests may be written with
(`lookup('ansible.builtin.file', ...)`, `x | ansible.builtin.to_json`, `x is ansible.legacy.version`)."""
ERROR_MODES = ("strict", "warn", "ignore")
LOOKUP_SITE_VAR = "__deployctl_lookup_site__"
"""The variable that carries a task's LookupSite into its templates (not a name Ansible content uses)."""
OPTIONS: Mapping[str, tuple[str, ...]] = {
    "first_found": ("files", "paths", "skip"),
    "file": ("lstrip", "rstrip"),
    "template": ("template_vars",),
    "env": ("default",),
    "vars": ("default",),
    "varnames": (),
    "items": (),
    "list": (),
}
"""Each plugin's keyword options (besides `wantlist` and `errors`, which every lookup takes)."""


class LookupFailure(Exception):  # noqa: N818 (Ansible's AnsibleLookupError: `errors=` decides what it does)
    """A lookup failed (no file found, unreadable file): fails the template unless `errors` is warn or ignore."""


class LookupUsageError(Exception):
    """A lookup called wrongly (unknown plugin or option, bad `errors`): always fails the template."""


class LookupUndefinedError(Exception):
    """A lookup read an undefined variable: always fails the template, as undefined variables do."""


@dataclass(frozen=True)
class LookupSite:
    """Where a task's relative file names are found: its folders in order, and its kind's subfolder."""

    roots: tuple[Path, ...]
    kind: str = "files"

    def candidates(self, name: str, kind: str | None = None) -> list[Path]:
        """`<root>/<kind>/name` then `<root>/name` for each root; an absolute name is itself."""
        path = Path(name)
        if path.is_absolute():
            return [path]
        sub = kind or self.kind
        found: list[Path] = []
        for root in self.roots:
            for candidate in (root / sub / path, root / path):
                if candidate not in found:
                    found.append(candidate)
        return found

    def find(self, name: str, kind: str | None = None) -> Path | None:
        """The first existing file among the candidates, or None."""
        return next((path for path in self.candidates(name, kind) if path.is_file()), None)


def split_names(value: Any, separators: str) -> list[str]:
    """A first_found `files`/`paths` value as a list: strings are split on `separators`, as Ansible does."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(f"[{re.escape(separators)}]", value) if part.strip()]
    if isinstance(value, Sequence):
        return [name for item in value for name in split_names(item, separators)]
    return [str(value)]


def first_found_search(terms: Sequence[Any], options: Mapping[str, Any]) -> tuple[list[str], bool]:
    """The names first_found tries, in order (each path joined with each file), and whether `skip` is set.

    A term is a name, a list of terms, or a mapping with `files`, `paths` and `skip`; `options`
    (keyword arguments) is one more such mapping, tried after the terms.
    """
    names: list[str] = []
    skip = False
    pending: list[Any] = [*terms, *([dict(options)] if options else [])]
    while pending:
        term = pending.pop(0)
        if isinstance(term, Mapping):
            unknown = sorted(set(term) - {"files", "paths", "skip"})
            if unknown:
                raise LookupUsageError(f"first_found: unknown option(s) {', '.join(map(str, unknown))}")
            files = split_names(term.get("files", []), ",;")
            paths = split_names(term.get("paths", []), ",:;")
            skip = skip or _boolean(term.get("skip", False), "skip")
            names.extend([str(Path(path) / name) for path in paths for name in files] if paths else files)
        elif isinstance(term, str):
            names.extend(split_names(term, ",;"))
        elif isinstance(term, Sequence):
            pending[:0] = list(term)
        else:
            raise LookupUsageError(f"first_found: a term is a file name, a list or a mapping, got {term!r}")
    return names, skip


def first_found(site: LookupSite, terms: Sequence[Any], options: Mapping[str, Any] | None = None) -> list[str]:
    """The first existing file among first_found's terms (a one-item list), [] with `skip`, else LookupFailure."""
    names, skip = first_found_search(terms, options or {})
    for name in names:
        found = site.find(name)
        if found is not None:
            return [str(found.absolute())]
    if skip:
        return []
    raise LookupFailure(f"No file was found when using first_found (tried {', '.join(names) or 'no names'})")


def plugin_name(name: str) -> str:
    """A lookup plugin's short name: `ansible.builtin.first_found` and `ansible.legacy.first_found` are first_found."""
    for prefix in BUILTIN_PREFIXES:
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


def run_lookup(
    plugin: str,
    terms: Sequence[Any],
    options: Mapping[str, Any],
    site: LookupSite,
    *,
    variable: Callable[[str], Any],
    variable_names: Callable[[], Sequence[str]],
    render_template: Callable[[Path, Mapping[str, Any]], str],
    environ: Mapping[str, str],
) -> list[Any]:
    """Run one lookup plugin; its result is always a list (`lookup()` joins it, `query()` keeps it).

    `variable(name)` gives a variable's value or raises LookupUndefinedError; `variable_names()` the names
    of every variable in scope; `render_template(path, extra_vars)` renders a template file with the
    current variables.
    """
    plugin = plugin_name(plugin)
    if plugin not in SUPPORTED_LOOKUPS:
        raise LookupUsageError(f"unsupported lookup plugin {plugin!r} (supported: {', '.join(SUPPORTED_LOOKUPS)})")
    unknown = sorted(set(options) - set(OPTIONS[plugin]))
    if unknown:
        raise LookupUsageError(f"{plugin}: unknown option(s) {', '.join(unknown)}")
    if plugin == "first_found":
        return first_found(site, terms, options)
    if plugin == "items":
        return [inner for term in terms for inner in (term if _is_list(term) else [term])]
    if plugin == "list":
        return list(terms)
    if plugin == "env":
        default = options.get("default", "")
        return [environ.get(str(term), default) for term in terms]
    if plugin == "vars":
        return [_variable(str(term), options, variable) for term in terms]
    if plugin == "varnames":
        return matching_names(terms, variable_names())
    found: list[Any] = []
    kind = "files" if plugin == "file" else "templates"
    for term in terms:
        path = site.find(str(term), kind)
        if path is None:
            searched = ", ".join(str(p) for p in site.candidates(str(term), kind))
            raise LookupFailure(f"could not locate file in lookup: {term} (searched {searched})")
        if plugin == "template":
            extra = options.get("template_vars", {})
            if not isinstance(extra, Mapping):
                raise LookupUsageError("template: template_vars must be a mapping")
            found.append(render_template(path, extra))
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise LookupFailure(f"The 'file' lookup had an issue accessing the file '{term}': {exc}") from None
        text = text.lstrip() if _boolean(options.get("lstrip", False), "lstrip") else text
        found.append(text.rstrip() if _boolean(options.get("rstrip", True), "rstrip") else text)
    return found


def matching_names(terms: Sequence[Any], names: Sequence[str]) -> list[str]:
    """varnames: for each term (a regular expression), the variable names it matches anywhere (re.search)."""
    found: list[str] = []
    for term in terms:
        if not isinstance(term, str):
            kind = type(term).__name__
            raise LookupUsageError(f'Invalid setting identifier, "{term}" is not a string, it is a {kind}')
        try:
            pattern = re.compile(term)
        except re.error as exc:
            raise LookupUsageError(f'Unable to use "{term}" as a search parameter: {exc}') from None
        found.extend(name for name in names if pattern.search(name))
    return found


def lookup_value(result: list[Any], wantlist: bool) -> Any:
    """What `lookup()` gives: the list with `wantlist` or when empty, else its items joined with commas (one item
    as is), as ansible-core 2.19 does."""
    if wantlist or not result:
        return result
    try:
        return ",".join(result)
    except TypeError:
        return result[0] if len(result) == 1 else result


def _variable(name: str, options: Mapping[str, Any], variable: Callable[[str], Any]) -> Any:
    try:
        return variable(name)
    except LookupUndefinedError:
        if options.get("default") is not None:
            return options["default"]
        raise


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _boolean(value: Any, option: str) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("yes", "on", "1", "true"):
        return True
    if word in ("no", "off", "0", "false"):
        return False
    raise LookupUsageError(f"{option} must be a boolean, got {value!r}")
