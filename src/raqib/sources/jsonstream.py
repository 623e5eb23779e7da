"""Streaming a large JSON document: the values at chosen paths come whole, one at a time, so a
1 GB export is read in the memory of its largest message.

Built on ijson's `basic_parse` (the yajl C parser) rather than its `items`/`parse`: those build
a path string for every event in C, which a hostile document nested 100,000 levels deep turns
into gigabytes; here the path is tracked in Python and nesting beyond MAX_DEPTH is refused.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import ijson

from raqib.errors import InputError

MAX_DEPTH = 64
_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})
_SCALARS = frozenset({"null", "boolean", "number", "string"})

JsonError: type[Exception] = ijson.JSONError


class TooDeep(InputError):
    """The document nests deeper than MAX_DEPTH."""


def json_values(
    stream: BinaryIO | io.RawIOBase, wanted: Callable[[str], bool], max_depth: int = MAX_DEPTH
) -> Iterator[tuple[str, str, Any]]:
    """(path, event, value) for a JSON document read from `stream`. A value whose path (keys
    and "item" for array elements, joined with ".", as ijson names them) `wanted` accepts comes
    whole as one ("value") event; outside such values, containers come as their "start_map",
    "start_array", "end_map" and "end_array" events and scalars as ("value") events.
    Raises ijson.JSONError (bad or truncated JSON) and TooDeep."""
    path: list[str] = []  # for each open container: the current key, or "item" in an array
    events = iter(ijson.basic_parse(stream))
    for event, value in events:
        if event == "map_key":
            path[-1] = str(value)
        elif event in _SCALARS:
            yield ".".join(path), "value", value
        elif event in _OPEN:
            here = ".".join(path)
            if wanted(here):
                yield here, "value", _build(events, event, max_depth - len(path))
                continue
            yield here, event, None
            path.append("item" if event == "start_array" else "")
            _check_depth(len(path), max_depth)
        else:  # end_map, end_array
            path.pop()
            yield ".".join(path), event, None


def _build(events: Iterator[tuple[str, Any]], first: str, max_depth: int) -> Any:
    """The container that `first` opened, built from the events up to its end. (ijson's
    ObjectBuilder does the same; this inlined loop is about twice as fast, which matters at a
    million messages.)"""
    root: Any = {} if first == "start_map" else []
    stack: list[Any] = [root]
    keys: list[Any] = []  # the key each open container has in its parent
    top, key = root, None
    for event, value in events:
        if event == "map_key":
            key = value
        elif event == "start_map" or event == "start_array":
            child: Any = {} if event == "start_map" else []
            if type(top) is dict:
                top[key] = child
            else:
                top.append(child)
            keys.append(key)
            stack.append(child)
            top = child
            _check_depth(len(stack), max_depth)
        elif event == "end_map" or event == "end_array":
            stack.pop()
            if not stack:
                return root
            top, key = stack[-1], keys.pop()
        elif type(top) is dict:
            top[key] = value
        else:
            top.append(value)
    raise InputError("the JSON ends inside a record (truncated file?)")


def _check_depth(depth: int, max_depth: int) -> None:
    if depth > max_depth:
        raise TooDeep(f"JSON nested more than {max_depth} levels deep: not a real export")
