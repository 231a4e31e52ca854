"""YAML loading that remembers line numbers, so corpus errors can point at a line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from quotekb.errors import InputError


class LineDict(dict):
    """A mapping from YAML that knows the 1-based line of each key and of itself."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list):
    line: int = 0


# libyaml's scanner and parser when PyYAML was built with it (its wheels are): the
# same nodes and marks, several times faster on a corpus of a thousand article files
FAST_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(FAST_SAFE_LOADER):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            # YAML reads yes/no/on/1 as booleans or numbers; every key here is text
            raise InputError(
                loader.name, f"key {key_node.value!r} is read as {type(key).__name__}, not text",
                "quote it, e.g. \"yes\": ...", line=key_node.start_mark.line + 1,
            )
        if key in result:
            raise InputError(
                loader.name, f"duplicate key {key!r}", "keep one of the two entries",
                line=key_node.start_mark.line + 1,
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


def _construct_str_timestamp(loader: _Loader, node: yaml.ScalarNode) -> str:
    # Dates stay strings ("2024-08-31"): the schema checks their form, SQLite stores text.
    return loader.construct_scalar(node)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_str_timestamp)


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; any problem becomes a one-line InputError with the line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "file is missing", "create it (see README, 'Layout' and 'Add an article')") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(path, "YAML file is not UTF-8", "save it as UTF-8", line=line) from None
    loader = _Loader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = f"invalid YAML: {exc.problem or exc.context}"
        raise InputError(path, problem, "fix the YAML syntax", line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(path, f"invalid YAML: {exc}", "fix the YAML syntax") from None
    finally:
        loader.dispose()


def line_of(data: Any, path: tuple) -> int | None:
    """Best line for a JSON-Schema error path inside data loaded by load_yaml."""
    line = getattr(data, "line", None)
    node = data
    for part in path:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line
