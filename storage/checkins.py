"""Queries about check-ins: the latest of each KR, the recent ones, and red check-ins compared with their history.

Each is one statement whatever the number of KRs. A version replaced by an edit (replaced_at set) is history: only
the current versions are read here, except by the queries that say otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import attrgetter
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy import orm
from sqlmodel import Session, select

from storage.db import read_rows
from storage.models import CheckIn, KeyResult

_NEWEST_FIRST = (CheckIn.created_at.desc(), CheckIn.id.desc())
_CURRENT = CheckIn.replaced_at.is_(None)


def latest_checkins(kr_ids: Iterable[int], *, session: Session) -> dict[int, CheckIn]:
    """The most recent check-in of each of these KRs, in one query (ties on time go to the later row)."""
    ids = list(set(kr_ids))
    if not ids:
        return {}
    ranked = (
        select(CheckIn.id, sa.func.row_number().over(partition_by=CheckIn.kr_id, order_by=_NEWEST_FIRST).label("rn"))
        .where(CheckIn.kr_id.in_(ids), _CURRENT)
        .subquery()
    )
    rows = session.exec(select(CheckIn).join(ranked, ranked.c.id == CheckIn.id).where(ranked.c.rn == 1)).all()
    return {row.kr_id: row for row in rows}


class Seen(NamedTuple):
    """What a report reads of a check-in: a plain row, as loading hundreds of CheckIn entities for a status cost more
    than everything else it does."""

    id: int
    kr_id: int
    value: float
    confidence: str
    created_at: datetime


@dataclass(frozen=True)
class RecentCheckins:
    """Each KR's latest check-ins (newest first, at most two), optionally its check-in as of an earlier instant, and
    optionally its history: every check-in since an instant, with the one in force then, oldest first."""

    latest: dict[int, tuple[Seen, ...]] = field(default_factory=dict)
    as_of: dict[int, Seen] = field(default_factory=dict)
    history: dict[int, tuple[Seen, ...]] = field(default_factory=dict)


def _ranked_before_edge(offset: int):
    # Per KR, through the (kr_id, created_at) index: its check-in ranked `offset` (0 = newest) among those up to the
    # edge.
    older = orm.aliased(CheckIn, name=f"older{offset}")
    return (select(older.id).where(older.kr_id == KeyResult.id, older.replaced_at.is_(None),
                                   older.created_at <= sa.bindparam("edge", type_=CheckIn.created_at.type))
            .order_by(older.created_at.desc(), older.id.desc()).limit(1).offset(offset)
            .correlate(KeyResult).scalar_subquery())


# Only the weeks a report shows are read: every check-in after the earliest instant it asks about (the edge), and
# each KR's two latest at or before the edge (which hold the one in force then, and the latest two when the weeks
# after it have fewer); the two parts cannot overlap. A window function over all of a KR's check-ins made a status
# cost more the longer the KR had been checked in on. Built once: building it cost as much as running it.
_IDS = sa.bindparam("ids", expanding=True)
_SEEN = (CheckIn.id, CheckIn.kr_id, CheckIn.value, CheckIn.confidence, CheckIn.created_at)
_RECENT = sa.union_all(
    select(*_SEEN).where(CheckIn.kr_id.in_(_IDS), _CURRENT,
                         CheckIn.created_at > sa.bindparam("edge", type_=CheckIn.created_at.type),
                         CheckIn.created_at <= sa.bindparam("now", type_=CheckIn.created_at.type)),
    select(*_SEEN).where(CheckIn.id.in_(sa.union_all(
        *(select(_ranked_before_edge(offset)).where(KeyResult.id.in_(_IDS)) for offset in (0, 1))))),
)
_RECENT = _RECENT.order_by(_RECENT.selected_columns.kr_id, _RECENT.selected_columns.created_at.desc(),
                           _RECENT.selected_columns.id.desc())


def recent_checkins(kr_ids: Iterable[int], *, session: Session, now: datetime,
                    since: datetime | None = None, history_since: datetime | None = None) -> RecentCheckins:
    """The two latest check-ins at or before `now` of each KR, the latest at or before `since`, and (for trends)
    every check-in after `history_since` with the one in force at it, in one query."""
    ids = list(set(kr_ids))
    if not ids:
        return RecentCheckins()
    edge = min(at for at in (since, history_since, now) if at is not None)
    latest: dict[int, tuple[Seen, ...]] = {}
    as_of: dict[int, Seen] = {}
    history: dict[int, tuple[Seen, ...]] = {}
    rows = map(Seen._make, read_rows(_RECENT, {"ids": ids, "edge": edge, "now": now}, session=session).all())
    # By KR, newest first: each KR's rows in one go, rather than testing every row against every question.
    for kr_id, group in groupby(rows, key=attrgetter("kr_id")):
        found = list(group)
        latest[kr_id] = tuple(found[:2])
        if since is not None:
            before = next((c for c in found if c.created_at <= since), None)
            if before is not None:
                as_of[kr_id] = before
        if history_since is not None:
            # Everything after history_since, then the one in force at it, then nothing older; oldest first.
            after = next((n for n, c in enumerate(found) if c.created_at <= history_since), len(found))
            history[kr_id] = tuple(reversed(found[:after + 1]))
    return RecentCheckins(latest, as_of, history)


def red_checkins_since(start: datetime, *, session: Session, now: datetime
                       ) -> list[tuple[int, int | None, str | None, bool]]:
    """Red check-ins in (start, now], each as (id, previous check-in id, previous confidence, any red before it).

    The comparison with each KR's history runs in the database (window functions), so only these rows come back,
    as plain tuples: a tick must not load a quarter of check-ins into memory to find a few alerts.
    """
    order = (CheckIn.created_at, CheckIn.id)
    recent_krs = select(CheckIn.kr_id).where(CheckIn.created_at > start, CheckIn.created_at <= now)
    ranked = (
        select(
            CheckIn.id, CheckIn.created_at, CheckIn.confidence,
            sa.func.lag(CheckIn.confidence).over(partition_by=CheckIn.kr_id, order_by=order).label("old"),
            sa.func.lag(CheckIn.id).over(partition_by=CheckIn.kr_id, order_by=order).label("old_id"),
            sa.func.max(sa.case((CheckIn.confidence == "red", 1), else_=0))
            .over(partition_by=CheckIn.kr_id, order_by=order, rows=(None, -1)).label("red_before"),
        )
        .where(CheckIn.kr_id.in_(recent_krs), CheckIn.created_at <= now, _CURRENT)
        .subquery()
    )
    rows = session.exec(select(ranked.c.id, ranked.c.old_id, ranked.c.old, ranked.c.red_before)
                        .where(ranked.c.created_at > start, ranked.c.confidence == "red")).all()
    return [(cid, old_id, old, bool(red_before)) for cid, old_id, old, red_before in rows]


def checkins_by_id(ids: Iterable[int], *, session: Session) -> dict[int, CheckIn]:
    """These check-ins by id, in one query."""
    wanted = list(set(ids))
    return {c.id: c for c in session.exec(select(CheckIn).where(CheckIn.id.in_(wanted)))} if wanted else {}


def week_checkins(weeks: dict[int, int], *, session: Session) -> dict[int, CheckIn]:
    """The current check-in of each KR for its week ({kr_id: prompt_id}), if it has one: what an edit replaces."""
    if not weeks:
        return {}
    wanted = sa.tuple_(CheckIn.kr_id, CheckIn.prompt_id).in_(list(weeks.items()))
    found: dict[int, CheckIn] = {}
    for row in session.exec(select(CheckIn).where(wanted, _CURRENT).order_by(*_NEWEST_FIRST)):
        found.setdefault(row.kr_id, row)
    return found


def replace_checkin(old: CheckIn, new: CheckIn, *, now: datetime) -> None:
    """Make `new` the week's check-in in place of `old`, which stays as history."""
    old.replaced_at = now
    new.first_id = old.first_id or old.id


def checkins_by_source(keys: Iterable[str], *, session: Session) -> list[CheckIn]:
    """The check-ins stored from these submissions (Slack view id + KR), if any."""
    wanted = list(set(keys))
    return list(session.exec(select(CheckIn).where(CheckIn.source_key.in_(wanted)))) if wanted else []


def checkin_before(checkin: CheckIn, *, session: Session) -> CheckIn | None:
    """The KR's check-in stored just before this one."""
    return session.exec(select(CheckIn).where(CheckIn.kr_id == checkin.kr_id, CheckIn.id < checkin.id)
                        .order_by(CheckIn.id.desc()).limit(1)).first()
