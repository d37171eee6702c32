"""Reading an OKR file: parse the YAML with line numbers and check every field, collecting every problem."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml

from bot.okr_files.fields import FieldChecker
from bot.okr_files.spec import CycleSpec, KeyResultSpec, ObjectiveSpec, OkrFileError, OkrSet, Problem, TeamSpec
from bot.okr_files.yaml_lines import LineLoader, LineMap, TooDeep
from bot.rules import validation
from bot.rules.scoring import CONFIDENCES, OBJECTIVE_TYPES
from bot.rules.validation import (
    CHANNEL_ID,
    DEFAULT_CHECKIN,
    DEFAULT_DIGEST,
    DEFAULT_TIMEZONE,
    USER_ID,
    describe,
    suggest,
)

# Export also writes `retrospectives` and a KR's `ref`, `observed`, `grade`, `latest`: import ignores them.
_TOP_FIELDS = ("cycle", "teams", "objectives", "retrospectives")
_CYCLE_FIELDS = ("name", "start", "end")
_TEAM_FIELDS = ("name", "channel", "leads", "timezone", "holidays", "checkin", "digest")
_SCHEDULE_FIELDS = ("day", "time")
_OBJECTIVE_FIELDS = ("team", "id", "title", "type", "key_results")
_KR_FIELDS = ("id", "ref", "title", "owner", "baseline", "target", "unit", "source", "latest", "observed", "grade")
_OBSERVED_FIELDS = ("value", "at", "origin")
_LATEST_FIELDS = ("value", "confidence", "note", "at")


@dataclass
class Parsed:
    okr: OkrSet | None
    problems: list[Problem]
    # Every objective's team reference, valid or not, so unknown teams can be checked against the database.
    team_refs: list[tuple[str, int, str]] = field(default_factory=list)
    file_teams: set[str] = field(default_factory=set)
    # The YAML as loaded (mappings and lists keep their line numbers), for tools that read a refused file anyway.
    document: Any = None


class OkrChecker(FieldChecker):
    """Walks the loaded YAML section by section: cycle, teams, objectives and their key results."""

    def __init__(self, filename: str) -> None:
        super().__init__(filename)
        self.team_refs: list[tuple[str, int, str]] = []
        self.file_teams: set[str] = set()

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

    def cycle(self, top: LineMap) -> CycleSpec | None:
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

    def teams(self, top: LineMap) -> list[TeamSpec]:
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
                                    CHANNEL_ID, "C0123ABCD")
        leads: list[str] = []
        if m.get("leads") is not None:
            raw = self.a_list(m["leads"], self.line_of(m, "leads"), f"{where}.leads", "the team's leads")
            if raw is None:
                ok = False
            else:
                for j, (lead, lead_line) in enumerate(zip(raw, raw.lines)):
                    user = self.slack_id(lead, lead_line, f"{where}.leads[{j}]", "user", USER_ID, "U0123ABCD")
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
        holidays = None
        if m.get("holidays") is not None:
            holidays = self.checked(validation.holiday_calendar, m["holidays"], self.line_of(m, "holidays"),
                                    f"{where}.holidays")
            ok = ok and holidays is not None
        checkin = self.schedule(m, "checkin", where, DEFAULT_CHECKIN)
        digest = self.schedule(m, "digest", where, DEFAULT_DIGEST)
        if not ok or None in (name, channel, timezone, checkin, digest):
            return None
        return TeamSpec(name, channel, tuple(leads), timezone, checkin[0], checkin[1], digest[0], digest[1], m.line,
                        holidays)

    def zone(self, value: Any, line: int, path: str) -> str | None:
        return self.checked(validation.time_zone, value, line, path)

    def schedule(self, m: LineMap, key: str, where: str, default: tuple[int, str]) -> tuple[int, str] | None:
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

    def objectives(self, top: LineMap) -> list[ObjectiveSpec]:
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
                hint = suggest(value.strip().lower(), OBJECTIVE_TYPES) if isinstance(value, str) else ""
                self.problem(self.line_of(m, "type"), f"{where}.type",
                             f"{describe(value)} is not an objective type; use aspirational or committed{hint}")
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

    def key_results(self, m: LineMap, where: str) -> list[KeyResultSpec] | None:
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
            owner = self.slack_id(owner, self.line_of(m, "owner"), f"{where}.owner", "user", USER_ID, "U0123ABCD")
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
        source = None if m.get("source") is None else self.source(m["source"], self.line_of(m, "source"), where)
        ok = ok and (source is not None or m.get("source") is None)
        if m.get("latest") is not None:
            ok = self.latest(m["latest"], self.line_of(m, "latest"), f"{where}.latest") and ok
        if m.get("observed") is not None:
            observed = self.mapping(m["observed"], f"{where}.observed", self.line_of(m, "observed"), _OBSERVED_FIELDS,
                                  "observed")
            ok = observed is not None and ok
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
        return KeyResultSpec(key, title, owner, baseline, target, unit, m.line, source)

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
                         f"{describe(m['confidence'])} is not a confidence; use green, amber or red")
        if m.get("note") is not None and not isinstance(m["note"], str):
            self.problem(self.line_of(m, "note"), f"{where}.note", f"the note must be text, not {describe(m['note'])}")
        at = m.get("at")
        if at is not None and not isinstance(at, (datetime, date)):
            try:
                datetime.fromisoformat(str(at))
            except ValueError:
                self.problem(self.line_of(m, "at"), f"{where}.at",
                             f"{describe(at)} is not a timestamp; write it like 2026-11-27 09:00:00+00:00")
        return len(self.problems) == before


# The largest OKR file okrbot reads: thousands of teams fit; far more is a mistake (or not an OKR file).
MAX_FILE_BYTES = 5_000_000


def _too_large(text: str, filename: str) -> Parsed | None:
    if len(text) <= MAX_FILE_BYTES:
        return None
    line = text.count("\n", 0, MAX_FILE_BYTES) + 1
    return Parsed(None, [Problem(filename, line, "file", f"the file is longer than {MAX_FILE_BYTES // 1_000_000} MB "
                                                        "(the most okrbot reads): it reaches that on this line")])


def parse_text(text: str, filename: str) -> Parsed:
    too_large = _too_large(text, filename)
    if too_large is not None:
        return too_large
    try:
        doc = yaml.load(text, Loader=LineLoader)  # noqa: S506 - LineLoader is a SafeLoader
    except TooDeep as exc:
        return Parsed(None, [Problem(filename, exc.problem_mark.line + 1, "file", exc.problem)])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = exc.problem or exc.context or "invalid YAML"
        return Parsed(None, [Problem(filename, line, "syntax", f"the file is not valid YAML: {reason}")])
    except yaml.YAMLError as exc:
        return Parsed(None, [Problem(filename, None, "syntax", f"the file is not valid YAML: {exc}")])
    checker = OkrChecker(filename)
    okr = checker.document(doc)
    return Parsed(okr, checker.problems, checker.team_refs, checker.file_teams, doc)


def parse_path(path: str | os.PathLike[str]) -> Parsed:
    filename = os.fspath(path)
    try:
        with open(filename, encoding="utf-8") as fh:
            # One character past the limit is enough to refuse it, without reading a huge file whole.
            text = fh.read(MAX_FILE_BYTES + 1)
    except UnicodeDecodeError:
        return Parsed(None, [Problem(filename, None, "file", "the file is not UTF-8 text; save it as UTF-8 YAML")])
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return Parsed(None, [Problem(filename, None, "file", f"cannot read the file: {reason}")])
    return parse_text(text, filename)


def raise_if_problems(parsed: Parsed) -> OkrSet:
    if parsed.problems or parsed.okr is None:
        raise OkrFileError(parsed.problems)
    return parsed.okr


def load_okr_text(text: str, filename: str = "<string>") -> OkrSet:
    """Parse and validate OKR YAML text without touching the database; raise OkrFileError listing every problem."""
    return raise_if_problems(parse_text(text, filename))


def load_okr_file(path: str | os.PathLike[str]) -> OkrSet:
    """Read, parse and validate an OKR file without touching the database; raise OkrFileError listing every problem."""
    return raise_if_problems(parse_path(path))


def read_okr_file(path: str | os.PathLike[str]) -> tuple[OkrSet | None, Any, list[Problem]]:
    """Never raising: the validated set (None if any problem), the line-aware YAML (None if unreadable) and problems."""
    parsed = parse_path(path)
    return (None if parsed.problems else parsed.okr), parsed.document, parsed.problems

