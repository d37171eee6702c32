"""`/okr lint [TEAM]`: the coach's notes on a team's live OKRs, or the caller's teams, or every team."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from bot.answers.answer import Answer
from bot.answers.lookup import no_such_team
from bot.rules.coach.subjects import KRSubject, ObjectiveSubject
from bot.rules.coach.table import CLEAN, lint_subjects
from bot.rules.schedule import days_around, local_day
from bot.views.kit import escape
from bot.views.lint import fit, team_chunks
from storage.models import Team
from storage.okrs import live_krs_of, live_objectives
from storage.teams import all_teams, find_team, teams_of_user


def _live_subjects(teams: Sequence[Team], *, session: Session, now: datetime) -> dict[int, list[ObjectiveSubject]]:
    """Each team's unarchived objectives in cycles running on its own date, with their unarchived KRs; two queries."""
    first_day, last_day = days_around(now=now)
    today = {team.id: local_day(team.timezone, now=now) for team in teams}
    rows = [(o, c) for o, c in live_objectives(today, session=session, first_day=first_day, last_day=last_day)
            if c.start <= today[o.team_id] <= c.end]
    krs = live_krs_of([o.id for o, _ in rows], session=session)
    names = {team.id: team.name for team in teams}
    out: dict[int, list[ObjectiveSubject]] = defaultdict(list)
    for o, cycle in rows:
        team = names[o.team_id]
        subjects = tuple(KRSubject(k.title, k.baseline, k.target, k.unit, team, o.title) for k in krs.get(o.id, ()))
        out[o.team_id].append(ObjectiveSubject(o.title, subjects, team, cycle.name))
    return out


def lint_command(args: Sequence[str], user_id: str, *, session: Session, now: datetime) -> Answer:
    """The answer to `/okr lint [TEAM]`: the coach's findings for one team, or the caller's teams, or all teams."""
    teams = all_teams(session=session)
    if not teams:
        return Answer.say("There are no teams yet. Import an OKR file with `okrbot import FILE.yaml` first.")
    name = " ".join(args).strip().lstrip("#").strip()
    if name:
        team = find_team(name, session=session)
        if team is None:
            return Answer.say(no_such_team(name, session=session))
        chosen = [team]
    else:
        first_day, last_day = days_around(now=now)
        mine = {t.id for t in teams_of_user(user_id, session=session, first_day=first_day, last_day=last_day)}
        chosen = [team for team in teams if team.id in mine] or teams
    subjects = _live_subjects(chosen, session=session, now=now)
    chunks: list[str] = []
    total = 0
    for team in chosen:
        objectives = subjects.get(team.id, [])
        findings = lint_subjects(objectives)
        total += len(findings)
        if chunks:
            chunks.append("")
        if objectives:
            chunks += team_chunks(team.name, findings)
        else:
            chunks.append(f"*{escape(team.name)}* has no live OKRs right now.")
    if total == 0 and len(chosen) == 1 and chunks[0].endswith(CLEAN):
        return Answer.say(CLEAN)
    more = "Name one team, like `/okr lint TEAM`, or" if len(chosen) > 1 else "Run"
    return Answer.say(fit(chunks, f"{more} `okrbot lint FILE.yaml` for the full list."))
