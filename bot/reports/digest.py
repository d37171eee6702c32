"""What one team's weekly digest says: its objectives, what changed in the week, and who has not checked in.

"Not checked in this week" lists the owners of KRs whose current week (from their latest prompt) has no check-in
and was not skipped. A KR that was never prompted (just imported, say) is left out: nobody has asked its owner yet.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from bot.reports.participation import TeamParticipation, participation_of, reminded_prompts
from bot.reports.status import KRStatus, TeamStatus, assemble, trend_since
from bot.reports.weeks import kr_weeks
from bot.rules.cadence import NUDGE_AFTER
from bot.rules.glossary import is_mover
from bot.rules.holidays import moved_day
from bot.rules.schedule import WEEK, days_around, local_day, local_instant, most_recent_slot, parse_hhmm, zone
from bot.rules.scoring import kr_score
from bot.rules.weeks import KRWeeks
from storage.checkins import RecentCheckins, recent_checkins
from storage.models import Team
from storage.okrs import ActiveKR, live_key_results
from storage.problems import deactivated

# The biggest movers shown; a mover moved at least glossary.MOVER_MIN.
MOVERS = 3


@dataclass(frozen=True)
class ConfidenceMove:
    """A KR whose confidence is not what it was a week ago."""

    kr: KRStatus
    before: str
    after: str


@dataclass(frozen=True)
class Mover:
    """A KR whose score changed over the last week."""

    kr: KRStatus
    before: float
    after: float

    @property
    def change(self) -> float:
        """Score now minus score a week ago."""
        return self.after - self.before


@dataclass(frozen=True)
class MissedKR:
    """A KR whose owner has missed this many weeks in a row."""

    kr: KRStatus
    weeks: int


@dataclass(frozen=True)
class Digest:
    """Everything one team's weekly digest says."""

    team: TeamStatus
    week_of: date
    # When the digest goes out: weekday number and "HH:MM" in the team's zone.
    digest_day: int
    digest_time: str
    timezone: str
    moves: tuple[ConfidenceMove, ...]
    movers: tuple[Mover, ...]
    not_checked_in: tuple[str, ...]
    missed: tuple[MissedKR, ...]
    # This cycle's check-in rate and this week's state per owner (away ones say why).
    participation: TeamParticipation | None = None


def digest_slot(team: Team, *, now: datetime) -> tuple[date, datetime | None] | None:
    """The team's latest digest slot at or before `now`: its local date, and the instant it goes out; None if its
    time is unreadable.

    A slot on a public holiday of the team's calendar goes out on the next working day at the same time: until
    then (or, for a week with no working day, never) the instant is None, and the slot is not due.
    """
    try:
        at = parse_hhmm(team.digest_time)
    except ValueError:
        return None
    tz = zone(team.timezone) or zone("UTC")
    day, instant = most_recent_slot(tz, team.digest_day % 7, at, now=now)
    moved = moved_day(day, [team.holidays])
    if moved != day:
        instant = local_instant(moved, at, tz) if moved is not None else None
        if instant is not None and instant > now:
            instant = None
    return day, instant


def build_digest(team: Team, rows: Sequence[ActiveKR], recent: RecentCheckins, weeks: dict[int, KRWeeks], *,
                 now: datetime, week_of: date, on: date, gone: Collection[str] = (),
                 reminded: set[int] = frozenset()) -> Digest | None:
    """The digest of one team from its KRs, their recent check-ins and weeks; None when no KR is live on `on`.

    `gone` are owners whose Slack account is deactivated: their leads were told once, so they are not listed as
    not checked in week after week."""
    (status,) = assemble([team], rows, recent, {}, now=now, on={team.id: on})
    if not status.objectives:
        return None
    krs = status.krs
    moves, movers = [], []
    for kr in krs:
        before = recent.as_of.get(kr.id)
        if before is None or kr.value is None:
            continue
        if kr.confidence and before.confidence != kr.confidence:
            moves.append(ConfidenceMove(kr, before.confidence, kr.confidence))
        then = kr_score(kr.baseline, kr.target, before.value)
        if is_mover(kr.score - then):
            movers.append(Mover(kr, then, kr.score))
    movers.sort(key=lambda m: -abs(m.change))
    late: list[str] = []
    for kr in krs:
        week = weeks.get(kr.id)
        if (week is not None and not week.checked_in_this_week and kr.owner_id not in late
                and kr.owner_id not in gone):
            late.append(kr.owner_id)
    missed = sorted((MissedKR(kr, weeks[kr.id].missed_streak) for kr in krs
                     if kr.id in weeks and weeks[kr.id].missed_streak >= NUDGE_AFTER), key=lambda m: -m.weeks)
    return Digest(team=status, week_of=week_of, digest_day=team.digest_day % 7, digest_time=team.digest_time,
                  timezone=team.timezone, moves=tuple(moves), movers=tuple(movers[:MOVERS]),
                  not_checked_in=tuple(late), missed=tuple(missed),
                  participation=participation_of(team, rows, weeks, reminded, on=on))


def digest_inputs(rows: Sequence[ActiveKR], *, session: Session, now: datetime
                  ) -> tuple[RecentCheckins, dict[int, KRWeeks], set[int]]:
    """Recent check-ins (with last week's), the check-in weeks of these KRs and the prompts that were reminded, in
    four queries."""
    ids = [r.kr.id for r in rows]
    recent = recent_checkins(ids, session=session, now=now, since=now - WEEK, history_since=trend_since(now=now))
    weeks = kr_weeks(ids, session=session, now=now)
    return recent, weeks, reminded_prompts(weeks, session=session)


def team_digest(team: Team, *, session: Session, now: datetime) -> Digest | None:
    """The team's digest as it would read at `now`, in five queries (for the preview and the benchmark)."""
    slot = digest_slot(team, now=now)
    today = local_day(team.timezone, now=now)
    week_of = slot[0] if slot else today
    first_day, last_day = days_around(now=now)
    rows = live_key_results(session=session, first_day=first_day, last_day=last_day, team_ids=[team.id])
    recent, weeks, reminded = digest_inputs(rows, session=session, now=now)
    gone = deactivated({r.kr.owner_id for r in rows}, session=session)
    return build_digest(team, rows, recent, weeks, now=now, week_of=week_of, on=today, gone=gone, reminded=reminded)
