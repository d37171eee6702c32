"""Finding the team a command names, and saying so in one sentence when there is none."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from sqlmodel import Session

from bot.views.kit import escape
from storage.models import Team
from storage.teams import find_team, team_names

# How many team names a "no such team" answer lists before "…and N more".
NAMES_LISTED = 40


def team_name_of(args: Iterable[str]) -> str:
    """The team name the arguments spell: all of them joined, so unquoted names with spaces work too."""
    return " ".join(" ".join(args).split())


def no_such_team(name: str, *, session: Session) -> str:
    """A sentence saying the team does not exist, with a close match and the teams that do."""
    names = team_names(session=session)
    shown = f"“{escape(name[:80])}”"
    if not names:
        return f"There is no team called {shown}, and no teams yet: import an OKR file to create them."
    text = f"There is no team called {shown}."
    close = difflib.get_close_matches(name.casefold(), [n.casefold() for n in names], n=1, cutoff=0.6)
    if close:
        text += f" Did you mean *{escape(next(n for n in names if n.casefold() == close[0]))}*?"
    listed = ", ".join(escape(n) for n in names[:NAMES_LISTED])
    if len(names) > NAMES_LISTED:
        listed += f" and {len(names) - NAMES_LISTED} more"
    text += f"\nTeams: {listed}."
    if name.startswith("@"):
        text += "\nTo see someone's key results, mention them: `/okr status @name`."
    return text


def named_team(name: str, *, session: Session) -> Team | str:
    """The team of that name, or the sentence saying there is none."""
    return find_team(name, session=session) or no_such_team(name, session=session)
