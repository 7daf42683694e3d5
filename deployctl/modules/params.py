"""Validate a task's module arguments against the module's declared parameters, as Ansible does.

Unknown parameters are refused (naming the ones the module knows), aliases become canonical names,
missing required ones are reported, values are coerced the way Ansible coerces them ("yes" -> True,
"0644" -> mode, "a,b" -> list, "3" -> 3) and checked against their choices. At load time, when some
values are still Jinja templates, `partial=True` skips type and choice checks for those values only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from deployctl.errors import DeployctlError
from deployctl.modules.base import Module, Param, ParamType
from deployctl.modules.filemodes import symbolic_mode_problem
from deployctl.templating import is_templated

BOOLEANS_TRUE = frozenset({"y", "yes", "on", "1", "true", "t"})
BOOLEANS_FALSE = frozenset({"n", "no", "off", "0", "false", "f"})
"""Ansible's spellings of booleans in strings (compared lowercased)."""

_INT_RE = re.compile(r"^[+-]?[0-9]+$")
_OCTAL_RE = re.compile(r"^(?:0o)?[0-7]{1,5}$")


class ParamError(DeployctlError):
    """A module argument is unknown, missing, of the wrong type or not one of its choices."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def validate_params(module: Module, args: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Check and normalise a task's arguments for `module`: every declared parameter, by canonical name.

    Missing optional parameters get their default (None when there is none); a value given as null
    counts as missing. With `partial`, templated values are kept as they are (they are rendered and
    validated again before planning), but unknown and missing required parameters are still errors.
    """
    canonical_of = _canonical_names(module)
    given: dict[str, tuple[str, Any]] = {}
    for raw_name, value in args.items():
        name = str(raw_name)
        canonical = canonical_of.get(name)
        if canonical is None:
            raise ParamError(name, f"unknown parameter for {module.name}; it accepts: {known_params(module)}")
        if canonical in given:
            first = given[canonical][0]
            raise ParamError(name, f"given twice, as {first} and as {name}")
        given[canonical] = (name, value)

    result: dict[str, Any] = {}
    for canonical, param in module.params.items():
        name, value = given.get(canonical, (canonical, None))
        if value is None:
            if param.required:
                raise ParamError(canonical, f"required by {module.name}")
            result[canonical] = list(param.default) if isinstance(param.default, list) else param.default
            continue
        result[canonical] = _check_value(name, param, value, partial=partial)
    return result


def _canonical_names(module: Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for canonical, param in module.params.items():
        names[canonical] = canonical
        for alias in param.aliases:
            names[alias] = canonical
    return names


def known_params(module: Module) -> str:
    """The parameters a module accepts, as messages list them."""
    public = sorted(name for name in module.params if not name.startswith("_"))
    return ", ".join(public)


def _check_value(name: str, param: Param, value: Any, *, partial: bool) -> Any:
    if partial and is_templated(value):
        return value
    coerced = coerce(name, param.type, value, partial=partial)
    if param.choices is not None and coerced not in param.choices:
        choices = ", ".join(str(choice) for choice in param.choices)
        raise ParamError(name, f"must be one of {choices}, got {value!r}")
    if param.check is not None:
        _run_check(name, param.check, coerced, partial=partial)
    return coerced


def _run_check(name: str, check: Callable[[str], str | None], value: Any, *, partial: bool) -> None:
    """Apply a parameter's check to its value, or to each item of a list (templated items wait for the run)."""
    for item in value if isinstance(value, list) else [value]:
        if partial and is_templated(item):
            continue
        problem = check(item if isinstance(item, str) else str(item))
        if problem is not None:
            raise ParamError(name, problem)


def coerce(name: str, kind: ParamType, value: Any, *, partial: bool = False) -> Any:
    """Convert `value` to the parameter type `kind` as Ansible does, or raise ParamError."""
    if kind == "raw":
        return value
    if kind in ("str", "path"):
        return _to_str(name, value)
    if kind == "int":
        return _to_int(name, value)
    if kind == "bool":
        return _to_bool(name, value)
    if kind == "list":
        return _to_list(name, value, partial=partial)
    if kind == "dict":
        return _to_dict(name, value)
    if kind == "mode":
        return normalise_mode(name, value)
    raise AssertionError(f"unknown parameter type {kind!r}")


def _to_str(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise ParamError(name, f"expected a string, got the boolean {value}; quote it if a word is meant")
    if isinstance(value, int | float):
        return str(value)
    raise ParamError(name, f"expected a string, got {_kind(value)}")


def _to_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ParamError(name, f"expected an integer, got the boolean {value}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value.strip())
    raise ParamError(name, f"expected an integer, got {value!r}")


def _to_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in BOOLEANS_TRUE:
            return True
        if word in BOOLEANS_FALSE:
            return False
    raise ParamError(name, f"expected a boolean (true/false, yes/no), got {value!r}")


def _to_list(name: str, value: Any, *, partial: bool) -> list[Any]:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [str(value)]
    if not isinstance(value, list | tuple):
        raise ParamError(name, f"expected a list (or a comma-separated string), got {_kind(value)}")
    items: list[Any] = []
    for index, item in enumerate(value):
        if partial and is_templated(item):
            items.append(item)
            continue
        try:
            items.append(_to_str(name, item))
        except ParamError as exc:
            raise ParamError(name, f"item {index + 1}: {exc.problem}") from None
    return items


def _to_dict(name: str, value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {str(key): item for key, item in value.items()}
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            return decoded
    raise ParamError(name, f"expected a mapping, got {_kind(value)}")


def normalise_mode(name: str, value: Any) -> str:
    """A file mode as a 4-digit octal string, as Ansible reads modes.

    A string is octal digits ("644", "0644", "01777"). An integer is the mode's numeric value, which is
    what YAML makes of `0644` (420). A three-digit integer written without the leading zero (`644`,
    `755`) is decimal in YAML, and Ansible would silently apply mode 01204 or 01363: such values
    (512-777 with only octal digits) are refused with the fix. A symbolic mode (`u=rwX,go=rX`, `a-s`) is kept
    as written: it is resolved against the path's current mode when the task plans (modules/filemodes.py).
    """
    if isinstance(value, bool):
        raise ParamError(name, f"expected an octal mode such as '0644', got the boolean {value}")
    if isinstance(value, int):
        if not 0 <= value <= 0o7777:
            raise ParamError(name, f"mode {value} is out of range; write it as a quoted octal string such as '0644'")
        if 0o777 < value <= 777 and set(str(value)) <= set("01234567"):
            raise ParamError(
                name,
                f"mode {value} is a decimal number in YAML (octal {value:04o}); "
                f"write it with a leading zero (0{value}) or quoted ('{value}')",
            )
        return f"{value:04o}"
    if isinstance(value, str):
        text = value.strip()
        if _OCTAL_RE.match(text.lower()):
            number = int(text.lower().removeprefix("0o"), 8)
            if number <= 0o7777:
                return f"{number:04o}"
        if text.isdigit():
            raise ParamError(name, f"expected an octal mode such as '0644', got {value!r}")
        if (problem := symbolic_mode_problem(text)) is not None:
            raise ParamError(name, problem)
        return text
    raise ParamError(name, f"expected an octal mode such as '0644', got {_kind(value)}")


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"{type(value).__name__} {value!r}"
