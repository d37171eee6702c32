"""Importing an OKR file: read and check it (okr_files.checker), then create or update rows in one transaction."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlmodel import Session, select

from bot.okr_files.checker import parse_path, raise_if_problems
from bot.okr_files.spec import OkrFileError, OkrSet, Problem
from bot.rules.text import plural
from bot.rules.validation import suggest
from storage.models import Cycle, KeyResult, Objective, Team, TeamLead


@dataclass
class ImportSummary:
    """What an import created, updated and found unchanged; str() is one short line."""

    cycle: str
    cycle_created: bool = False
    cycle_updated: bool = False
    teams_created: int = 0
    teams_updated: int = 0
    teams_unchanged: int = 0
    objectives_created: int = 0
    objectives_updated: int = 0
    objectives_unchanged: int = 0
    key_results_created: int = 0
    key_results_updated: int = 0
    key_results_unchanged: int = 0

    @property
    def changed(self) -> bool:
        """True when the import wrote anything."""
        return any((self.cycle_created, self.cycle_updated, self.teams_created, self.teams_updated,
                    self.objectives_created, self.objectives_updated, self.key_results_created,
                    self.key_results_updated))

    def __str__(self) -> str:
        if not self.changed:
            counted = [f"cycle {self.cycle}"] + [plural(n, word) for n, word in (
                (self.teams_unchanged, "team"), (self.objectives_unchanged, "objective"),
                (self.key_results_unchanged, "key result")) if n]
            return f"unchanged ({', '.join(counted)}, as in the file)"
        cycle = "created" if self.cycle_created else "updated" if self.cycle_updated else "unchanged"
        return "; ".join([f"cycle {self.cycle} {cycle}",
                          f"teams: {_counts(self.teams_created, self.teams_updated, self.teams_unchanged)}",
                          f"objectives: {_counts(self.objectives_created, self.objectives_updated, self.objectives_unchanged)}",
                          "key results: " + _counts(self.key_results_created, self.key_results_updated,
                                                    self.key_results_unchanged)])


def _counts(created: int, updated: int, unchanged: int) -> str:
    parts = [f"{n} {word}" for n, word in ((created, "created"), (updated, "updated"), (unchanged, "unchanged")) if n]
    return ", ".join(parts) or "none in the file"


def _assign(row, **values) -> bool:
    """Set these attributes of a row; True when any of them changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


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
    elif _assign(cycle, start=okr.cycle.start, end=okr.cycle.end):
        summary.cycle_updated = True
    session.add(cycle)

    teams: dict[str, Team] = {}
    for spec in okr.teams:
        team = session.exec(select(Team).where(Team.name == spec.name)).first()
        created = team is None
        if created:
            team = Team(name=spec.name, channel=spec.channel)
        changed = _assign(team, channel=spec.channel, timezone=spec.timezone, holidays=spec.holidays,
                          checkin_day=spec.checkin_day, checkin_time=spec.checkin_time, digest_day=spec.digest_day,
                          digest_time=spec.digest_time)
        session.add(team)
        session.flush()
        current = {lead.user_id: lead for lead in session.exec(select(TeamLead).where(TeamLead.team_id == team.id))}
        for user_id, lead in current.items():
            if user_id not in spec.leads:
                session.delete(lead)
                changed = True
        for user_id in spec.leads:
            if user_id not in current:
                session.add(TeamLead(team_id=team.id, user_id=user_id))
                changed = True
        if created:
            summary.teams_created += 1
        elif changed:
            summary.teams_updated += 1
        else:
            summary.teams_unchanged += 1
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
            _assign(objective, type=spec.type)
        elif _assign(objective, title=spec.title, type=spec.type):
            summary.objectives_updated += 1
        else:
            summary.objectives_unchanged += 1
        session.add(objective)
        session.flush()
        existing = {kr.key: kr for kr in session.exec(select(KeyResult).where(KeyResult.objective_id == objective.id))}
        for kr_spec in spec.key_results:
            kr = existing.get(kr_spec.key)
            values = dict(title=kr_spec.title, owner_id=kr_spec.owner, unit=kr_spec.unit, baseline=kr_spec.baseline,
                          target=kr_spec.target, source=kr_spec.source)
            if kr is None:
                kr = KeyResult(objective_id=objective.id, key=kr_spec.key, **values)
                summary.key_results_created += 1
            elif _assign(kr, **values):
                summary.key_results_updated += 1
            else:
                summary.key_results_unchanged += 1
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
