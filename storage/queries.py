"""Queries shared by the product code; each takes `*, session` and leaves the transaction to the caller."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.db import workspace_of
from storage.models import (CheckIn, Cycle, Delivery, KeyResult, Objective, Person, Prompt, PromptItem, Team,
                            TeamLead)


# Bound IN lists well below SQLite's variable limit and PostgreSQL's comfort zone.
CHUNK = 900


def chunked(values: list, size: int = CHUNK) -> Iterable[list]:
    """Slices of at most `size` values, for IN clauses over many ids."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


@dataclass(frozen=True)
class ActiveKR:
    """A live key result with the objective, team and cycle it belongs to."""

    kr: KeyResult
    objective: Objective
    team: Team
    cycle: Cycle


def active_key_results(*, session: Session, first_day: date, last_day: date,
                       owner_id: str | None = None, team_id: int | None = None) -> list[ActiveKR]:
    """Unarchived KRs whose cycle overlaps [first_day, last_day], optionally for one owner or team."""
    stmt = (
        select(KeyResult, Objective, Team, Cycle)
        .join(Objective, KeyResult.objective_id == Objective.id)
        .join(Team, Objective.team_id == Team.id)
        .join(Cycle, Objective.cycle_id == Cycle.id)
        .where(KeyResult.archived_at.is_(None), Objective.archived_at.is_(None))
        .where(Cycle.start <= last_day, Cycle.end >= first_day)
        .order_by(Team.id, Objective.id, KeyResult.id)
    )
    if owner_id is not None:
        stmt = stmt.where(KeyResult.owner_id == owner_id)
    if team_id is not None:
        stmt = stmt.where(Team.id == team_id)
    return [ActiveKR(kr, obj, team, cycle) for kr, obj, team, cycle in session.exec(stmt).all()]


def latest_checkins(kr_ids: Iterable[int], *, session: Session) -> dict[int, CheckIn]:
    """The most recent check-in of each of these KRs, in one query."""
    ids = list(set(kr_ids))
    if not ids:
        return {}
    ranked = (
        select(CheckIn.id, sa.func.row_number().over(
            partition_by=CheckIn.kr_id, order_by=(CheckIn.created_at.desc(), CheckIn.id.desc())).label("rn"))
        .where(CheckIn.kr_id.in_(ids))
        .subquery()
    )
    rows = session.exec(select(CheckIn).join(ranked, ranked.c.id == CheckIn.id).where(ranked.c.rn == 1)).all()
    return {row.kr_id: row for row in rows}


def leads_by_team(team_ids: Iterable[int], *, session: Session) -> dict[int, list[str]]:
    """Lead user ids of each team, in one query."""
    ids = list(set(team_ids))
    out: dict[int, list[str]] = defaultdict(list)
    if ids:
        for lead in session.exec(select(TeamLead).where(TeamLead.team_id.in_(ids)).order_by(TeamLead.user_id)):
            out[lead.team_id].append(lead.user_id)
    return dict(out)


def find_person(user_id: str, *, session: Session) -> Person | None:
    """The cached record of a user in the session's workspace, if okrbot has one."""
    return session.get(Person, {"workspace_id": workspace_of(session), "user_id": user_id})


def is_lead(user_id: str, team_id: int, *, session: Session) -> bool:
    """Whether the user leads that team."""
    return session.get(TeamLead, (team_id, user_id)) is not None


def current_prompt_for(kr_id: int, *, session: Session, now: datetime) -> Prompt | None:
    """The most recent prompt at or before `now` that asked about this KR: the week a check-in counts for."""
    stmt = (
        select(Prompt)
        .join(PromptItem, PromptItem.prompt_id == Prompt.id)
        .where(PromptItem.kr_id == kr_id, Prompt.due_at <= now)
        .order_by(Prompt.due_at.desc(), Prompt.id.desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def key_results_by_id(kr_ids: Iterable[int], *, session: Session) -> dict[int, ActiveKR]:
    """These KRs with their objective, team and cycle, archived or not, in one query."""
    ids = list(set(kr_ids))
    if not ids:
        return {}
    stmt = (
        select(KeyResult, Objective, Team, Cycle)
        .join(Objective, KeyResult.objective_id == Objective.id)
        .join(Team, Objective.team_id == Team.id)
        .join(Cycle, Objective.cycle_id == Cycle.id)
        .where(KeyResult.id.in_(ids))
    )
    return {kr.id: ActiveKR(kr, obj, team, cycle) for kr, obj, team, cycle in session.exec(stmt).all()}


def sent_deliveries(keys: Iterable[str], *, session: Session) -> dict[str, Delivery]:
    """The outbox rows already sent under any of these keys, by key, in one query."""
    wanted = list(set(keys))
    if not wanted:
        return {}
    rows = session.exec(select(Delivery).where(Delivery.key.in_(wanted), Delivery.sent_at.is_not(None))).all()
    return {row.key: row for row in rows}
