"""Queries about teams and their leads: by name, by id, of a user, with live OKRs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.db import read_rows
from storage.models import Cycle, KeyResult, Objective, Team, TeamLead
from storage.okrs import CYCLE_ROWS, TEAM_ROWS, live_kr_team_ids


# Built once: /okr status TEAM looks its team up first, and building this cost a third of running it.
_NAMED = select(Team).where(sa.func.lower(Team.name) == sa.bindparam("lowered"))


def find_team(name: str, *, session: Session) -> Team | None:
    """The team of that name, ignoring case; an exact-case match wins when two names differ only in case."""
    wanted = " ".join(name.split())
    if not wanted:
        return None
    # lower() in SQL folds ASCII on every backend; names with other letters fall through to the scan below.
    found = session.exec(_NAMED, params={"lowered": wanted.lower()}).all()
    if not found:
        folded = wanted.casefold()
        ids = [tid for tid, tname in session.exec(select(Team.id, Team.name)) if tname.casefold() == folded]
        found = session.exec(select(Team).where(Team.id.in_(ids))).all() if ids else []
    exact = [t for t in found if t.name == wanted]
    return (exact or sorted(found, key=lambda t: t.id))[0] if found else None


def team_names(*, session: Session) -> list[str]:
    """Every team's name, alphabetically."""
    return sorted(session.exec(select(Team.name)).all(), key=str.casefold)


def all_teams(*, session: Session) -> list[Team]:
    """Every team, alphabetically by name."""
    return sorted(session.exec(select(Team)).all(), key=lambda t: t.name.casefold())


def any_team(*, session: Session) -> bool:
    """Whether the workspace has a team at all."""
    return session.exec(select(Team.id).limit(1)).first() is not None


def teams_by_id(team_ids: Iterable[int], *, session: Session) -> list[Team]:
    """These teams, by id, in one query."""
    ids = list(set(team_ids))
    return list(session.exec(select(Team).where(Team.id.in_(ids)).order_by(Team.id))) if ids else []


def teams_of_user(user_id: str, *, session: Session, first_day: date, last_day: date) -> list[Team]:
    """The teams the user leads or owns a live KR in, by id, in one query."""
    led = select(TeamLead.team_id).where(TeamLead.user_id == user_id)
    owned = live_kr_team_ids(first_day, last_day).where(KeyResult.owner_id == user_id)
    return list(session.exec(select(Team).where(sa.or_(Team.id.in_(led), Team.id.in_(owned))).order_by(Team.id)))


def live_team_cycles(*, session: Session, first_day: date, last_day: date) -> list[tuple[Team, Cycle]]:
    """Each team with each cycle overlapping the days in which it has a live KR, by team, in one query, as
    read-only records (storage.okrs: an ORM object per team cost the digest and grading jobs 38 MB each at 20,000
    teams)."""
    pairs = live_kr_team_ids(first_day, last_day).add_columns(Objective.cycle_id).distinct().subquery()
    stmt = (select(*TEAM_ROWS.columns, *CYCLE_ROWS.columns).select_from(Team)
            .join(pairs, pairs.c.team_id == Team.id).join(Cycle, Cycle.id == pairs.c.cycle_id)
            .order_by(Team.id, Cycle.start))
    split = len(TEAM_ROWS.columns)
    cycles: dict[int, Cycle] = {}
    out = []
    for row in session.execute(stmt):
        cycle = CYCLE_ROWS.record._make(row[split:])
        out.append((TEAM_ROWS.record._make(row[:split]), cycles.setdefault(cycle.id, cycle)))
    return out


def team_overview(*, session: Session, first_day: date, last_day: date) -> list[tuple[int, str, int, int]]:
    """(team id, name, live objectives, live KRs) of every team, by name, in one query."""
    counts = (
        live_kr_team_ids(first_day, last_day)
        .add_columns(sa.func.count(sa.distinct(Objective.id)).label("objectives"),
                     sa.func.count(KeyResult.id).label("krs"))
        .group_by(Objective.team_id)
        .subquery()
    )
    stmt = (select(Team.id, Team.name, sa.func.coalesce(counts.c.objectives, 0), sa.func.coalesce(counts.c.krs, 0))
            .outerjoin(counts, counts.c.team_id == Team.id))
    return sorted(((tid, name, int(o), int(k)) for tid, name, o, k in session.exec(stmt)),
                  key=lambda row: row[1].casefold())


_LEADS = (select(TeamLead.team_id, TeamLead.user_id).where(TeamLead.team_id.in_(sa.bindparam("ids", expanding=True)))
          .order_by(TeamLead.user_id))


def leads_by_team(team_ids: Iterable[int], *, session: Session) -> dict[int, list[str]]:
    """Lead user ids of each team, in one query."""
    ids = list(set(team_ids))
    out: dict[int, list[str]] = defaultdict(list)
    if ids:
        for team_id, user_id in read_rows(_LEADS, {"ids": ids}, session=session).all():
            out[team_id].append(user_id)
    return dict(out)


def is_lead(user_id: str, team_id: int, *, session: Session) -> bool:
    """Whether the user leads that team."""
    return session.get(TeamLead, (team_id, user_id)) is not None


def led_team_ids(user_id: str, *, session: Session) -> set[int]:
    """Ids of the teams the user leads."""
    return set(session.exec(select(TeamLead.team_id).where(TeamLead.user_id == user_id)).all())


def has_leads(team_id: int, *, session: Session) -> bool:
    """Whether anyone leads the team."""
    return session.exec(select(TeamLead).where(TeamLead.team_id == team_id).limit(1)).first() is not None


def teams_in_channel(channel: str, *, session: Session) -> list[Team]:
    """The teams whose digest goes to this channel."""
    return list(session.exec(select(Team).where(Team.channel == channel).order_by(Team.name)))
