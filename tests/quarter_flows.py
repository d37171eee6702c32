"""Helpers for end-of-quarter tests: a Growth cycle that ended on Thursday 2026-11-26, its next cycle, check-ins."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from bot.slack import ids
from storage.models import CheckIn, Cycle, Grading, KeyResult, KRGrade, Objective

END = date(2026, 11, 26)  # a Thursday: the first working morning after it is Friday 27 November
GRADE_DM = "Time to grade"
GRADE_REMINDER = "Reminder: 2026-Q4 for Growth is not graded yet"


def end_growth_cycle(okr, *, next_cycle: bool = True) -> None:
    """Make 2026-Q4 end on END with Alice's activation at 30% and Bob's time-to-value at 7 days (its target)."""
    with okr.session() as s:
        cycle = s.exec(select(Cycle).where(Cycle.name == "2026-Q4")).one()
        cycle.end = END
        s.add(cycle)
        if next_cycle:
            s.add(Cycle(name="2027-Q1", start=date(2026, 11, 27), end=date(2027, 2, 28)))
        krs = {kr.key: kr for kr in s.exec(select(KeyResult))}
        when = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
        s.add(CheckIn(kr_id=krs["d7-activation"].id, author_id="U0ALICE", value=30, confidence="amber",
                      created_at=when))
        s.add(CheckIn(kr_id=krs["ttfv"].id, author_id="U0BOB", value=7, confidence="green", created_at=when))


def kr_id(okr, key: str, cycle: str = "2026-Q4") -> int:
    """The id of the KR with that import key in that cycle."""
    with okr.session() as s:
        return s.exec(select(KeyResult.id).join(Objective, Objective.id == KeyResult.objective_id)
                      .join(Cycle, Cycle.id == Objective.cycle_id)
                      .where(KeyResult.key == key, Cycle.name == cycle)).one()


def cycle_krs(okr, cycle: str) -> list[KeyResult]:
    """The KRs of a cycle, by id."""
    with okr.session() as s:
        return list(s.exec(select(KeyResult).join(Objective, Objective.id == KeyResult.objective_id)
                           .join(Cycle, Cycle.id == Objective.cycle_id).where(Cycle.name == cycle)
                           .order_by(KeyResult.id)))


def gradings(okr) -> list[Grading]:
    """Every grading, oldest first."""
    with okr.session() as s:
        return list(s.exec(select(Grading).order_by(Grading.id)))


def kr_grades(okr, grading_id: int) -> dict[int, KRGrade]:
    """The KR grades of one grading, by KR id."""
    with okr.session() as s:
        return {g.kr_id: g for g in s.exec(select(KRGrade).where(KRGrade.grading_id == grading_id))}


def grading_fields(okr, *, grades: dict[str, str] | None = None, evidence: dict[str, str] | None = None,
                   decisions: dict[str, str] | None = None, change: str | None = "Write KRs from the funnel data",
                   **retro: str) -> dict:
    """Block ids and values for the grading modal, KRs named by import key."""
    fields: dict = {}
    for key, value in (grades or {}).items():
        fields[ids.kr_block(ids.GRADE_BLOCK, kr_id(okr, key))] = value
    for key, value in (evidence or {}).items():
        fields[ids.kr_block(ids.EVIDENCE_BLOCK, kr_id(okr, key))] = value
    for key, value in (decisions or {}).items():
        fields[ids.kr_block(ids.NEXT_BLOCK, kr_id(okr, key))] = value
    fields[ids.RETRO_CHANGE_BLOCK] = change
    names = {"worked": ids.RETRO_WORKED_BLOCK, "did_not": ids.RETRO_DID_NOT_BLOCK, "learned": ids.RETRO_LEARNED_BLOCK}
    for name, value in retro.items():
        fields[names[name]] = value
    return fields
