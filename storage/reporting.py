"""Queries behind /okr status and the weekly digest; each is one statement whatever the number of KRs or teams."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.models import CheckIn, Cycle, Delivery, KeyResult, Objective, Team, TeamLead
from storage.queries import ActiveKR


@dataclass(frozen=True)
class RecentCheckins:
    """Each KR's latest check-ins (newest first, at most two) and, optionally, its check-in as of an earlier instant."""

    latest: dict[int, tuple[CheckIn, ...]] = field(default_factory=dict)
    as_of: dict[int, CheckIn] = field(default_factory=dict)


def recent_checkins(kr_ids: Iterable[int], *, session: Session, now: datetime,
                    since: datetime | None = None) -> RecentCheckins:
    """The two latest check-ins at or before `now` of each KR, and the latest at or before `since`, in one query."""
    ids = list(set(kr_ids))
    if not ids:
        return RecentCheckins()
    newest_first = (CheckIn.created_at.desc(), CheckIn.id.desc())
    columns = [CheckIn.id, sa.func.row_number().over(partition_by=CheckIn.kr_id, order_by=newest_first).label("rn")]
    if since is not None:
        # Ranking within (KR, older-than-`since`) puts the check-in in force at `since` first in its partition.
        old = CheckIn.created_at <= since
        columns.append(sa.func.row_number().over(partition_by=(CheckIn.kr_id, old), order_by=newest_first)
                       .label("rn_old"))
    ranked = select(*columns).where(CheckIn.kr_id.in_(ids), CheckIn.created_at <= now).subquery()
    wanted = ranked.c.rn <= 2
    if since is not None:
        wanted = sa.or_(wanted, sa.and_(ranked.c.rn_old == 1, CheckIn.created_at <= since))
    stmt = select(CheckIn).join(ranked, ranked.c.id == CheckIn.id).where(wanted)
    latest: dict[int, list[CheckIn]] = defaultdict(list)
    as_of: dict[int, CheckIn] = {}
    for row in session.exec(stmt.order_by(CheckIn.kr_id, CheckIn.created_at.desc(), CheckIn.id.desc())):
        if len(latest[row.kr_id]) < 2:
            latest[row.kr_id].append(row)
        if since is not None and row.created_at <= since and row.kr_id not in as_of:
            as_of[row.kr_id] = row
    return RecentCheckins({k: tuple(v) for k, v in latest.items()}, as_of)


def key_results_of_teams(team_ids: Iterable[int], *, session: Session, first_day: date,
                         last_day: date) -> list[ActiveKR]:
    """Unarchived KRs of these teams whose cycle overlaps [first_day, last_day], in one query."""
    ids = list(set(team_ids))
    if not ids:
        return []
    stmt = (
        select(KeyResult, Objective, Team, Cycle)
        .join(Objective, KeyResult.objective_id == Objective.id)
        .join(Team, Objective.team_id == Team.id)
        .join(Cycle, Objective.cycle_id == Cycle.id)
        .where(KeyResult.archived_at.is_(None), Objective.archived_at.is_(None), Team.id.in_(ids))
        .where(Cycle.start <= last_day, Cycle.end >= first_day)
        .order_by(Team.id, Objective.id, KeyResult.id)
    )
    return [ActiveKR(kr, obj, team, cycle) for kr, obj, team, cycle in session.exec(stmt).all()]


def find_team(name: str, *, session: Session) -> Team | None:
    """The team of that name, ignoring case; an exact-case match wins when two names differ only in case."""
    wanted = " ".join(name.split())
    if not wanted:
        return None
    # lower() in SQL folds ASCII on every backend; names with other letters fall through to the scan below.
    found = session.exec(select(Team).where(sa.func.lower(Team.name) == wanted.lower())).all()
    if not found:
        folded = wanted.casefold()
        ids = [tid for tid, tname in session.exec(select(Team.id, Team.name)) if tname.casefold() == folded]
        found = session.exec(select(Team).where(Team.id.in_(ids))).all() if ids else []
    exact = [t for t in found if t.name == wanted]
    return (exact or sorted(found, key=lambda t: t.id))[0] if found else None


def team_names(*, session: Session) -> list[str]:
    """Every team's name, alphabetically."""
    return sorted(session.exec(select(Team.name)).all(), key=str.casefold)


def _live_krs(first_day: date, last_day: date):
    """KeyResult joined to its objective and cycle, unarchived, with the cycle overlapping the days."""
    return (
        select(Objective.team_id)
        .select_from(KeyResult)
        .join(Objective, KeyResult.objective_id == Objective.id)
        .join(Cycle, Objective.cycle_id == Cycle.id)
        .where(KeyResult.archived_at.is_(None), Objective.archived_at.is_(None))
        .where(Cycle.start <= last_day, Cycle.end >= first_day)
    )


def teams_by_id(team_ids: Iterable[int], *, session: Session) -> list[Team]:
    """These teams, by id, in one query."""
    ids = list(set(team_ids))
    return list(session.exec(select(Team).where(Team.id.in_(ids)).order_by(Team.id))) if ids else []


def teams_of_user(user_id: str, *, session: Session, first_day: date, last_day: date) -> list[Team]:
    """The teams the user leads or owns a live KR in, by id, in one query."""
    led = select(TeamLead.team_id).where(TeamLead.user_id == user_id)
    owned = _live_krs(first_day, last_day).where(KeyResult.owner_id == user_id)
    return list(session.exec(select(Team).where(sa.or_(Team.id.in_(led), Team.id.in_(owned))).order_by(Team.id)))


def live_team_cycles(*, session: Session, first_day: date, last_day: date) -> list[tuple[Team, Cycle]]:
    """Each team with each cycle overlapping the days in which it has a live KR, by team, in one query."""
    pairs = _live_krs(first_day, last_day).add_columns(Objective.cycle_id).distinct().subquery()
    stmt = (select(Team, Cycle).join(pairs, pairs.c.team_id == Team.id).join(Cycle, Cycle.id == pairs.c.cycle_id)
            .order_by(Team.id, Cycle.start))
    return [(team, cycle) for team, cycle in session.exec(stmt)]


def team_overview(*, session: Session, first_day: date, last_day: date) -> list[tuple[int, str, int, int]]:
    """(team id, name, live objectives, live KRs) of every team, by name, in one query."""
    counts = (
        _live_krs(first_day, last_day)
        .add_columns(sa.func.count(sa.distinct(Objective.id)).label("objectives"),
                     sa.func.count(KeyResult.id).label("krs"))
        .group_by(Objective.team_id)
        .subquery()
    )
    stmt = (select(Team.id, Team.name, sa.func.coalesce(counts.c.objectives, 0), sa.func.coalesce(counts.c.krs, 0))
            .outerjoin(counts, counts.c.team_id == Team.id))
    return sorted(((tid, name, int(o), int(k)) for tid, name, o, k in session.exec(stmt)),
                  key=lambda row: row[1].casefold())


def delivered_keys(keys: Iterable[str], *, session: Session) -> set[str]:
    """Which of these outbox keys were sent already, in one query."""
    wanted = list(set(keys))
    if not wanted:
        return set()
    return set(session.exec(select(Delivery.key).where(Delivery.key.in_(wanted), Delivery.sent_at.is_not(None))))
