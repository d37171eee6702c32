"""Exporting a cycle's OKRs as YAML (the import format, so it round-trips) or as CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC

import yaml
from sqlmodel import Session

from bot.rules.schedule import WEEKDAYS
from storage.checkins import latest_checkins
from storage.cycles import find_cycle, latest_cycle
from storage.models import CheckIn, Cycle, KeyResult, Objective, Team
from storage.okrs import cycle_key_results
from storage.teams import all_teams, leads_by_team

__all__ = ["CSV_HEADER", "CycleNotFound", "export_csv", "export_yaml"]

CSV_HEADER = ("cycle", "team", "objective_id", "objective", "type", "kr_id", "key_result", "owner",
              "baseline", "target", "unit", "latest_value", "confidence", "checked_in_at", "note")


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


class _Dumper(yaml.SafeDumper):
    """SafeDumper that keeps short mappings and lists on one line, quotes times and indents list items."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent `- ` items under their key, as people write the file by hand.
        return super().increase_indent(flow, False)


_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
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
    for row in _rows(session, cycle):
        obj = row.objective
        if obj.id not in objectives:
            objectives[obj.id] = {"team": row.team.name, "id": obj.key, "title": obj.title, "type": obj.type,
                                  "key_results": []}
        kr = row.kr
        item: dict = {"id": kr.key, "title": kr.title, "owner": kr.owner_id,
                      "baseline": _number(kr.baseline), "target": _number(kr.target)}
        if kr.unit:
            item["unit"] = kr.unit
        if row.latest is not None:
            item["latest"] = {"value": _number(row.latest.value), "confidence": row.latest.confidence,
                              "note": row.latest.note, "at": row.latest.created_at.astimezone(UTC)}
        objectives[obj.id]["key_results"].append(item)
    # Objectives whose KRs are all archived are absent: they come only from KR rows, and an objective
    # without key results would not re-import.
    doc = {
        "cycle": _Flow(name=cycle.name, start=cycle.start, end=cycle.end),
        "teams": teams,
        "objectives": list(objectives.values()),
    }
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                     width=4096)


# --------------------------------------------------------------------------- CSV


def export_csv(*, session: Session, cycle_name: str | None = None) -> str:
    """The named cycle (default: the latest-starting one) as CSV: one row per live KR with its latest check-in."""
    cycle = _pick_cycle(session, cycle_name)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in _rows(session, cycle):
        latest = row.latest
        writer.writerow([
            cycle.name, row.team.name, row.objective.key, row.objective.title, row.objective.type,
            row.kr.key, row.kr.title, row.kr.owner_id, _number(row.kr.baseline), _number(row.kr.target), row.kr.unit,
            "" if latest is None else _number(latest.value),
            "" if latest is None else latest.confidence,
            "" if latest is None else latest.created_at.astimezone(UTC).isoformat(),
            "" if latest is None else latest.note,
        ])
    return out.getvalue()
