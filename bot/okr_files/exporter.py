"""Exporting a cycle's OKRs as YAML (the import format, so it round-trips) or as CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC

import yaml
from sqlmodel import Session

from bot.rules.refs import ref_text
from bot.rules.schedule import WEEKDAYS
from storage.checkins import latest_checkins
from storage.cycles import find_cycle, latest_cycle
from storage.gradings import grades_of, grading_history, gradings_in
from storage.models import CheckIn, Cycle, Grading, KeyResult, KRGrade, Objective, Team
from storage.okrs import cycle_key_results
from storage.teams import all_teams, leads_by_team

__all__ = ["CSV_HEADER", "CycleNotFound", "export_csv", "export_yaml"]

CSV_HEADER = ("cycle", "team", "objective_id", "objective", "type", "kr_id", "key_result", "owner",
              "baseline", "target", "unit", "latest_value", "confidence", "checked_in_at", "note", "ref",
              "observed_value", "observed_at", "observed_origin",
              # The end of the cycle, once graded: the KR's grade and the team's retrospective, on every row.
              "grade", "computed_score", "evidence", "next_cycle", "graded_by", "graded_at", "what_worked",
              "what_did_not_work", "what_we_learned", "what_we_change")


class CycleNotFound(LookupError):
    """There is no cycle to export; str() is a sentence for a person."""


@dataclass(frozen=True)
class _Row:
    objective: Objective
    team: Team
    kr: KeyResult
    latest: CheckIn | None


def _number(value: float) -> int | float:
    """Integral numbers as ints, so 35.0 is written 35."""
    return int(value) if float(value).is_integer() else value


def _pick_cycle(session: Session, cycle_name: str | None) -> Cycle:
    if cycle_name is not None:
        cycle = find_cycle(cycle_name, session=session)
        if cycle is None:
            raise CycleNotFound(f"there is no cycle named {cycle_name!r}")
        return cycle
    cycle = latest_cycle(session=session)
    if cycle is None:
        raise CycleNotFound("there are no cycles yet; import an OKR file first")
    return cycle


def _gradings(session: Session, cycle: Cycle) -> tuple[dict[int, Grading], dict[int, KRGrade]]:
    """The grading in force of each team in the cycle, by team id, and every KR's grade in them, by KR id."""
    gradings = {g.team_id: g for g in gradings_in(cycle.id, session=session)}
    grades = grades_of([g.id for g in gradings.values()], session=session)
    return gradings, {kr_id: grade for by_kr in grades.values() for kr_id, grade in by_kr.items()}


def _retrospective(grading: Grading, team: Team, *, session: Session) -> dict:
    earlier = len(grading_history(grading.team_id, grading.cycle_id, session=session)) - 1
    item = {"team": team.name, "graded_by": grading.graded_by, "graded_at": grading.graded_at.astimezone(UTC),
            "what_worked": grading.worked, "what_did_not_work": grading.did_not_work,
            "what_we_learned": grading.learned, "what_we_change": grading.change_next}
    if earlier:
        item["earlier_gradings"] = earlier
    return item


def _rows(session: Session, cycle: Cycle) -> list[_Row]:
    """Every unarchived KR of unarchived objectives in the cycle, by objective id then KR id, with its latest check-in."""
    found = cycle_key_results(cycle.id, session=session)
    latest = latest_checkins([row.kr.id for row in found], session=session)
    return [_Row(row.objective, row.team, row.kr, latest.get(row.kr.id)) for row in found]


# --------------------------------------------------------------------------- YAML


class _Flow(dict):
    """A mapping written on one line, as in `{day: friday, time: "10:00"}`."""


class _FlowList(list):
    """A list written on one line, as in `[U0LEAD, U0OTHER]`."""


class _Quoted(str):
    """A string always written in double quotes (times, so nobody copies an unquoted 10:00)."""


class _Literal(str):
    """A string of several lines written as a `|` block, as people write a SQL query."""


class _Dumper(yaml.SafeDumper):
    """SafeDumper that keeps short mappings and lists on one line, quotes times and indents list items."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent `- ` items under their key, as people write the file by hand.
        return super().increase_indent(flow, False)


_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_Dumper.add_representer(_Literal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style="|"))
_Dumper.add_representer(_Quoted, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"'))


def _schedule(day: int, time: str) -> _Flow:
    return _Flow(day=WEEKDAYS[day], time=_Quoted(time))


def export_yaml(*, session: Session, cycle_name: str | None = None) -> str:
    """The named cycle (default: the latest-starting one) with all teams, in the import format."""
    cycle = _pick_cycle(session, cycle_name)
    # Teams are not tied to a cycle, so every team is written: the file then describes the whole setup.
    team_rows = sorted(all_teams(session=session), key=lambda team: team.id)
    leads = leads_by_team([team.id for team in team_rows], session=session)
    teams = [
        {
            "name": team.name,
            "channel": team.channel,
            "leads": _FlowList(leads.get(team.id, [])),
            "timezone": team.timezone,
            **({"holidays": team.holidays} if team.holidays else {}),
            "checkin": _schedule(team.checkin_day, team.checkin_time),
            "digest": _schedule(team.digest_day, team.digest_time),
        }
        for team in team_rows
    ]
    objectives: dict[int, dict] = {}
    gradings, grades = _gradings(session, cycle)
    for row in _rows(session, cycle):
        obj = row.objective
        if obj.id not in objectives:
            objectives[obj.id] = {"team": row.team.name, "id": obj.key, "title": obj.title, "type": obj.type,
                                  "key_results": []}
        kr = row.kr
        item: dict = {"id": kr.key, "ref": ref_text(kr.ref), "title": kr.title, "owner": kr.owner_id,
                      "baseline": _number(kr.baseline), "target": _number(kr.target)}
        if kr.unit:
            item["unit"] = kr.unit
        if kr.source:
            # As written in the file, on one line unless a query spans lines; ${VAR} references stay references
            # (secrets are never stored).
            multiline = any("\n" in v for v in kr.source.values() if isinstance(v, str))
            item["source"] = ({k: _Literal(v) if isinstance(v, str) and "\n" in v else v for k, v in kr.source.items()}
                              if multiline else _Flow(kr.source))
        if row.latest is not None:
            item["latest"] = {"value": _number(row.latest.value), "confidence": row.latest.confidence,
                              "note": row.latest.note, "at": row.latest.created_at.astimezone(UTC)}
        if kr.observed_at is not None:
            item["observed"] = {"value": _number(kr.observed_value), "at": kr.observed_at.astimezone(UTC),
                                "origin": kr.observed_origin}
        grade = grades.get(kr.id)
        if grade is not None:
            item["grade"] = {"value": _number(grade.grade), "computed": round(grade.computed, 4),
                             "evidence": grade.evidence, "next": grade.decision or "done"}
        objectives[obj.id]["key_results"].append(item)
    # Objectives whose KRs are all archived are absent: they come only from KR rows, and an objective
    # without key results would not re-import.
    doc = {
        "cycle": _Flow(name=cycle.name, start=cycle.start, end=cycle.end),
        "teams": teams,
        "objectives": list(objectives.values()),
    }
    teams_by_id = {team.id: team for team in team_rows}
    if gradings:
        # Export only: import ignores the grades and the retrospectives, as it ignores `latest`.
        doc["retrospectives"] = [_retrospective(g, teams_by_id[t], session=session) for t, g in sorted(gradings.items())]
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                     width=4096)


# --------------------------------------------------------------------------- CSV


def export_csv(*, session: Session, cycle_name: str | None = None) -> str:
    """The named cycle (default: the latest-starting one) as CSV: one row per live KR with its latest check-in."""
    cycle = _pick_cycle(session, cycle_name)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    gradings, grades = _gradings(session, cycle)
    for row in _rows(session, cycle):
        latest = row.latest
        grade, grading = grades.get(row.kr.id), gradings.get(row.team.id)
        writer.writerow([
            cycle.name, row.team.name, row.objective.key, row.objective.title, row.objective.type,
            row.kr.key, row.kr.title, row.kr.owner_id, _number(row.kr.baseline), _number(row.kr.target), row.kr.unit,
            "" if latest is None else _number(latest.value),
            "" if latest is None else latest.confidence,
            "" if latest is None else latest.created_at.astimezone(UTC).isoformat(),
            "" if latest is None else latest.note,
            ref_text(row.kr.ref),
            "" if row.kr.observed_at is None else _number(row.kr.observed_value),
            "" if row.kr.observed_at is None else row.kr.observed_at.astimezone(UTC).isoformat(),
            row.kr.observed_origin or "",
            *(("", "", "", "") if grade is None else (_number(grade.grade), round(grade.computed, 4), grade.evidence,
                                                     grade.decision or "done")),
            *(("",) * 6 if grading is None else (grading.graded_by, grading.graded_at.astimezone(UTC).isoformat(),
                                                  grading.worked, grading.did_not_work, grading.learned,
                                                  grading.change_next)),
        ])
    return out.getvalue()
