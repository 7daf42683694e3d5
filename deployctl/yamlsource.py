"""YAML loading that keeps the file and line of every mapping key and list item, for error messages."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, cast

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, Event, ScalarEvent, SequenceStartEvent, StreamEndEvent
from yaml.nodes import Node, ScalarNode

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

MAX_YAML_BYTES = 10 * 1024 * 1024
"""The largest YAML file read (10 MiB): real playbooks and inventories are kilobytes."""
MAX_YAML_DEPTH = 200
"""The deepest nesting of lists and mappings in a document, counting the nesting an alias brings in."""
MAX_YAML_NODES = 1_000_000
"""The most values in a document, counting each alias as every value it stands for: code that walks the
loaded tree (templating, JSON output) sees the aliases expanded, so this bounds it too ("billion laughs")."""


def _line(event: Event) -> int:
    """The line (from 1) where an event starts."""
    return 0 if event.start_mark is None else event.start_mark.line + 1


class _EventSource(Protocol):
    """The loader's parser and resolver calls the reader uses (PyYAML's stubs leave them untyped)."""

    def get_event(self) -> Event: ...

    def peek_event(self) -> Event: ...

    def check_event(self, *choices: type[Event]) -> bool: ...

    def resolve(self, kind: type[Node], value: str | None, implicit: tuple[bool, bool]) -> str: ...


_MERGE_TAG = "tag:yaml.org,2002:merge"
_COLLECTION_TAGS = frozenset({"!", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"})
_MERGE = object()
"""The `<<` merge key of YAML 1.1, while its mapping is read."""


@dataclass(frozen=True)
class _Value:
    """A value read from the document, with the line it starts on, the number of values it stands for and its
    nesting height."""

    value: Any
    line: int
    size: int
    height: int


class _OpenCollection:
    """A list or mapping whose items are being read."""

    def __init__(self, event: CollectionStartEvent, source: str, line: int) -> None:
        self.anchor: str | None = event.anchor
        self.line = line
        self.size = 1
        self.height = 1
        self.items = LocatedList(source, line) if isinstance(event, SequenceStartEvent) else None
        self.key: tuple[Any, int] | None = None  # a mapping's key waiting for its value
        self.entries: dict[Any, tuple[Any, int]] = {}  # a mapping's explicit keys: value, line
        self.merged: list[LocatedMap] = []
        self.merge_line: int | None = None

    def add(self, item: _Value, source: str) -> None:
        """Take the next item: a list's item, or a mapping's key or value."""
        self.size += item.size
        self.height = max(self.height, item.height + 1)
        if self.items is not None:
            self.items.append(item.value)
            self.items.item_lines.append(item.line)
        elif self.key is None:
            self._take_key(item.value, item.line, source)
        else:
            key, key_line = self.key
            self.key = None
            if key is _MERGE:
                self.merged.extend(_merge_sources(item.value, key_line, source))
            else:
                self.entries[key] = (item.value, key_line)

    def _take_key(self, key: Any, line: int, source: str) -> None:
        try:
            hash(key)
        except TypeError:
            raise InputError(source, line, None, "a mapping key must be a plain value") from None
        first = self.merge_line if key is _MERGE else self.entries.get(key, (None, None))[1]
        if first is not None:
            shown = "<<" if key is _MERGE else str(key)
            raise InputError(source, line, shown, f"duplicate key (first at line {first})")
        if key is _MERGE:
            self.merge_line = line
        self.key = (key, line)

    def close(self, source: str) -> Any:
        """The finished list, or the mapping with its merged keys (explicit keys win, then earlier merges)."""
        if self.items is not None:
            return self.items
        mapping = LocatedMap(source, self.line)
        for merged in self.merged:
            for key, value in merged.items():
                if key not in self.entries and key not in mapping:
                    mapping[key] = value
                    mapping.key_lines[key] = merged.line_of(key)
        for key, (value, line) in self.entries.items():
            mapping[key] = value
            mapping.key_lines[key] = line
        return mapping


def _merge_sources(value: Any, line: int, source: str) -> list[LocatedMap]:
    """The mappings a `<<` key merges: one mapping, or a list of them (earlier ones win)."""
    sources = value if isinstance(value, LocatedList) else [value]
    if not all(isinstance(item, LocatedMap) for item in sources):
        raise InputError(source, line, "<<", "a merge key takes a mapping or a list of mappings")
    return list(sources)


class _DocumentReader:
    """Builds one document's value from the parser's events, without recursion; each anchored value is built
    once and every alias to it is that same object (as yaml.safe_load does), within the size limits."""

    def __init__(self, loader: yaml.SafeLoader, source: str) -> None:
        self.loader = loader
        self.events = cast(_EventSource, loader)
        self.source = source
        self.anchors: dict[str, _Value] = {}
        self.open_anchors: dict[str, int] = {}
        self.stack: list[_OpenCollection] = []
        self.expanded = 0

    def read(self) -> Any:
        """Read events up to the end of the document's root value and return that value."""
        while True:
            event = self.events.get_event()
            line = _line(event)
            if isinstance(event, CollectionStartEvent):
                self._open(event, line)
                continue
            if isinstance(event, AliasEvent):
                item = self._alias(event, line)
            elif isinstance(event, ScalarEvent):
                item = self._scalar(event, line)
            else:
                item = self._close()
            if not self.stack:
                return item.value
            if len(self.stack) + item.height > MAX_YAML_DEPTH:
                raise InputError(self.source, item.line, None, f"nested deeper than {MAX_YAML_DEPTH} levels")
            self.stack[-1].add(item, self.source)

    def _count(self, size: int, line: int) -> None:
        self.expanded += size
        if self.expanded > MAX_YAML_NODES:
            problem = f"more than {MAX_YAML_NODES} values once aliases are expanded"
            raise InputError(self.source, line, None, problem)

    def _anchor(self, anchor: str | None, line: int) -> None:
        if anchor is not None and (anchor in self.anchors or anchor in self.open_anchors):
            raise InputError(self.source, line, None, f"invalid YAML: duplicate anchor &{anchor}")

    def _open(self, event: CollectionStartEvent, line: int) -> None:
        if event.tag is not None and event.tag not in _COLLECTION_TAGS:
            raise InputError(
                self.source, line, None, f"invalid YAML: tags on lists and mappings are not supported ({event.tag})"
            )
        if len(self.stack) >= MAX_YAML_DEPTH:
            raise InputError(self.source, line, None, f"nested deeper than {MAX_YAML_DEPTH} levels")
        self._anchor(event.anchor, line)
        self._count(1, line)
        if event.anchor is not None:
            self.open_anchors[event.anchor] = line
        self.stack.append(_OpenCollection(event, self.source, line))

    def _close(self) -> _Value:
        collection = self.stack.pop()
        item = _Value(collection.close(self.source), collection.line, collection.size, collection.height)
        if collection.anchor is not None:
            del self.open_anchors[collection.anchor]
            self.anchors[collection.anchor] = item
        return item

    def _alias(self, event: AliasEvent, line: int) -> _Value:
        anchor = str(event.anchor)
        if anchor in self.open_anchors:
            problem = f"recursive alias *{anchor}: it is inside the value it names (line {self.open_anchors[anchor]})"
            raise InputError(self.source, line, None, problem)
        if anchor not in self.anchors:
            raise InputError(self.source, line, None, f"invalid YAML: alias *{anchor} names no anchor before it")
        item = self.anchors[anchor]
        self._count(item.size, line)
        return replace(item, line=line)

    def _scalar(self, event: ScalarEvent, line: int) -> _Value:
        self._anchor(event.anchor, line)
        self._count(1, line)
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.events.resolve(ScalarNode, event.value, event.implicit)
        waiting_key = bool(self.stack) and self.stack[-1].items is None and self.stack[-1].key is None
        if tag == _MERGE_TAG and waiting_key:
            value: Any = _MERGE
        else:
            node = ScalarNode(tag, event.value, cast(Any, event.start_mark), cast(Any, event.end_mark), event.style)
            value = self.loader.construct_object(node, deep=True)
            self.loader.constructed_objects.pop(node, None)
        item = _Value(value, line, 1, 0)
        if event.anchor is not None:
            self.anchors[event.anchor] = item
        return item


def _single_document(loader: yaml.SafeLoader, source: str) -> Any:
    """The value of the stream's one document (None for an empty stream)."""
    events = cast(_EventSource, loader)
    events.get_event()  # the stream's start
    if events.check_event(StreamEndEvent):
        return None
    events.get_event()  # the document's start
    value = _DocumentReader(loader, source).read()
    events.get_event()  # the document's end
    if not events.check_event(StreamEndEvent):
        line = _line(events.peek_event())
        raise InputError(source, line, None, "invalid YAML: expected a single document in the stream")
    return value


def _too_large(source: str) -> InputError:
    return InputError(
        source, None, None, f"larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB, the limit for a YAML file"
    )


def parse_yaml(text: str, source: str) -> Any:
    """Parse one YAML document, keeping lines; a syntax error or a limit crossed is an InputError with its line."""
    if len(text) > MAX_YAML_BYTES:
        raise _too_large(source)
    loader = _Loader(text)
    try:
        return _single_document(loader, source)
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
    """Read and parse a YAML file of at most MAX_YAML_BYTES; `display` is the name errors show."""
    source = display or str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_YAML_BYTES + 1)
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise InputError(source, None, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(source, None, None, f"cannot read: {exc}") from None
    if len(data) > MAX_YAML_BYTES:
        raise _too_large(source)
    return parse_yaml(text, source)
