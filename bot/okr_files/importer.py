"""Importing an OKR file: read and check it (okr_files.checker), then create or update rows in one transaction."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlmodel import Session, select

from bot.okr_files.checker import parse_path, raise_if_problems
from bot.okr_files.spec import OkrFileError, OkrSet, Problem
from bot.rules.validation import suggest
from storage.models import Cycle, KeyResult, Objective, Team, TeamLead


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
                f"add it under `teams:`{suggest(name, sorted(file_teams | known))}")
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
        team.channel, team.timezone, team.holidays = spec.channel, spec.timezone, spec.holidays
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
    parsed = parse_path(path)
    # Check team references even when the file has other problems, so one run reports everything.
    parsed.problems.extend(_unknown_teams(os.fspath(path), parsed.team_refs, parsed.file_teams, session=session))
    okr = raise_if_problems(parsed)
    return apply_okr_set(okr, session=session)
