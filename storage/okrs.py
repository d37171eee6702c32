"""Queries about objectives and key results: the live KR join, objectives of a team, KRs by id."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.db import read_rows
from storage.models import Cycle, KeyResult, Objective, Team
from storage.records import Rows


class ActiveKR(NamedTuple):
    """A key result with the objective, team and cycle it belongs to.

    From live_key_results the four are read-only rows (same attribute names as the tables), not ORM objects:
    change a KR through key_results_by_id. A NamedTuple, not a frozen dataclass: a full computation makes one per
    live KR, and a frozen dataclass's __init__ cost three times as much.
    """

    kr: KeyResult
    objective: Objective
    team: Team
    cycle: Cycle


# Records of one id are shared, as the ORM's identity map would (see _records).
_KR, _OBJECTIVE, _TEAM, _CYCLE = (Rows(KeyResult, "kr"), Rows(Objective, "objective"), Rows(Team, "team"),
                                  Rows(Cycle, "cycle"))
_PARTS = (_KR, _OBJECTIVE, _TEAM, _CYCLE)
# Where the objective's, team's and cycle's columns sit in a row of the live-KR select, after the KR's.
_SHARED_SPANS = [(part, part.at(sum(len(p.columns) for p in _PARTS[:n]))) for n, part in enumerate(_PARTS) if n]
# For the other read-only records of teams and cycles (storage.teams).
TEAM_ROWS, CYCLE_ROWS = _TEAM, _CYCLE


def _kr_join():
    return (select(KeyResult, Objective, Team, Cycle)
            .join(Objective, KeyResult.objective_id == Objective.id)
            .join(Team, Objective.team_id == Team.id)
            .join(Cycle, Objective.cycle_id == Cycle.id))


# Built once, for each way of choosing the KRs: building the select cost a status more than running it.
_LIVE = (select(*(column for part in _PARTS for column in part.columns))
         .select_from(KeyResult)
         .join(Objective, KeyResult.objective_id == Objective.id)
         .join(Team, Objective.team_id == Team.id)
         .join(Cycle, Objective.cycle_id == Cycle.id)
         .where(KeyResult.archived_at.is_(None), Objective.archived_at.is_(None))
         .where(Cycle.start <= sa.bindparam("last_day", type_=Cycle.start.type),
                Cycle.end >= sa.bindparam("first_day", type_=Cycle.end.type))
         .order_by(Team.id, Objective.id, KeyResult.id)
         .execution_options(yield_per=1000))
_OF_OWNER = KeyResult.owner_id == sa.bindparam("owner_id")
_OF_TEAMS = Team.id.in_(sa.bindparam("team_ids", expanding=True))
_LIVE_BY = {(False, False): _LIVE, (True, False): _LIVE.where(_OF_OWNER), (False, True): _LIVE.where(_OF_TEAMS),
            (True, True): _LIVE.where(_OF_OWNER, _OF_TEAMS)}


# Owner by owner, for the jobs' planning: whole owners at a time, after the last one of the previous batch.
_LIVE_AFTER = (_LIVE.where(KeyResult.owner_id > sa.bindparam("after")).order_by(None)
               .order_by(KeyResult.owner_id, Team.id, Objective.id, KeyResult.id).limit(sa.bindparam("limit")))
_LIVE_OF_ONE = _LIVE.where(_OF_OWNER).order_by(None).order_by(Team.id, Objective.id, KeyResult.id)
OWNER_BATCH = 5000


def live_key_results_by_owner(*, session: Session, first_day: date, last_day: date,
                              batch: int | None = None) -> Iterator[list[ActiveKR]]:
    """live_key_results in batches of about `batch` KRs (OWNER_BATCH), each holding whole owners, by owner id,
    then team, objective and KR id; one query per batch (a workspace of fewer KRs: one in all).

    For the jobs' full computations: at 100,000 owners holding every KR at once was most of a job's memory.
    """
    batch = batch or OWNER_BATCH
    params: dict = {"first_day": first_day, "last_day": last_day, "limit": batch + 1}
    after = ""
    while True:
        rows = _records(read_rows(_LIVE_AFTER, {**params, "after": after}, session=session))
        if len(rows) <= batch:
            if rows:
                yield rows
            return
        # The batch's last owner may go on past the limit: that owner starts the next batch.
        last = rows[-1].kr.owner_id
        whole = [row for row in rows if row.kr.owner_id != last]
        if not whole:
            # One owner with more KRs than a batch holds.
            whole = _records(read_rows(_LIVE_OF_ONE, {"first_day": first_day, "last_day": last_day,
                                                      "owner_id": last}, session=session))
        yield whole
        after = whole[-1].kr.owner_id


def live_key_results(*, session: Session, first_day: date, last_day: date, owner_id: str | None = None,
                     team_ids: Iterable[int] | None = None) -> list[ActiveKR]:
    """Unarchived KRs whose cycle overlaps [first_day, last_day], optionally of one owner or these teams, as
    read-only records, by team, objective and KR id; one query.

    Every job plans from this over every owner after each write: an ORM object per KR, objective, team and cycle
    (240,000 at 100,000 owners) cost more than half a full tick's CPU and most of its memory, so the rows are read
    as namedtuples, each objective, team and cycle made once.
    """
    params: dict = {"first_day": first_day, "last_day": last_day}
    if owner_id is not None:
        params["owner_id"] = owner_id
    if team_ids is not None:
        params["team_ids"] = ids = list(set(team_ids))
        if not ids:
            return []
    return _records(read_rows(_LIVE_BY[owner_id is not None, team_ids is not None], params, session=session))


def _records(result: sa.CursorResult) -> list[ActiveKR]:
    kr_span = _KR.at(0)
    shared = [(part, span, span.start + part.id_at, {}) for part, span in _SHARED_SPANS]
    make_kr = _KR.record._make
    out = []
    # In batches: the join repeats each team's and objective's columns on every KR's row, and 100,000 of those
    # rows buffered at once were 200 MB, where the records kept are a third of that (row by row, the driver's
    # fetch cost more than the records).
    for rows in result.partitions():
        for row in rows:
            records = [make_kr(row[kr_span])]
            for part, span, id_at, seen in shared:
                record = seen.get(row[id_at])
                if record is None:
                    record = seen[row[id_at]] = part.record._make(row[span])
                records.append(record)
            out.append(ActiveKR._make(records))
    return out


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
