"""Who checks in: a team's owners' states week by week this cycle, their counts and rates, and the team's per week."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from bot.reports.weeks import kr_weeks
from bot.rules.participation import ANSWERED, AWAY, MISSED, MISSING, SKIPPED, OwnerWeek, counts, owner_weeks, rate
from bot.rules.schedule import days_around, local_day
from bot.rules.weeks import KRWeeks
from storage import keys
from storage.models import Team
from storage.okrs import ActiveKR, live_key_results
from storage.outbox import sent


@dataclass(frozen=True)
class OwnerParticipation:
    """One owner's weeks in the team's cycle, oldest first."""

    owner_id: str
    weeks: tuple[OwnerWeek, ...]

    @property
    def this_week(self) -> OwnerWeek | None:
        """The owner's latest week (the open one)."""
        return self.weeks[-1] if self.weeks else None

    @property
    def counts(self) -> dict[str, int]:
        """Weeks per state."""
        return counts(self.weeks)

    @property
    def rate(self) -> float | None:
        """Answered weeks over weeks that asked for an answer."""
        return rate(self.weeks)


@dataclass(frozen=True)
class WeekRate:
    """The team's answers in one week: answered of those asked (away and skipped owners left out)."""

    day: str
    answered: int
    asked: int
    away: int

    @property
    def rate(self) -> float | None:
        """answered / asked, None when nobody was asked."""
        return self.answered / self.asked if self.asked else None


@dataclass(frozen=True)
class TeamParticipation:
    """A team's participation in its running cycle."""

    team_id: int
    team_name: str
    cycle: str
    owners: tuple[OwnerParticipation, ...]
    weeks: tuple[WeekRate, ...]

    @property
    def rate(self) -> float | None:
        """The cycle's check-in rate across owners: answered weeks over weeks that asked for an answer."""
        return rate([w for owner in self.owners for w in owner.weeks])


def participation_of(team: Team, rows: Sequence[ActiveKR], weeks: dict[int, KRWeeks], reminded: set[int], *,
                     on: date) -> TeamParticipation | None:
    """The team's participation from its KRs, their weeks and the prompts that were reminded; None when no cycle of
    the team runs on `on`."""
    live = [r for r in rows if r.team.id == team.id and r.cycle.start <= on <= r.cycle.end]
    if not live:
        return None
    cycle = live[0].cycle
    first, last = cycle.start.isoformat(), cycle.end.isoformat()
    by_owner: dict[str, list] = defaultdict(list)
    for row in live:
        kr = weeks.get(row.kr.id)
        if kr is None:
            continue
        current = kr.current.prompt_id
        by_owner[row.kr.owner_id] += [(w, w.prompt_id == current) for w in kr.weeks
                                      if first <= w.key.partition("@")[0] <= last]
    owners = tuple(OwnerParticipation(owner, tuple(owner_weeks(members, reminded)))
                   for owner, members in sorted(by_owner.items()) if members)
    per_day: dict[str, list[OwnerWeek]] = defaultdict(list)
    for owner in owners:
        for week in owner.weeks:
            per_day[week.day].append(week)
    week_rates = tuple(
        WeekRate(day, sum(w.state in ANSWERED for w in found),
                 sum(w.state in (*ANSWERED, MISSED, MISSING) for w in found),
                 sum(w.state in (AWAY, SKIPPED) for w in found))
        for day, found in sorted(per_day.items()))
    return TeamParticipation(team.id, team.name, cycle.name, owners, week_rates)


def reminded_prompts(weeks: dict[int, KRWeeks], *, session: Session) -> set[int]:
    """The prompts among these checked-in weeks whose reminder was sent (what tells late from on time), in bounded
    queries."""
    by_key = {keys.reminder(w.prompt_id): w.prompt_id for kr in weeks.values() for w in kr.weeks if w.checked_in}
    return {by_key[key] for key in sent(by_key, session=session)}


def team_participation(team: Team, *, session: Session, now: datetime) -> TeamParticipation | None:
    """One team's participation this cycle, in four queries."""
    first_day, last_day = days_around(now=now)
    rows = live_key_results(session=session, first_day=first_day, last_day=last_day, team_ids=[team.id])
    weeks = kr_weeks([r.kr.id for r in rows], session=session, now=now)
    return participation_of(team, rows, weeks, reminded_prompts(weeks, session=session),
                            on=local_day(team.timezone, now=now))
