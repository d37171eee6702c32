"""YAML with line numbers: a SafeLoader whose mappings and sequences remember where each key and item was written.

PyYAML keeps the marks only on nodes; problems in an OKR file must name the line a person can fix.
"""

from __future__ import annotations

from typing import Any

import yaml

from bot.rules.text import clean

# An OKR file nests 7 levels deep (objectives, an objective, its key_results, a key result, its latest block); far
# deeper is a mistake or an attack, and PyYAML's composer recurses once per level (a RecursionError near 1,000).
MAX_DEPTH = 32


class LineMap(dict):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int
    lines: dict[Any, int]
    repeated: list[tuple[Any, int]]


class LineList(list):
    """A YAML sequence that remembers its own line and the line of each item."""

    line: int
    lines: list[int]


class Sexagesimal(int):
    """An int YAML 1.1 read from base-60 notation such as 10:00 (= 600)."""


class TooDeep(yaml.MarkedYAMLError):
    """The YAML nests deeper than MAX_DEPTH; problem_mark is where."""


class LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences keep the line numbers of their keys and items; at most MAX_DEPTH deep,
    and every string cleaned of control and bidirectional characters (bot/rules/text.clean)."""

    _depth = 0

    def compose_node(self, parent, index):  # noqa: D102 - PyYAML's composer, one call per nesting level
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise TooDeep(problem=f"the YAML nests deeper than {MAX_DEPTH} levels here (an OKR file needs 7)",
                              problem_mark=self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_map(loader: LineLoader, node: yaml.MappingNode):
    data = LineMap()
    data.line = node.start_mark.line + 1
    data.lines = {}
    data.repeated = []
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=False)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark
            ) from None
        line = key_node.start_mark.line + 1
        if key in data:
            # SafeLoader silently keeps the last of two equal keys; a person almost never means that.
            data.repeated.append((key, line))
        data[key] = loader.construct_object(value_node, deep=False)
        data.lines[key] = line


def _construct_seq(loader: LineLoader, node: yaml.SequenceNode):
    data = LineList()
    data.line = node.start_mark.line + 1
    data.lines = [child.start_mark.line + 1 for child in node.value]
    yield data
    data.extend(loader.construct_sequence(node))


def _construct_int(loader: LineLoader, node: yaml.ScalarNode) -> int:
    value = loader.construct_yaml_int(node)
    # Mark base-60 ints so a time field can tell `time: 10:00` (600) from a bare `time: 600`.
    return Sexagesimal(value) if ":" in str(node.value) else value


def _construct_str(loader: LineLoader, node: yaml.ScalarNode) -> str:
    return clean(loader.construct_yaml_str(node))


LineLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)
LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
