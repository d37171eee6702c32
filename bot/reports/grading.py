"""A team's cycle at its end, as frozen dataclasses: each KR's final value and computed score, and the grading."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.rules.grading import final_score, is_finished, met_line, objective_grade
from bot.rules.scoring import threshold_of
from storage.checkins import latest_checkins
from storage.gradings import current_grading, grades_of
from storage.models import Cycle, Grading, Team
from storage.okrs import cycle_key_results
from storage.teams import leads_by_team


@dataclass(frozen=True)
class KRGradeLine:
    """One KR at the end of its cycle: where it ended, its computed score, and its grade when graded."""

    id: int
    title: str
    owner_id: str
    unit: str
    baseline: float
    target: float
    final_value: float | None
    computed: float
    grade: float | None
    evidence: str
    decision: str
    carried_kr_id: int | None

    @property
    def finished(self) -> bool:
        return is_finished(self.computed)

    @property
    def shown_grade(self) -> float:
        """The grade given, or the computed score while ungraded."""
        return self.computed if self.grade is None else self.grade


@dataclass(frozen=True)
class ObjectiveGrades:
    """An objective's KRs at the end of the cycle and its score against its type's success line."""

    id: int
    key: str
    title: str
    type: str
    krs: tuple[KRGradeLine, ...]

    @property
    def line(self) -> float:
        return threshold_of(self.type)

    @property
    def computed(self) -> float:
        return objective_grade([k.computed for k in self.krs])

    @property
    def grade(self) -> float:
        return objective_grade([k.shown_grade for k in self.krs])

    @property
    def met(self) -> bool:
        return met_line(self.type, self.grade)


@dataclass(frozen=True)
class CycleGrades:
    """A team's cycle: its objectives with their KRs, the leads, and the grading in force (None while ungraded)."""

    team_id: int
    team: str
    channel: str
    leads: tuple[str, ...]
    cycle_id: int
    cycle: str
    start: str
    end: str
    objectives: tuple[ObjectiveGrades, ...]
    grading: Grading | None

    @property
    def krs(self) -> list[KRGradeLine]:
        return [kr for o in self.objectives for kr in o.krs]


def cycle_grades(team: Team, cycle: Cycle, *, session: Session, grading: Grading | None = None,
                 current: bool = True, now: datetime | None = None) -> CycleGrades:
    """The team's cycle with each KR's final value (its latest check-in) and computed score, and the grading in force
    (or `grading`; none with current=False)."""
    rows = [r for r in cycle_key_results(cycle.id, session=session) if r.team.id == team.id]
    latest = latest_checkins([r.kr.id for r in rows], session=session)
    if grading is None and current:
        grading = current_grading(team.id, cycle.id, session=session)
    grades = grades_of([grading.id], session=session)[grading.id] if grading is not None else {}
    by_objective = defaultdict(list)
    objectives = {}
    for r in rows:
        objectives[r.objective.id] = r.objective
        last = latest.get(r.kr.id)
        value = last.value if last is not None else None
        given = grades.get(r.kr.id)
        by_objective[r.objective.id].append(KRGradeLine(
            r.kr.id, r.kr.title, r.kr.owner_id, r.kr.unit, r.kr.baseline, r.kr.target, value,
            final_score(r.kr.baseline, r.kr.target, value), given.grade if given else None,
            given.evidence if given else "", given.decision if given else "",
            given.carried_kr_id if given else None))
    leads = tuple(leads_by_team([team.id], session=session).get(team.id, ()))
    return CycleGrades(team.id, team.name, team.channel, leads, cycle.id, cycle.name, cycle.start.isoformat(),
                       cycle.end.isoformat(),
                       tuple(ObjectiveGrades(o.id, o.key, o.title, o.type, tuple(by_objective[o.id]))
                             for o in objectives.values()), grading)
