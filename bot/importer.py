"""Importing an OKR file (YAML): parse and validate with line numbers, then create or update rows."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml
from sqlmodel import Session, select

from bot import validation
from bot.validation import (
    CHANNEL_ID as _CHANNEL_ID,
    DAY_NAMES,
    DEFAULT_CHECKIN,
    DEFAULT_DIGEST,
    DEFAULT_TIMEZONE,
    USER_ID as _USER_ID,
    Invalid,
    describe as _describe,
    suggest as _suggest,
)
from bot.values import InvalidValue, parse_value
from storage.models import CONFIDENCES, OBJECTIVE_TYPES, Cycle, KeyResult, Objective, Team, TeamLead

__all__ = [
    "DAY_NAMES",
    "ImportSummary",
    "KeyResultSpec",
    "ObjectiveSpec",
    "OkrFileError",
    "OkrSet",
    "Problem",
    "TeamSpec",
    "CycleSpec",
    "apply_okr_set",
    "import_file",
    "load_okr_file",
    "load_okr_text",
    "read_okr_file",
]

_TOP_FIELDS = ("cycle", "teams", "objectives")
_CYCLE_FIELDS = ("name", "start", "end")
_TEAM_FIELDS = ("name", "channel", "leads", "timezone", "checkin", "digest")
_SCHEDULE_FIELDS = ("day", "time")
_OBJECTIVE_FIELDS = ("team", "id", "title", "type", "key_results")
_KR_FIELDS = ("id", "title", "owner", "baseline", "target", "unit", "latest")
_LATEST_FIELDS = ("value", "confidence", "note", "at")


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an OKR file, located by file, line (when known) and field."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}"


class OkrFileError(Exception):
    """An OKR file that cannot be imported; str() lists every problem, one per line."""

    def __init__(self, problems: list[Problem]) -> None:
        # Problems found in different passes (file, then database) read best in file order.
        self.problems = sorted(problems, key=lambda p: p.line or 0)
        super().__init__("\n".join(str(p) for p in self.problems))


# --------------------------------------------------------------------------- parsed file


@dataclass(frozen=True)
class CycleSpec:
    """The file's cycle."""

    name: str
    start: date
    end: date
    line: int


@dataclass(frozen=True)
class TeamSpec:
    """One team as the file describes it; days are weekday numbers (Monday is 0), times "HH:MM"."""

    name: str
    channel: str
    leads: tuple[str, ...]
    timezone: str
    checkin_day: int
    checkin_time: str
    digest_day: int
    digest_time: str
    line: int


@dataclass(frozen=True)
class KeyResultSpec:
    """One key result; `key` is its identity within the objective (the `id`, else the title)."""

    key: str
    title: str
    owner: str
    baseline: float
    target: float
    unit: str
    line: int


@dataclass(frozen=True)
class ObjectiveSpec:
    """One objective; `key` is its identity within team and cycle (the `id`, else the title)."""

    team: str
    key: str
    title: str
    type: str
    key_results: tuple[KeyResultSpec, ...]
    line: int
    team_line: int
    path: str


@dataclass(frozen=True)
class OkrSet:
    """A validated OKR file, ready to apply to the database."""

    filename: str
    cycle: CycleSpec
    teams: tuple[TeamSpec, ...]
    objectives: tuple[ObjectiveSpec, ...]


# --------------------------------------------------------------------------- YAML with line numbers


class _Map(dict):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int
    lines: dict[Any, int]
    repeated: list[tuple[Any, int]]


class _Seq(list):
    """A YAML sequence that remembers its own line and the line of each item."""

    line: int
    lines: list[int]


class _Sexagesimal(int):
    """An int YAML 1.1 read from base-60 notation such as 10:00 (= 600)."""


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings and sequences keep the line numbers of their keys and items."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode):
    data = _Map()
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


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode):
    data = _Seq()
    data.line = node.start_mark.line + 1
    data.lines = [child.start_mark.line + 1 for child in node.value]
    yield data
    data.extend(loader.construct_sequence(node))


def _construct_int(loader: _LineLoader, node: yaml.ScalarNode) -> int:
    value = loader.construct_yaml_int(node)
    # Mark base-60 ints so a time field can tell `time: 10:00` (600) from a bare `time: 600`.
    return _Sexagesimal(value) if ":" in str(node.value) else value


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


# --------------------------------------------------------------------------- validation


@dataclass
class _Parsed:
    okr: OkrSet | None
    problems: list[Problem]
    # Every objective's team reference, valid or not, so unknown teams can be checked against the database.
    team_refs: list[tuple[str, int, str]] = field(default_factory=list)
    file_teams: set[str] = field(default_factory=set)
    # The YAML as loaded (mappings and lists keep their line numbers), for tools that read a refused file anyway.
    document: Any = None


class _Checker:
    """Walks the loaded YAML, collecting every problem instead of stopping at the first."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []
        self.team_refs: list[tuple[str, int, str]] = []
        self.file_teams: set[str] = set()

    def problem(self, line: int | None, where: str, message: str) -> None:
        self.problems.append(Problem(self.filename, line, where, message))

    # ----- generic helpers

    def mapping(self, value: Any, where: str, line: int | None, allowed: tuple[str, ...], what: str) -> _Map | None:
        """The value as a mapping after reporting unknown and repeated keys, or None when it is not one."""
        if not isinstance(value, _Map):
            self.problem(line, where or "(top level)", f"{what} must be a mapping with fields like {', '.join(allowed[:3])}, "
                                      f"not {_describe(value)}")
            return None
        for key, key_line in value.repeated:
            self.problem(key_line, self.join(where, key), f"field {key!r} appears more than once in the same mapping")
        for key in value:
            if key not in allowed:
                hint = _suggest(key, allowed) if isinstance(key, str) else ""
                self.problem(value.lines[key], self.join(where, key), f"unknown field {str(key)!r}{hint}")
        return value

    @staticmethod
    def join(where: str, key: Any) -> str:
        return f"{where}.{key}" if where else str(key)

    @staticmethod
    def line_of(m: _Map, key: str) -> int:
        return m.lines.get(key, m.line)

    def required(self, m: _Map, key: str, where: str, what: str) -> Any:
        """The value of a required field, or None after reporting it missing or empty."""
        value = m.get(key)
        if value is None:
            if key in m:
                self.problem(self.line_of(m, key), self.join(where, key), f"{what} is empty; it needs a value")
            else:
                self.problem(m.line, self.join(where, key), f"{what} is missing; add `{key}:` here")
        return value

    def text(self, value: Any, m: _Map, key: str, where: str, what: str, max_len: int,
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
        if isinstance(value, _Sexagesimal):
            # YAML 1.1 reads an unquoted 10:00 as the base-60 integer 600 (10 * 60 + 0); turn it back into
            # the time that was written rather than make everyone remember the quotes.
            if 0 <= value < 24 * 60:
                return f"{value // 60:02d}:{value % 60:02d}"
        return self.checked(validation.time_of_day, value, line, path)

    def number(self, value: Any, line: int, path: str, what: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.problem(line, path, f"{what} must be a number, not {_describe(value)}")
            return None
        if isinstance(value, str):
            try:
                number = parse_value(value)
            except InvalidValue as exc:
                self.problem(line, path, f"{what} {_describe(value)} cannot be read as a number: {exc}")
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

    def a_list(self, value: Any, line: int, path: str, what: str) -> _Seq | None:
        if not isinstance(value, _Seq):
            self.problem(line, path, f"{what} must be a list (one `- ` item per line), not {_describe(value)}")
            return None
        return value

    # ----- sections

    def document(self, doc: Any) -> OkrSet | None:
        if doc is None:
            self.problem(None, "cycle", "the file is empty; it needs at least a `cycle:` with name, start and end")
            return None
        top = self.mapping(doc, "", 1, _TOP_FIELDS, "the file")
        if top is None:
            return None
        cycle = None
        if "cycle" not in top:
            self.problem(top.line, "cycle", "the file has no `cycle:`; add one with name, start and end")
        else:
            cycle = self.cycle(top)
        teams = self.teams(top)
        objectives = self.objectives(top)
        if self.problems or cycle is None:
            return None
        return OkrSet(self.filename, cycle, tuple(teams), tuple(objectives))

    def cycle(self, top: _Map) -> CycleSpec | None:
        m = self.mapping(top["cycle"], "cycle", self.line_of(top, "cycle"), _CYCLE_FIELDS, "cycle")
        if m is None:
            return None
        name = self.required(m, "name", "cycle", "the cycle's name")
        if name is not None:
            name = self.text(name, m, "name", "cycle", "the cycle's name", 64, allow_int=True)
        dates = {}
        for key in ("start", "end"):
            value = self.required(m, key, "cycle", f"the cycle's {key} date")
            if value is not None:
                dates[key] = self.a_date(value, self.line_of(m, key), f"cycle.{key}", f"the cycle's {key} date")
        start, end = dates.get("start"), dates.get("end")
        if start and end and end <= start:
            self.checked(validation.cycle_dates, start, self.line_of(m, "end"), "cycle.end", end)
        if name is None or start is None or end is None or end <= start:
            return None
        return CycleSpec(name, start, end, m.line)

    def teams(self, top: _Map) -> list[TeamSpec]:
        raw = top.get("teams")
        if raw is None:
            return []
        items = self.a_list(raw, self.line_of(top, "teams"), "teams", "teams")
        if items is None:
            return []
        seen: dict[str, int] = {}
        teams = []
        for i, (item, line) in enumerate(zip(items, items.lines)):
            team = self.team(item, line, f"teams[{i}]", seen)
            if team is not None:
                teams.append(team)
        return teams

    def team(self, item: Any, line: int, where: str, seen: dict[str, int]) -> TeamSpec | None:
        m = self.mapping(item, where, line, _TEAM_FIELDS, "a team")
        if m is None:
            return None
        ok = True
        name = self.required(m, "name", where, "the team's name")
        if name is not None:
            name = self.text(name, m, "name", where, "the team's name", 80)
        if name is not None:
            self.file_teams.add(name)
            if name in seen:
                self.problem(self.line_of(m, "name"), f"{where}.name",
                             f"team {name!r} is already defined on line {seen[name]}")
                ok = False
            else:
                seen[name] = self.line_of(m, "name")
        channel = self.required(m, "channel", where, "the team's digest channel")
        if channel is not None:
            channel = self.slack_id(channel, self.line_of(m, "channel"), f"{where}.channel", "channel",
                                    _CHANNEL_ID, "C0123ABCD")
        leads: list[str] = []
        if m.get("leads") is not None:
            raw = self.a_list(m["leads"], self.line_of(m, "leads"), f"{where}.leads", "the team's leads")
            if raw is None:
                ok = False
            else:
                for j, (lead, lead_line) in enumerate(zip(raw, raw.lines)):
                    user = self.slack_id(lead, lead_line, f"{where}.leads[{j}]", "user", _USER_ID, "U0123ABCD")
                    if user is None:
                        ok = False
                    elif user in leads:
                        self.problem(lead_line, f"{where}.leads[{j}]", f"{user} is listed twice as a lead")
                        ok = False
                    else:
                        leads.append(user)
        timezone = DEFAULT_TIMEZONE
        if m.get("timezone") is not None:
            timezone = self.zone(m["timezone"], self.line_of(m, "timezone"), f"{where}.timezone")
        checkin = self.schedule(m, "checkin", where, DEFAULT_CHECKIN)
        digest = self.schedule(m, "digest", where, DEFAULT_DIGEST)
        if not ok or None in (name, channel, timezone, checkin, digest):
            return None
        return TeamSpec(name, channel, tuple(leads), timezone, checkin[0], checkin[1], digest[0], digest[1], m.line)

    def zone(self, value: Any, line: int, path: str) -> str | None:
        return self.checked(validation.time_zone, value, line, path)

    def schedule(self, m: _Map, key: str, where: str, default: tuple[int, str]) -> tuple[int, str] | None:
        if m.get(key) is None:
            return default
        path = f"{where}.{key}"
        s = self.mapping(m[key], path, self.line_of(m, key), _SCHEDULE_FIELDS, f"the {key} schedule")
        if s is None:
            return None
        day, time = default
        if s.get("day") is not None:
            day = self.day(s["day"], self.line_of(s, "day"), f"{path}.day")
        if s.get("time") is not None:
            time = self.time(s["time"], self.line_of(s, "time"), f"{path}.time")
        if day is None or time is None:
            return None
        return day, time

    def objectives(self, top: _Map) -> list[ObjectiveSpec]:
        raw = top.get("objectives")
        if raw is None:
            return []
        items = self.a_list(raw, self.line_of(top, "objectives"), "objectives", "objectives")
        if items is None:
            return []
        seen: dict[tuple[str, str], int] = {}
        objectives = []
        for i, (item, line) in enumerate(zip(items, items.lines)):
            objective = self.objective(item, line, f"objectives[{i}]", seen)
            if objective is not None:
                objectives.append(objective)
        return objectives

    def objective(self, item: Any, line: int, where: str, seen: dict[tuple[str, str], int]) -> ObjectiveSpec | None:
        m = self.mapping(item, where, line, _OBJECTIVE_FIELDS, "an objective")
        if m is None:
            return None
        ok = True
        team = self.required(m, "team", where, "the objective's team")
        if team is not None:
            team = self.text(team, m, "team", where, "the objective's team", 80)
        if team is not None:
            self.team_refs.append((team, self.line_of(m, "team"), f"{where}.team"))
        title = self.required(m, "title", where, "the objective's title")
        if title is not None:
            title = self.text(title, m, "title", where, "the objective's title", 200)
        ident = None
        if m.get("id") is not None:
            ident = self.text(m["id"], m, "id", where, "the objective's id", 200, allow_int=True)
            ok = ok and ident is not None
        kind = OBJECTIVE_TYPES[0]
        if m.get("type") is not None:
            value = m["type"]
            if isinstance(value, str) and value.strip().lower() in OBJECTIVE_TYPES:
                kind = value.strip().lower()
            else:
                hint = _suggest(value.strip().lower(), OBJECTIVE_TYPES) if isinstance(value, str) else ""
                self.problem(self.line_of(m, "type"), f"{where}.type",
                             f"{_describe(value)} is not an objective type; use aspirational or committed{hint}")
                ok = False
        key = ident if ident is not None else title
        key_field = "id" if ident is not None else "title"
        if team is not None and key is not None:
            key_line = self.line_of(m, key_field)
            if (team, key) in seen:
                self.problem(key_line, f"{where}.{key_field}",
                             f"team {team} already has an objective {key!r} in this file (line {seen[team, key]}); "
                             f"give each objective its own id")
                ok = False
            else:
                seen[team, key] = key_line
        krs = self.key_results(m, where)
        if not ok or None in (team, title, key, krs):
            return None
        return ObjectiveSpec(team, key, title, kind, tuple(krs), m.line, self.line_of(m, "team"), where)

    def key_results(self, m: _Map, where: str) -> list[KeyResultSpec] | None:
        raw = self.required(m, "key_results", where, "the objective's key results")
        if raw is None:
            return None
        path = f"{where}.key_results"
        items = self.a_list(raw, self.line_of(m, "key_results"), path, "key_results")
        if items is None:
            return None
        if not items:
            self.problem(self.line_of(m, "key_results"), path,
                         "an objective needs at least one key result to measure progress by")
            return None
        seen: dict[str, int] = {}
        krs = []
        ok = True
        for j, (item, line) in enumerate(zip(items, items.lines)):
            kr = self.key_result(item, line, f"{path}[{j}]", seen)
            if kr is None:
                ok = False
            else:
                krs.append(kr)
        return krs if ok else None

    def key_result(self, item: Any, line: int, where: str, seen: dict[str, int]) -> KeyResultSpec | None:
        m = self.mapping(item, where, line, _KR_FIELDS, "a key result")
        if m is None:
            return None
        ok = True
        title = self.required(m, "title", where, "the key result's title")
        if title is not None:
            title = self.text(title, m, "title", where, "the key result's title", 200)
        ident = None
        if m.get("id") is not None:
            ident = self.text(m["id"], m, "id", where, "the key result's id", 200, allow_int=True)
            ok = ok and ident is not None
        owner = self.required(m, "owner", where, "the key result's owner (the Slack user who checks in)")
        if owner is not None:
            owner = self.slack_id(owner, self.line_of(m, "owner"), f"{where}.owner", "user", _USER_ID, "U0123ABCD")
        numbers = {}
        for key in ("baseline", "target"):
            value = self.required(m, key, where, f"the key result's {key}")
            if value is not None:
                numbers[key] = self.number(value, self.line_of(m, key), f"{where}.{key}", f"the {key}")
        baseline, target = numbers.get("baseline"), numbers.get("target")
        if baseline is not None and target is not None and baseline == target:
            self.checked(validation.kr_change, baseline, self.line_of(m, "target"), f"{where}.target", target)
            ok = False
        unit = ""
        if m.get("unit") is not None:
            unit = self.checked(validation.unit, m["unit"], self.line_of(m, "unit"), f"{where}.unit")
            ok = ok and unit is not None
        if m.get("latest") is not None:
            ok = self.latest(m["latest"], self.line_of(m, "latest"), f"{where}.latest") and ok
        key = ident if ident is not None else title
        key_field = "id" if ident is not None else "title"
        if key is not None:
            key_line = self.line_of(m, key_field)
            if key in seen:
                self.problem(key_line, f"{where}.{key_field}",
                             f"this objective already has a key result {key!r} (line {seen[key]}); "
                             f"give each key result its own id")
                ok = False
            else:
                seen[key] = key_line
        if not ok or None in (title, key, owner, baseline, target):
            return None
        return KeyResultSpec(key, title, owner, baseline, target, unit, m.line)

    def latest(self, value: Any, line: int, where: str) -> bool:
        """Check the export-only `latest` block; import ignores it, but a typo in it should still be reported."""
        before = len(self.problems)
        m = self.mapping(value, where, line, _LATEST_FIELDS, "latest")
        if m is None:
            return False
        if m.get("value") is not None:
            self.number(m["value"], self.line_of(m, "value"), f"{where}.value", "the latest value")
        if m.get("confidence") is not None and m["confidence"] not in CONFIDENCES:
            self.problem(self.line_of(m, "confidence"), f"{where}.confidence",
                         f"{_describe(m['confidence'])} is not a confidence; use green, amber or red")
        if m.get("note") is not None and not isinstance(m["note"], str):
            self.problem(self.line_of(m, "note"), f"{where}.note", f"the note must be text, not {_describe(m['note'])}")
        at = m.get("at")
        if at is not None and not isinstance(at, (datetime, date)):
            try:
                datetime.fromisoformat(str(at))
            except ValueError:
                self.problem(self.line_of(m, "at"), f"{where}.at",
                             f"{_describe(at)} is not a timestamp; write it like 2026-11-27 09:00:00+00:00")
        return len(self.problems) == before


def _parse_text(text: str, filename: str) -> _Parsed:
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = exc.problem or exc.context or "invalid YAML"
        return _Parsed(None, [Problem(filename, line, "syntax", f"the file is not valid YAML: {reason}")])
    except yaml.YAMLError as exc:
        return _Parsed(None, [Problem(filename, None, "syntax", f"the file is not valid YAML: {exc}")])
    checker = _Checker(filename)
    okr = checker.document(doc)
    return _Parsed(okr, checker.problems, checker.team_refs, checker.file_teams, doc)


def _parse_path(path: str | os.PathLike[str]) -> _Parsed:
    filename = os.fspath(path)
    try:
        with open(filename, encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        return _Parsed(None, [Problem(filename, None, "file", "the file is not UTF-8 text; save it as UTF-8 YAML")])
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return _Parsed(None, [Problem(filename, None, "file", f"cannot read the file: {reason}")])
    return _parse_text(text, filename)


def _raise_if_problems(parsed: _Parsed) -> OkrSet:
    if parsed.problems or parsed.okr is None:
        raise OkrFileError(parsed.problems)
    return parsed.okr


def load_okr_text(text: str, filename: str = "<string>") -> OkrSet:
    """Parse and validate OKR YAML text without touching the database; raise OkrFileError listing every problem."""
    return _raise_if_problems(_parse_text(text, filename))


def load_okr_file(path: str | os.PathLike[str]) -> OkrSet:
    """Read, parse and validate an OKR file without touching the database; raise OkrFileError listing every problem."""
    return _raise_if_problems(_parse_path(path))


def read_okr_file(path: str | os.PathLike[str]) -> tuple[OkrSet | None, Any, list[Problem]]:
    """Never raising: the validated set (None if any problem), the line-aware YAML (None if unreadable) and problems."""
    parsed = _parse_path(path)
    return (None if parsed.problems else parsed.okr), parsed.document, parsed.problems


# --------------------------------------------------------------------------- applying


@dataclass
class ImportSummary:
    """What an import created and updated; str() is one short line."""

    cycle: str
    cycle_created: bool = False
    teams_created: int = 0
    teams_updated: int = 0
    objectives_created: int = 0
    objectives_updated: int = 0
    key_results_created: int = 0
    key_results_updated: int = 0

    def __str__(self) -> str:
        return (f"cycle {self.cycle} {'created' if self.cycle_created else 'updated'}; "
                f"teams: {self.teams_created} created, {self.teams_updated} updated; "
                f"objectives: {self.objectives_created} created, {self.objectives_updated} updated; "
                f"key results: {self.key_results_created} created, {self.key_results_updated} updated")


def _unknown_teams(filename: str, refs: list[tuple[str, int, str]], file_teams: set[str], *,
                   session: Session) -> list[Problem]:
    """Problems for objectives whose team is neither in the file nor already in the database."""
    if not {name for name, _, _ in refs} - file_teams:
        return []
    known = set(session.exec(select(Team.name)).all())
    return [
        Problem(filename, line, path,
                f"team {name!r} is not defined under `teams:` in this file and does not exist yet; "
                f"add it under `teams:`{_suggest(name, sorted(file_teams | known))}")
        for name, line, path in refs
        if name not in file_teams and name not in known
    ]


def apply_okr_set(okr: OkrSet, *, session: Session) -> ImportSummary:
    """Create or update the set's cycle, teams, objectives and KRs; rows not in the file are left alone, never deleted."""
    refs = [(o.team, o.team_line, f"{o.path}.team") for o in okr.objectives]
    problems = _unknown_teams(okr.filename, refs, {t.name for t in okr.teams}, session=session)
    if problems:
        # Checked before any write, so a bad reference never leaves half an import behind.
        raise OkrFileError(problems)

    # An archived objective or KR named in the file is updated but stays archived: archiving is a
    # decision made in the app, and an old file being re-imported should not undo it.
    summary = ImportSummary(cycle=okr.cycle.name)
    cycle = session.exec(select(Cycle).where(Cycle.name == okr.cycle.name)).first()
    if cycle is None:
        cycle = Cycle(name=okr.cycle.name, start=okr.cycle.start, end=okr.cycle.end)
        summary.cycle_created = True
    cycle.start, cycle.end = okr.cycle.start, okr.cycle.end
    session.add(cycle)

    teams: dict[str, Team] = {}
    for spec in okr.teams:
        team = session.exec(select(Team).where(Team.name == spec.name)).first()
        if team is None:
            team = Team(name=spec.name, channel=spec.channel)
            summary.teams_created += 1
        else:
            summary.teams_updated += 1
        team.channel, team.timezone = spec.channel, spec.timezone
        team.checkin_day, team.checkin_time = spec.checkin_day, spec.checkin_time
        team.digest_day, team.digest_time = spec.digest_day, spec.digest_time
        session.add(team)
        session.flush()
        current = {lead.user_id: lead for lead in session.exec(select(TeamLead).where(TeamLead.team_id == team.id))}
        for user_id, lead in current.items():
            if user_id not in spec.leads:
                session.delete(lead)
        for user_id in spec.leads:
            if user_id not in current:
                session.add(TeamLead(team_id=team.id, user_id=user_id))
        teams[spec.name] = team
    session.flush()

    for spec in okr.objectives:
        team = teams.get(spec.team) or session.exec(select(Team).where(Team.name == spec.team)).one()
        teams[spec.team] = team
        objective = session.exec(select(Objective).where(
            Objective.team_id == team.id, Objective.cycle_id == cycle.id, Objective.key == spec.key)).first()
        if objective is None:
            objective = Objective(team_id=team.id, cycle_id=cycle.id, key=spec.key, title=spec.title)
            summary.objectives_created += 1
        else:
            summary.objectives_updated += 1
        objective.title, objective.type = spec.title, spec.type
        session.add(objective)
        session.flush()
        existing = {kr.key: kr for kr in session.exec(select(KeyResult).where(KeyResult.objective_id == objective.id))}
        for kr_spec in spec.key_results:
            kr = existing.get(kr_spec.key)
            if kr is None:
                kr = KeyResult(objective_id=objective.id, key=kr_spec.key, title=kr_spec.title,
                               owner_id=kr_spec.owner, baseline=kr_spec.baseline, target=kr_spec.target)
                summary.key_results_created += 1
            else:
                summary.key_results_updated += 1
            kr.title, kr.owner_id, kr.unit = kr_spec.title, kr_spec.owner, kr_spec.unit
            kr.baseline, kr.target = kr_spec.baseline, kr_spec.target
            session.add(kr)
    session.flush()
    return summary


def import_file(path: str | os.PathLike[str], *, session: Session) -> ImportSummary:
    """Load, validate and apply an OKR file, reporting file and unknown-team problems together before any write."""
    parsed = _parse_path(path)
    # Check team references even when the file has other problems, so one run reports everything.
    parsed.problems.extend(_unknown_teams(os.fspath(path), parsed.team_refs, parsed.file_teams, session=session))
    okr = _raise_if_problems(parsed)
    return apply_okr_set(okr, session=session)
