"""/okr status and its Status buttons: the state of a team's OKRs, someone's KRs, or every team."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from bot.answers.answer import Answer
from bot.answers.lookup import no_such_team, team_name_of
from bot.reports.grading import cycle_grades
from bot.reports.status import statuses, team_status, user_status
from bot.rules.schedule import days_around, local_day
from bot.slack import ids
from bot.views import status as views
from bot.views.grading import past_cycle_status
from bot.views.kit import info_modal
from storage.cycles import find_cycle
from storage.models import Team
from storage.teams import find_team, team_overview, teams_by_id, teams_of_user

# Without teams of their own, a caller sees every team in full only when there are this few; otherwise a list.
ALL_TEAMS_IN_FULL = 3


def status_reply(args: Sequence[str], caller: str, *, mentioned: str | None, session: Session,
                 now: datetime) -> Answer:
    """The answer to `/okr status [TEAM | @user | me]`."""
    if mentioned is not None or (len(args) == 1 and args[0].lower() == "me"):
        user = mentioned or caller
        teams = user_status(user, session=session, now=now)
        if not teams:
            who = "You own" if user == caller else f"<@{user}> owns"
            return Answer.say(f"{who} no key results in the current cycle.")
        return Answer.say(*views.status_message(teams, now=now, intro=f"*Key results of <@{user}>*"))
    cycle = find_cycle(args[-1], session=session) if len(args) >= 2 else None
    if cycle is not None:
        team = find_team(team_name_of(args[:-1]), session=session)
        if team is None:
            return Answer.say(no_such_team(team_name_of(args[:-1]), session=session))
        if cycle.end < local_day(team.timezone, now=now):
            # A cycle that is over: its final grades (or computed scores, while nobody has graded it).
            return Answer.say(*past_cycle_status(cycle_grades(team, cycle, session=session)))
        return Answer.say(*views.status_message([team_status(team, session=session, now=now)], now=now))
    if args:
        name = team_name_of(args)
        team = find_team(name, session=session)
        if team is None:
            return Answer.say(no_such_team(name, session=session))
        return Answer.say(*views.status_message([team_status(team, session=session, now=now)], now=now))
    first_day, last_day = days_around(now=now)
    mine = teams_of_user(caller, session=session, first_day=first_day, last_day=last_day)
    if mine:
        return Answer.say(*views.status_message(statuses(mine, session=session, now=now), now=now))
    overview = team_overview(session=session, first_day=first_day, last_day=last_day)
    live = [row for row in overview if row[3] > 0]
    if not overview:
        return Answer.say("There are no teams yet: import an OKR file to create them.")
    intro = "You lead no team and own no key results, so here is every team."
    if 0 < len(live) <= ALL_TEAMS_IN_FULL:
        teams = teams_by_id([row[0] for row in live], session=session)
        return Answer.say(*views.status_message(statuses(teams, session=session, now=now), now=now, intro=intro))
    return Answer.say(*views.overview_message(overview, intro=intro))


def status_modal(value: str, *, session: Session, now: datetime) -> Answer:
    """The modal an "Open status" button (value "team:<id>") opens: that team's status, or why there is none."""
    team_id = ids.team_of_value(value)
    team = session.get(Team, team_id) if team_id is not None else None
    if team is None:
        return Answer.show(info_modal("OKR status", "That team no longer exists. Type `/okr status` to see the "
                                                    "teams there are."))
    return Answer.show(views.status_modal(team_status(team, session=session, now=now), now=now))
