"""Queries about objectives and key results: the live KR join, objectives of a team, KRs by id."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.db import read_rows
from storage.models import Cycle, KeyResult, Objective, Team


@dataclass(frozen=True)
class ActiveKR:
    """A key result with the objective, team and cycle it belongs to."""

    kr: KeyResult
    objective: Objective
    team: Team
    cycle: Cycle


def _kr_join():
    return (select(KeyResult, Objective, Team, Cycle)
            .join(Objective, KeyResult.objective_id == Objective.id)
            .join(Team, Objective.team_id == Team.id)
            .join(Cycle, Objective.cycle_id == Cycle.id))


def live_key_results(*, session: Session, first_day: date, last_day: date, owner_id: str | None = None,
                     team_ids: Iterable[int] | None = None) -> list[ActiveKR]:
    """Unarchived KRs whose cycle overlaps [first_day, last_day], optionally of one owner or these teams; one query."""
    stmt = (_kr_join()
            .where(KeyResult.archived_at.is_(None), Objective.archived_at.is_(None))
            .where(Cycle.start <= last_day, Cycle.end >= first_day)
            .order_by(Team.id, Objective.id, KeyResult.id))
    if owner_id is not None:
        stmt = stmt.where(KeyResult.owner_id == owner_id)
    if team_ids is not None:
        ids = list(set(team_ids))
        if not ids:
            return []
        stmt = stmt.where(Team.id.in_(ids))
    return [ActiveKR(kr, obj, team, cycle) for kr, obj, team, cycle in session.exec(stmt).all()]


def key_results_by_id(kr_ids: Iterable[int], *, session: Session) -> dict[int, ActiveKR]:
    """These KRs with their objective, team and cycle, archived or not, in one query."""
    ids = list(set(kr_ids))
    if not ids:
        return {}
    return {kr.id: ActiveKR(kr, obj, team, cycle)
            for kr, obj, team, cycle in session.exec(_kr_join().where(KeyResult.id.in_(ids))).all()}


def live_kr_team_ids(first_day: date, last_day: date):
    """A subquery of the team ids of unarchived KRs whose cycle overlaps the days (one row per KR)."""
    return (
        select(Objective.team_id)
        .select_from(KeyResult)
        .join(Objective, KeyResult.objective_id == Objective.id)
        .join(Cycle, Objective.cycle_id == Cycle.id)
        .where(KeyResult.archived_at.is_(None), Objective.archived_at.is_(None))
        .where(Cycle.start <= last_day, Cycle.end >= first_day)
    )


def live_krs_of(objective_ids: Iterable[int], *, session: Session) -> dict[int, list[KeyResult]]:
    """The unarchived KRs of these objectives, by objective, oldest first, in one query."""
    ids = list(set(objective_ids))
    out: dict[int, list[KeyResult]] = defaultdict(list)
    if ids:
        stmt = (select(KeyResult).where(KeyResult.objective_id.in_(ids), KeyResult.archived_at.is_(None))
                .order_by(KeyResult.id))
        for kr in session.exec(stmt):
            out[kr.objective_id].append(kr)
    return dict(out)


def live_objectives(team_ids: Iterable[int], *, session: Session, first_day: date,
                    last_day: date) -> list[tuple[Objective, Cycle]]:
    """Unarchived objectives of these teams in cycles overlapping the days, KRs or not, in one query."""
    ids = list(set(team_ids))
    if not ids:
        return []
    stmt = (select(Objective, Cycle).join(Cycle, Objective.cycle_id == Cycle.id)
            .where(Objective.team_id.in_(ids), Objective.archived_at.is_(None))
            .where(Cycle.start <= last_day, Cycle.end >= first_day)
            .order_by(Cycle.start, Cycle.id, Objective.id))
    return [(objective, cycle) for objective, cycle in session.exec(stmt).all()]


def objectives_not_ended(team_ids: Iterable[int], *, session: Session, today: date) -> list[tuple[Objective, Cycle]]:
    """Unarchived objectives of these teams whose cycle has not ended by `today` (what may still be edited)."""
    ids = list(set(team_ids))
    if not ids:
        return []
    stmt = (select(Objective, Cycle).join(Cycle, Objective.cycle_id == Cycle.id)
            .where(Objective.team_id.in_(ids), Objective.archived_at.is_(None), Cycle.end >= today))
    return [(objective, cycle) for objective, cycle in session.exec(stmt).all()]


def live_objectives_in(team_id: int, cycle_id: int, *, session: Session) -> list[Objective]:
    """The unarchived objectives of one team in one cycle."""
    return list(session.exec(select(Objective).where(Objective.team_id == team_id, Objective.cycle_id == cycle_id,
                                                     Objective.archived_at.is_(None))))


def objective_keys(team_id: int, cycle_id: int, *, session: Session) -> set[str]:
    """The keys taken by a team's objectives in a cycle, archived ones included."""
    return set(session.exec(select(Objective.key).where(Objective.team_id == team_id,
                                                        Objective.cycle_id == cycle_id)).all())


def key_result_keys(objective_id: int, *, session: Session) -> set[str]:
    """The keys taken by an objective's KRs, archived ones included."""
    return set(session.exec(select(KeyResult.key).where(KeyResult.objective_id == objective_id)).all())


def cycle_key_results(cycle_id: int, *, session: Session) -> list[ActiveKR]:
    """Every unarchived KR of unarchived objectives in a cycle, by objective id then KR id, in one query."""
    stmt = (_kr_join()
            .where(Objective.cycle_id == cycle_id, Objective.archived_at.is_(None), KeyResult.archived_at.is_(None))
            .order_by(Objective.id, KeyResult.id))
    return [ActiveKR(kr, obj, team, cycle) for kr, obj, team, cycle in session.exec(stmt).all()]


def live_krs_named(number: int | None, key: str, *, session: Session, first_day: date) -> list[ActiveKR]:
    """The live KRs a reference names: the one numbered `number` (KR-<n>, whatever its cycle), else every one whose
    import-file id is `key` in a cycle not ended before `first_day` (next quarter's file reuses this one's ids), by
    reference."""
    stmt = _kr_join().where(KeyResult.archived_at.is_(None), Objective.archived_at.is_(None))
    if number is not None:
        stmt = stmt.where(KeyResult.ref == number)
    else:
        stmt = stmt.where(KeyResult.key == key, Cycle.end >= first_day)
    return [ActiveKR(kr, obj, team, cycle) for kr, obj, team, cycle in session.exec(stmt.order_by(KeyResult.ref))]


class KRRead(NamedTuple):
    """What a report reads of a key result, under KeyResult's names: a plain row, not an ORM object."""

    id: int
    title: str
    owner_id: str
    unit: str
    baseline: float
    target: float
    ref: int | None
    observed_value: float | None
    observed_at: datetime | None
    observed_origin: str | None
    source_note: str | None


class ObjectiveRead(NamedTuple):
    """What a report reads of an objective, under Objective's names."""

    id: int
    title: str
    type: str


class TeamRead(NamedTuple):
    """What a report reads of a KR's team, under Team's names."""

    id: int
    name: str
    channel: str
    timezone: str


class CycleRead(NamedTuple):
    """What a report reads of a cycle, under Cycle's names."""

    id: int
    name: str
    start: date
    end: date


class LiveKR(NamedTuple):
    """An ActiveKR as reports read it: the key result with its objective, team and cycle, all plain rows."""

    kr: KRRead
    objective: ObjectiveRead
    team: TeamRead
    cycle: CycleRead


_SPLIT = tuple(len(part._fields) for part in (KRRead, ObjectiveRead, TeamRead, CycleRead))
# Built once, as columns: building the join and the four ORM objects of each KR cost a status more than its query.
_LIVE_READ = (
    select(KeyResult.id, KeyResult.title, KeyResult.owner_id, KeyResult.unit, KeyResult.baseline, KeyResult.target,
           KeyResult.ref, KeyResult.observed_value, KeyResult.observed_at, KeyResult.observed_origin,
           KeyResult.source_note, Objective.id, Objective.title, Objective.type,
           Team.id, Team.name, Team.channel, Team.timezone, Cycle.id, Cycle.name, Cycle.start, Cycle.end)
    .select_from(KeyResult)
    .join(Objective, KeyResult.objective_id == Objective.id)
    .join(Team, Objective.team_id == Team.id)
    .join(Cycle, Objective.cycle_id == Cycle.id)
    .where(KeyResult.archived_at.is_(None), Objective.archived_at.is_(None))
    .where(Cycle.start <= sa.bindparam("last_day", type_=Cycle.start.type),
           Cycle.end >= sa.bindparam("first_day", type_=Cycle.end.type))
    .order_by(Team.id, Objective.id, KeyResult.id)
)
_LIVE_OF_TEAMS = _LIVE_READ.where(Team.id.in_(sa.bindparam("team_ids", expanding=True)))
_LIVE_OF_OWNER = _LIVE_READ.where(KeyResult.owner_id == sa.bindparam("owner_id"))


def live_kr_reads(*, session: Session, first_day: date, last_day: date, owner_id: str | None = None,
                  team_ids: Iterable[int] | None = None) -> list[LiveKR]:
    """live_key_results as plain rows for reports (status, digests): the same KRs in the same order, one query."""
    params: dict = {"first_day": first_day, "last_day": last_day}
    if team_ids is not None:
        params["team_ids"] = ids = list(set(team_ids))
        if not ids:
            return []
        stmt = _LIVE_OF_TEAMS
    elif owner_id is not None:
        params["owner_id"] = owner_id
        stmt = _LIVE_OF_OWNER
    else:
        stmt = _LIVE_READ
    k, o, t, _ = _SPLIT
    objectives: dict[int, ObjectiveRead] = {}
    teams: dict[int, TeamRead] = {}
    cycles: dict[int, CycleRead] = {}
    out = []
    for row in read_rows(stmt, params, session=session):
        if owner_id is not None and row[2] != owner_id:
            continue
        # One object per objective, team and cycle, shared by their KRs, as the ORM's identity map did.
        objective = objectives.get(row[k]) or objectives.setdefault(row[k], ObjectiveRead(*row[k:k + o]))
        team = teams.get(row[k + o]) or teams.setdefault(row[k + o], TeamRead(*row[k + o:k + o + t]))
        cycle = cycles.get(row[k + o + t]) or cycles.setdefault(row[k + o + t], CycleRead(*row[k + o + t:]))
        out.append(LiveKR(KRRead(*row[:k]), objective, team, cycle))
    return out
