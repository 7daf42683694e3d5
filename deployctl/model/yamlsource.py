"""YAML loading that keeps the file and line of every mapping key and list item, for error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from deployctl.errors import InputError


class LocatedMap(dict[Any, Any]):
    """A YAML mapping that remembers its source file, its own line and the line of each key."""

    def __init__(self, source: str, line: int) -> None:
        super().__init__()
        self.source = source
        self.line = line
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        """The line of `key` in the source, or the mapping's own line when the key is absent."""
        return self.key_lines.get(key, self.line)


class LocatedList(list[Any]):
    """A YAML sequence that remembers its source file, its own line and the line of each item."""

    def __init__(self, source: str, line: int) -> None:
        super().__init__()
        self.source = source
        self.line = line
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        """The line of item `index` in the source."""
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML has it (several times faster); the pure-Python one otherwise. Both give lines."""


def _convert(node: Node, loader: yaml.SafeLoader, source: str) -> Any:
    if isinstance(node, MappingNode):
        loader.flatten_mapping(node)
        mapping = LocatedMap(source, node.start_mark.line + 1)
        for key_node, value_node in node.value:
            key = _convert(key_node, loader, source)
            key_line = key_node.start_mark.line + 1
            try:
                hash(key)
            except TypeError:
                raise InputError(source, key_line, None, "a mapping key must be a plain value") from None
            if key in mapping:
                raise InputError(source, key_line, str(key), f"duplicate key (first at line {mapping.key_lines[key]})")
            mapping[key] = _convert(value_node, loader, source)
            mapping.key_lines[key] = key_line
        return mapping
    if isinstance(node, SequenceNode):
        sequence = LocatedList(source, node.start_mark.line + 1)
        for item in node.value:
            sequence.append(_convert(item, loader, source))
            sequence.item_lines.append(item.start_mark.line + 1)
        return sequence
    assert isinstance(node, ScalarNode)
    return loader.construct_object(node, deep=True)


def parse_yaml(text: str, source: str) -> Any:
    """Parse one YAML document, keeping lines; a syntax error becomes an InputError with its line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _convert(node, loader, source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        raise InputError(source, line, None, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(source, None, None, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def load_yaml_file(path: Path, display: str | None = None) -> Any:
    """Read and parse a YAML file; `display` is the name errors show (a path relative to the project)."""
    source = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(source, None, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(source, None, None, f"cannot read: {exc}") from None
    return parse_yaml(text, source)
