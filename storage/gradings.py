"""Queries about gradings: the current grading of a team's cycle, its history, each KR's grade, and storing one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlmodel import Session, select

from storage.db import flushed
from storage.models import Cycle, Grading, KeyResult, KRGrade, Objective


def current_grading(team_id: int, cycle_id: int, *, session: Session) -> Grading | None:
    """The grading in force for a team's cycle (the latest, not superseded), or None when it was never graded."""
    return session.exec(select(Grading).where(Grading.team_id == team_id, Grading.cycle_id == cycle_id,
                                              Grading.superseded_at.is_(None))
                        .order_by(Grading.id.desc())).first()


def grading_history(team_id: int, cycle_id: int, *, session: Session) -> list[Grading]:
    """Every grading of a team's cycle, oldest first (the last one is in force)."""
    return list(session.exec(select(Grading).where(Grading.team_id == team_id, Grading.cycle_id == cycle_id)
                             .order_by(Grading.id)))


def graded_pairs(team_ids: Iterable[int], cycle_ids: Iterable[int], *, session: Session) -> set[tuple[int, int]]:
    """(team id, cycle id) of these teams and cycles that have a grading in force, in one query."""
    teams, cycles = list(set(team_ids)), list(set(cycle_ids))
    if not teams or not cycles:
        return set()
    stmt = select(Grading.team_id, Grading.cycle_id).where(
        Grading.team_id.in_(teams), Grading.cycle_id.in_(cycles), Grading.superseded_at.is_(None))
    return {(t, c) for t, c in session.exec(stmt)}


def grades_of(grading_ids: Iterable[int], *, session: Session) -> dict[int, dict[int, KRGrade]]:
    """The KR grades of these gradings: grading id -> KR id -> grade, in one query."""
    ids = list(set(grading_ids))
    out: dict[int, dict[int, KRGrade]] = {i: {} for i in ids}
    if ids:
        for grade in session.exec(select(KRGrade).where(KRGrade.grading_id.in_(ids))):
            out[grade.grading_id][grade.kr_id] = grade
    return out


def current_gradings(team_id: int, *, session: Session) -> list[tuple[Grading, Cycle]]:
    """A team's gradings in force with their cycles, the cycle that ended last first."""
    stmt = (select(Grading, Cycle).join(Cycle, Cycle.id == Grading.cycle_id)
            .where(Grading.team_id == team_id, Grading.superseded_at.is_(None))
            .order_by(Cycle.end.desc(), Grading.id.desc()))
    return [(g, c) for g, c in session.exec(stmt)]


def gradings_in(cycle_id: int, *, session: Session) -> list[Grading]:
    """The gradings in force of every team in a cycle."""
    return list(session.exec(select(Grading).where(Grading.cycle_id == cycle_id, Grading.superseded_at.is_(None))
                             .order_by(Grading.team_id)))


def reports_to_send(*, session: Session, since: datetime) -> list[Grading]:
    """Gradings in force made since `since`: each owes its team's channel one cycle report (the outbox says which)."""
    return list(session.exec(select(Grading).where(Grading.superseded_at.is_(None), Grading.graded_at >= since)
                             .order_by(Grading.id)))


def save_grading(grading: Grading, grades: Sequence[KRGrade], *, session: Session, now: datetime) -> Grading | None:
    """Store a grading and its KR grades, superseding the one in force; None when this submission was stored already."""
    previous = current_grading(grading.team_id, grading.cycle_id, session=session)
    session.add(grading)
    if not flushed(session):
        return None
    if previous is not None:
        previous.superseded_at = now
        session.add(previous)
    for grade in grades:
        grade.grading_id = grading.id
        session.add(grade)
    session.flush()
    return grading


def next_cycle(cycle: Cycle, *, session: Session) -> Cycle | None:
    """The cycle that starts first after this one ends (the one carried-over KRs go to), or None."""
    return session.exec(select(Cycle).where(Cycle.start > cycle.end).order_by(Cycle.start, Cycle.id)).first()


def previous_cycle(on: date, *, session: Session) -> Cycle | None:
    """The cycle that ended last before `on`."""
    return session.exec(select(Cycle).where(Cycle.end < on).order_by(Cycle.end.desc(), Cycle.id.desc())).first()


def team_cycles(team_id: int, *, session: Session) -> list[Cycle]:
    """The cycles in which a team has unarchived objectives, the one that ends first first."""
    ids = select(Objective.cycle_id).where(Objective.team_id == team_id, Objective.archived_at.is_(None))
    return list(session.exec(select(Cycle).where(Cycle.id.in_(ids)).order_by(Cycle.end, Cycle.id)))


def objectives_by_key(team_id: int, cycle_id: int, *, session: Session) -> dict[str, Objective]:
    """A team's objectives in a cycle, archived ones included, by key."""
    return {o.key: o for o in session.exec(select(Objective).where(Objective.team_id == team_id,
                                                                   Objective.cycle_id == cycle_id))}


def krs_by_key(objective_id: int, *, session: Session) -> dict[str, KeyResult]:
    """An objective's KRs, archived ones included, by key."""
    return {kr.key: kr for kr in session.exec(select(KeyResult).where(KeyResult.objective_id == objective_id))}
