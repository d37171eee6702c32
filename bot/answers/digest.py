"""`/okr digest [TEAM] preview`: this week's digest of a team, shown to the caller alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from bot.answers.answer import Answer
from bot.answers.lookup import no_such_team, team_name_of
from bot.reports.digest import team_digest
from bot.rules.schedule import days_around
from bot.views.digest import digest_message
from bot.views.kit import escape
from storage.teams import find_team, team_names, teams_of_user

USAGE = ("`/okr digest preview` shows you this week's digest of your team now, without posting it; "
         "`/okr digest TEAM preview` does so for any team. Digests are posted to each team's channel on its "
         "digest day and time.")


def digest_reply(args: Sequence[str], caller: str, *, session: Session, now: datetime) -> Answer:
    """The answer to `/okr digest [TEAM] preview`: the digest for the caller alone, or how to ask for it."""
    if not args or args[-1].lower() != "preview":
        return Answer.say(USAGE)
    name = team_name_of(args[:-1])
    if name:
        team = find_team(name, session=session)
        if team is None:
            return Answer.say(no_such_team(name, session=session))
    else:
        first_day, last_day = days_around(now=now)
        mine = teams_of_user(caller, session=session, first_day=first_day, last_day=last_day)
        if len(mine) != 1:
            names = [t.name for t in mine] or team_names(session=session)
            which = "You are in several teams" if mine else "You are in no team"
            listed = ", ".join(escape(n) for n in names[:40])
            return Answer.say(f"{which}; name one: `/okr digest TEAM preview`. Teams: {listed or 'none yet'}.")
        team = mine[0]
    digest = team_digest(team, session=session, now=now)
    if digest is None:
        return Answer.say(f"{escape(team.name)} has no live key results, so there is no digest to show.")
    return Answer.say(*digest_message(digest, preview=True))
