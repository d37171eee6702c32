"""Where each objective and key result of a team (or a person) stands today, as frozen dataclasses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from bot.reports.participation import TeamParticipation, participation_of, reminded_prompts
from bot.reports.weeks import kr_weeks
from bot.rules.schedule import days_around, local_day, zone
from bot.rules.scoring import Pace, meets, objective_score, pace, threshold_of, trend
from bot.rules.sparkline import WEEKS as SPARK_WEEKS, weekly_scores
from storage.checkins import RecentCheckins, Seen, recent_checkins
from storage.models import CheckIn, KeyResult, Team
from storage.okrs import ActiveKR, live_key_results
from storage.teams import leads_by_team


@dataclass(frozen=True)
class KRStatus:
    """One key result as it stands: latest value, confidence, score, pace and trend."""

    id: int
    title: str
    owner_id: str
    unit: str
    baseline: float
    target: float
    value: float | None
    confidence: str | None
    score: float
    pace: Pace
    trend: float | None
    last_at: datetime | None
    # The n of the KR's reference KR-<n> (bot.rules.refs.ref_text).
    ref: int | None = None
    # Where `value` came from when the data said it after the last check-in (an origin code, "api" or a source's,
    # e.g. "prometheus"), with the value's time.
    value_origin: str | None = None
    value_at: datetime | None = None
    # The score at the end of each of the last sparkline.WEEKS weeks, oldest first (None: before the cycle).
    weekly: tuple[float | None, ...] = ()
    # Why the last read of the KR's source failed ("source failed: HTTP 503 at 09:12"); None when it did not.
    source_note: str | None = None


@dataclass(frozen=True)
class ObjectiveStatus:
    """An objective's score against its success threshold, with the key results to show."""

    id: int
    title: str
    type: str
    cycle: str
    score: float
    threshold: float
    success: bool
    krs: tuple[KRStatus, ...]
    kr_count: int


@dataclass(frozen=True)
class TeamStatus:
    """A team's live objectives on `on`, the team's local date."""

    id: int
    name: str
    channel: str
    leads: tuple[str, ...]
    on: date
    objectives: tuple[ObjectiveStatus, ...]
    # This cycle's check-in rate and this week's state per owner; None in a view of one person's KRs.
    participation: TeamParticipation | None = None

    @property
    def krs(self) -> list[KRStatus]:
        """Every key result shown, in order."""
        return [kr for obj in self.objectives for kr in obj.krs]


def observed_is_newer(kr: KeyResult, last: Seen | CheckIn | None, *, now: datetime | None = None) -> bool:
    """Whether the KR's latest observed value is its latest value: newer than its last check-in (and not after
    `now`, when a report is drawn as of an earlier instant)."""
    if kr.observed_at is None or kr.observed_value is None or (now is not None and kr.observed_at > now):
        return False
    return last is None or kr.observed_at > last.created_at


def kr_status(row: ActiveKR, checkins: Sequence[Seen], *, on: date, now: datetime | None = None,
              history: Sequence[Seen] = ()) -> KRStatus:
    """A KR's status from its check-ins (newest first) and its latest observed value, whichever is newer, measured
    against its cycle on `on`; `history` (oldest first, see storage.checkins.recent_checkins) gives its weekly
    trend."""
    kr, cycle = row.kr, row.cycle
    last = checkins[0] if checkins else None
    value = last.value if last else None
    observed = observed_is_newer(kr, last, now=now)
    if observed:
        value = kr.observed_value
    # The zone looked up once per KR rather than once per check-in of its history (local_day).
    tz = zone(row.team.timezone) or UTC
    # Pace carries the KR's score (kr_score of the value, 0.0 without one): scoring twice costs exact fractions twice.
    on_pace = pace(kr.baseline, kr.target, value, cycle.start, cycle.end, on)
    return KRStatus(
        id=kr.id, title=kr.title, owner_id=kr.owner_id, unit=kr.unit, baseline=kr.baseline, target=kr.target,
        value=value, confidence=last.confidence if last else None, score=on_pace.score, pace=on_pace,
        trend=trend([c.value for c in reversed(checkins[:2])]),
        last_at=last.created_at if last else None, ref=kr.ref,
        value_origin=kr.observed_origin if observed else None, value_at=kr.observed_at if observed else None,
        weekly=weekly_scores([(c.created_at.astimezone(tz).date(), c.value) for c in history],
                             baseline=kr.baseline, target=kr.target, start=cycle.start, on=on),
        source_note=kr.source_note,
    )


def assemble(teams: Sequence[Team], rows: Sequence[ActiveKR], recent: RecentCheckins,
             leads: dict[int, list[str]], *, now: datetime, owner_id: str | None = None,
             on: dict[int, date] | None = None) -> list[TeamStatus]:
    """Group KRs into objectives and teams (in the order given), on each team's local date or the date in `on`.

    With owner_id, only that owner's objectives and KRs are shown, while objective scores still count every KR.
    """
    by_team: dict[int, dict[int, list[ActiveKR]]] = defaultdict(lambda: defaultdict(list))
    days = {team.id: (on or {}).get(team.id) or local_day(team.timezone, now=now) for team in teams}
    for row in rows:
        day = days.get(row.team.id)
        # Only the cycle running on the team's own date counts; the query window is a day wider either side.
        if day is not None and row.cycle.start <= day <= row.cycle.end:
            by_team[row.team.id][row.objective.id].append(row)
    out = []
    for team in teams:
        objectives = []
        for objective_rows in by_team[team.id].values():
            statuses = [kr_status(r, recent.latest.get(r.kr.id, ()), on=days[team.id], now=now,
                                  history=recent.history.get(r.kr.id, ())) for r in objective_rows]
            shown = tuple(s for s in statuses if owner_id is None or s.owner_id == owner_id)
            if not shown:
                continue
            objective = objective_rows[0].objective
            score = objective_score([s.score for s in statuses])
            threshold = threshold_of(objective.type)
            objectives.append(ObjectiveStatus(
                id=objective.id, title=objective.title, type=objective.type.lower(),
                cycle=objective_rows[0].cycle.name, score=score, threshold=threshold,
                success=meets(score, threshold), krs=shown, kr_count=len(statuses)))
        if owner_id is not None and not objectives:
            continue
        out.append(TeamStatus(id=team.id, name=team.name, channel=team.channel,
                              leads=tuple(leads.get(team.id, ())), on=days[team.id], objectives=tuple(objectives)))
    return out


def trend_since(*, now: datetime) -> datetime:
    """How far back check-ins are read for the sparklines: their weeks, and a day for the widest zone."""
    return now - timedelta(weeks=SPARK_WEEKS, days=1)


def statuses(teams: Sequence[Team], *, session: Session, now: datetime,
             owner_id: str | None = None, participation: bool = True) -> list[TeamStatus]:
    """The status of these teams in six queries: KRs, their two latest check-ins, leads, and (for whole teams, unless
    participation=False) the weeks with their check-ins, and their reminders, for participation."""
    first_day, last_day = days_around(now=now)
    rows = live_key_results(session=session, first_day=first_day, last_day=last_day, team_ids=[t.id for t in teams])
    if owner_id is not None:
        objectives = {r.objective.id for r in rows if r.kr.owner_id == owner_id}
        rows = [r for r in rows if r.objective.id in objectives]
    recent = recent_checkins([r.kr.id for r in rows], session=session, now=now, history_since=trend_since(now=now))
    leads = leads_by_team([t.id for t in teams], session=session)
    out = assemble(teams, rows, recent, leads, now=now, owner_id=owner_id)
    if owner_id is not None or not participation:
        return out
    weeks = kr_weeks([r.kr.id for r in rows], session=session, now=now)
    reminded = reminded_prompts(weeks, session=session)
    by_id = {team.id: team for team in teams}
    return [replace(status, participation=participation_of(by_id[status.id], rows, weeks, reminded, on=status.on))
            for status in out]


def team_status(team: Team, *, session: Session, now: datetime) -> TeamStatus:
    """One team's status, in six queries whatever its size."""
    return statuses([team], session=session, now=now)[0]


def user_status(user_id: str, *, session: Session, now: datetime) -> list[TeamStatus]:
    """The objectives holding a user's live KRs, showing only their KRs, in four queries."""
    first_day, last_day = days_around(now=now)
    owned = live_key_results(session=session, first_day=first_day, last_day=last_day, owner_id=user_id)
    teams = list({r.team.id: r.team for r in owned}.values())
    return statuses(teams, session=session, now=now, owner_id=user_id)
