"""/okr participation [TEAM]: who checks in, week by week, this cycle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from bot.answers.answer import Answer
from bot.answers.lookup import no_such_team, team_name_of
from bot.reports.participation import team_participation
from bot.rules.schedule import days_around
from bot.views.participation import participation_message
from storage.teams import find_team, team_overview, teams_by_id, teams_of_user

# Without a team named or of their own, a caller sees this many teams (the rest are counted).
TEAMS_SHOWN = 5


def participation_reply(args: Sequence[str], caller: str, *, session: Session, now: datetime) -> Answer:
    """The answer to `/okr participation [TEAM]`: the named team, else the caller's teams, else every live team."""
    if args:
        name = team_name_of(args)
        team = find_team(name, session=session)
        if team is None:
            return Answer.say(no_such_team(name, session=session))
        teams = [team]
    else:
        first_day, last_day = days_around(now=now)
        teams = teams_of_user(caller, session=session, first_day=first_day, last_day=last_day)
        if not teams:
            live = [row[0] for row in team_overview(session=session, first_day=first_day, last_day=last_day)
                    if row[3] > 0]
            teams = teams_by_id(live[:TEAMS_SHOWN], session=session)
    found = [p for p in (team_participation(t, session=session, now=now) for t in teams) if p is not None]
    if not found:
        which = f"*{teams[0].name}* has" if len(teams) == 1 else "No team has"
        return Answer.say(f"{which} no key results in a running cycle, so there are no check-ins to count.")
    return Answer.say(*participation_message(found))
