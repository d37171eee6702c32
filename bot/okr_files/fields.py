"""Checking the fields of a line-aware YAML document: every problem is collected with its line and path.

The rules themselves live in bot.rules.validation; this class only locates what they reject.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from bot.okr_files.spec import Problem
from bot.okr_files.yaml_lines import LineList, LineMap, Sexagesimal
from bot.rules import validation
from bot.rules.validation import Invalid, describe, suggest
from bot.rules.values import InvalidValue, parse_value
from bot.sources.spec import SourceProblem, parse_source, source_dict


class FieldChecker:
    """Collects problems instead of stopping at the first, each with the file, line and path of the field."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []

    def problem(self, line: int | None, where: str, message: str) -> None:
        self.problems.append(Problem(self.filename, line, where, message))

    def mapping(self, value: Any, where: str, line: int | None, allowed: tuple[str, ...], what: str) -> LineMap | None:
        """The value as a mapping after reporting unknown and repeated keys, or None when it is not one."""
        if not isinstance(value, LineMap):
            self.problem(line, where or "(top level)", f"{what} must be a mapping with fields like {', '.join(allowed[:3])}, "
                                      f"not {describe(value)}")
            return None
        for key, key_line in value.repeated:
            self.problem(key_line, self.join(where, key), f"field {key!r} appears more than once in the same mapping")
        for key in value:
            if key not in allowed:
                hint = suggest(key, allowed) if isinstance(key, str) else ""
                self.problem(value.lines[key], self.join(where, key), f"unknown field {str(key)!r}{hint}")
        return value

    @staticmethod
    def join(where: str, key: Any) -> str:
        return f"{where}.{key}" if where else str(key)

    @staticmethod
    def line_of(m: LineMap, key: str) -> int:
        return m.lines.get(key, m.line)

    def required(self, m: LineMap, key: str, where: str, what: str) -> Any:
        """The value of a required field, or None after reporting it missing or empty."""
        value = m.get(key)
        if value is None:
            if key in m:
                self.problem(self.line_of(m, key), self.join(where, key), f"{what} is empty; it needs a value")
            else:
                self.problem(m.line, self.join(where, key), f"{what} is missing; add `{key}:` here")
        return value

    def text(self, value: Any, m: LineMap, key: str, where: str, what: str, max_len: int,
             allow_int: bool = False) -> str | None:
        """A non-empty string of at most max_len characters, stripped, or None after a problem."""
        line, path = self.line_of(m, key), self.join(where, key)
        if allow_int and isinstance(value, int) and not isinstance(value, bool):
            # An id such as `id: 7` is clearly meant as text; YAML just happened to read it as a number.
            value = str(value)
        return self.checked(validation.text, value, line, path, what, max_len)

    def checked(self, check, value: Any, line: int, path: str, *args: Any) -> Any:
        """The value as one of bot.validation's checks returns it, or None after reporting why it fails."""
        try:
            return check(value, *args)
        except Invalid as exc:
            self.problem(line, path, str(exc))
            return None

    def slack_id(self, value: Any, line: int, path: str, what: str, pattern: re.Pattern[str], example: str) -> str | None:
        return self.checked(validation.slack_id, value, line, path, pattern, what, example)

    def day(self, value: Any, line: int, path: str) -> int | None:
        return self.checked(validation.day_of_week, value, line, path)

    def time(self, value: Any, line: int, path: str) -> str | None:
        if isinstance(value, Sexagesimal):
            # YAML 1.1 reads an unquoted 10:00 as the base-60 integer 600 (10 * 60 + 0); turn it back into
            # the time that was written rather than make everyone remember the quotes.
            if 0 <= value < 24 * 60:
                return f"{value // 60:02d}:{value % 60:02d}"
        return self.checked(validation.time_of_day, value, line, path)

    def number(self, value: Any, line: int, path: str, what: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.problem(line, path, f"{what} must be a number, not {describe(value)}")
            return None
        if isinstance(value, str):
            try:
                number = parse_value(value)
            except InvalidValue as exc:
                self.problem(line, path, f"{what} {describe(value)} cannot be read as a number: {exc}")
                return None
        else:
            number = float(value)
        if not math.isfinite(number):
            self.problem(line, path, f"{what} must be a finite number, not {value!r}")
            return None
        return number

    def a_date(self, value: Any, line: int, path: str, what: str) -> date | None:
        if isinstance(value, datetime):
            self.problem(line, path, f"{what} must be a date like 2026-10-01, without a time of day")
            return None
        return self.checked(validation.a_date, value, line, path, what)

    def a_list(self, value: Any, line: int, path: str, what: str) -> LineList | None:
        if not isinstance(value, LineList):
            self.problem(line, path, f"{what} must be a list (one `- ` item per line), not {describe(value)}")
            return None
        return value

    def source(self, value: Any, line: int, where: str) -> dict | None:
        """A KR's `source:` as bot.sources.spec.source_dict, or None after a problem on the line of the field at fault."""
        if isinstance(value, LineMap) and value.repeated:
            key, key_line = value.repeated[0]
            self.problem(key_line, f"{where}.source.{key}", f"field {key!r} appears more than once in the source")
            return None
        try:
            return source_dict(parse_source(value))
        except SourceProblem as exc:
            # exc.path is "source", "source.url" or "source.headers.Authorization": find the deepest line known.
            found, node = line, value
            for key in exc.path.split(".")[1:]:
                if not isinstance(node, LineMap) or key not in node.lines:
                    break
                found, node = node.lines[key], node[key]
            self.problem(found, f"{where}.{exc.path}", exc.sentence)
            return None
