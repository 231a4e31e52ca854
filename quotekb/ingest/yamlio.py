"""YAML loading that remembers line numbers, so corpus errors can point at a line.

Corpus YAML is untrusted input, read within bounds: at most MAX_YAML_BYTES per file
(files.read_bounded), and the composed node graph is measured before anything is
built from it. An alias shares its anchor's node, so ten lines of anchors can stand
for 10^9 values (a "billion laughs"): refused past MAX_EXPANDED_NODES, as are nesting
deeper than MAX_DEPTH, an alias inside its own anchor, and a scalar longer than
MAX_SCALAR_CHARS. Nothing in an error line quotes more than a few characters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from quotekb.errors import InputError, brief
from quotekb.ingest.files import read_bounded

MAX_YAML_BYTES = 4 * 1024 * 1024
MAX_EXPANDED_NODES = 200_000  # a thousand-speaker registry is some 10,000
MAX_DEPTH = 50  # the corpus schemas nest six levels at most
MAX_SCALAR_CHARS = 100_000


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
                loader.name, f"key {brief(key_node.value)} is read as {type(key).__name__}, not text",
                "quote it, e.g. \"yes\": ...", line=key_node.start_mark.line + 1,
            )
        if key in result:
            raise InputError(
                loader.name, f"duplicate key {brief(key)}", "keep one of the two entries",
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


def _measure(root: yaml.Node, path: Path) -> None:
    """Refuse a node graph whose expansion (aliases copied out) would be too big or
    too deep, or that contains itself; sizes are memoized per shared node, so this
    costs one visit per distinct node."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        line = node.start_mark.line + 1
        if key in open_nodes:
            raise InputError(path, "an alias refers to its own anchor (a recursive structure)",
                             "write the value out instead of the alias", line=line)
        if depth > MAX_DEPTH:
            raise InputError(path, f"nesting is deeper than {MAX_DEPTH} levels", "flatten the structure", line=line)
        if isinstance(node, yaml.ScalarNode):
            if len(node.value) > MAX_SCALAR_CHARS:
                raise InputError(path, f"a value is {len(node.value):,} characters long, over the "
                                 f"{MAX_SCALAR_CHARS:,}-character limit", "shorten it", line=line)
            total = 1
        else:
            open_nodes.add(key)
            children = node.value if isinstance(node, yaml.SequenceNode) else [c for pair in node.value for c in pair]
            total = 1
            for child in children:
                total += size(child, depth + 1)
                if total > MAX_EXPANDED_NODES:
                    raise InputError(path, f"expands to more than {MAX_EXPANDED_NODES:,} values (anchors and "
                                     "aliases repeated inside each other?)", "write the values out without aliases",
                                     line=line)
            open_nodes.discard(key)
        sizes[key] = total
        return total

    size(root, 0)


def load_yaml(path: Path, root: Path | None = None) -> Any:
    """Parse a YAML file (inside root, when given); any problem becomes a one-line
    InputError with the line."""
    raw = read_bounded(path, MAX_YAML_BYTES, root, "YAML file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(path, "YAML file is not UTF-8", "save it as UTF-8", line=line) from None
    loader = _Loader(text)
    loader.name = str(path)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _measure(node, path)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = f"invalid YAML: {(exc.problem or exc.context or '')[:80]}"
        raise InputError(path, problem, "fix the YAML syntax", line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(path, f"invalid YAML: {str(exc)[:80]}", "fix the YAML syntax") from None
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
