"""Carrying unfinished key results over to the next cycle, and the lessons and weak KRs the next cycle remembers.

A carried KR keeps its title, owner and unit; its baseline is where it ended, and its old target is kept as a
proposal for the lead to confirm in the edit form they are shown next. Carrying is idempotent: a KR already
carried (its key is taken in the next cycle's objective) is linked, not created again, so a re-grade adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from bot.reports.grading import CycleGrades
from bot.slack import ids
from bot.views.grading import lessons
from storage.gradings import current_gradings, grades_of, krs_by_key, next_cycle, objectives_by_key
from storage.models import Cycle, KeyResult, Objective
from storage.okrs import key_results_by_id

# Below this grade, a KR written again unchanged next cycle gets the coach's note.
WEAK_GRADE = 0.3


@dataclass
class Carried:
    """What a grading carried over: to which cycle (None when there is none yet), and the new KR of each old one."""

    cycle: Cycle | None
    krs: dict[int, int] = field(default_factory=dict)
    objective_ids: list[int] = field(default_factory=list)


def carry_over(cg: CycleGrades, decisions: dict[int, str], *, session: Session) -> Carried:
    """Create the carried KRs in the cycle after cg's (their objectives too, by the same key), once each."""
    wanted = {kr.id for kr in cg.krs if decisions.get(kr.id) == ids.CARRY_VALUE}
    if not wanted:
        return Carried(None)
    nxt = next_cycle(session.get(Cycle, cg.cycle_id), session=session)
    if nxt is None:
        return Carried(None)
    carried = Carried(nxt)
    existing = objectives_by_key(cg.team_id, nxt.id, session=session)
    for o in cg.objectives:
        krs = [kr for kr in o.krs if kr.id in wanted]
        if not krs:
            continue
        target = existing.get(o.key)
        if target is None or target.archived_at is not None:
            # An archived namesake keeps its archived KRs to itself: the carried ones get an objective of their own.
            key = o.key if target is None else f"{o.key[:180]} · {cg.cycle[:16]}"
            target = existing.get(key) or Objective(team_id=cg.team_id, cycle_id=nxt.id, key=key, title=o.title,
                                                    type=o.type)
            session.add(target)
            session.flush()
        carried.objective_ids.append(target.id)
        taken = krs_by_key(target.id, session=session)
        for kr in krs:
            old = session.get(KeyResult, kr.id)
            new = taken.get(old.key)
            if new is None:
                new = KeyResult(objective_id=target.id, key=old.key, title=old.title, owner_id=old.owner_id,
                                baseline=kr.final_value if kr.final_value is not None else old.baseline,
                                target=old.target, unit=old.unit)
                session.add(new)
                session.flush()
            carried.krs[kr.id] = new.id
    return carried


@dataclass(frozen=True)
class LastCycle:
    """What a team's last graded cycle left for the next: its name, the lessons, and the KRs graded below 0.3."""

    cycle: str
    lessons: tuple[str, ...]
    weak: dict[str, float]


def last_cycle(team_id: int, *, session: Session, before: Cycle | None = None) -> LastCycle | None:
    """The team's most recently ended graded cycle (before `before`, when given), or None."""
    for grading, cycle in current_gradings(team_id, session=session):
        if before is not None and (cycle.id == before.id or cycle.end >= before.end):
            continue
        grades = grades_of([grading.id], session=session)[grading.id]
        titles = {kr_id: row.kr.title for kr_id, row in key_results_by_id(grades, session=session).items()}
        weak = {titles[g.kr_id]: g.grade for g in grades.values() if g.grade < WEAK_GRADE and g.kr_id in titles}
        return LastCycle(cycle.name, tuple(lessons(grading.change_next)), weak)
    return None
