"""A team's KRs over its cycle, week by week, for the chart: each KR's score and confidence at each week's end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.rules.schedule import days_around, local_day
from bot.rules.scoring import expected_fraction, kr_score
from storage.checkins import recent_checkins
from storage.models import Team
from storage.okrs import live_key_results


@dataclass(frozen=True)
class KRTrend:
    """One KR's line: its score at the end of each week, and the confidence of that week's check-in (None without)."""

    title: str
    scores: tuple[float, ...]
    confidences: tuple[str | None, ...]


@dataclass(frozen=True)
class TeamChart:
    """The weeks of a team's cycle so far, the pace line, and a line per live KR."""

    team: str
    cycle: str
    weeks: tuple[date, ...]
    expected: tuple[float, ...]
    krs: tuple[KRTrend, ...]


def team_chart(team: Team, *, session: Session, now: datetime) -> TeamChart | None:
    """The chart of the team's running cycle up to today (its own date), in two queries; None without live KRs."""
    first_day, last_day = days_around(now=now)
    rows = live_key_results(session=session, first_day=first_day, last_day=last_day, team_ids=[team.id])
    today = local_day(team.timezone, now=now)
    rows = [r for r in rows if r.cycle.start <= today <= r.cycle.end]
    if not rows:
        return None
    cycle = rows[0].cycle
    rows = [r for r in rows if r.cycle.id == cycle.id]
    weeks = tuple(cycle.start + timedelta(weeks=n) for n in range((today - cycle.start).days // 7 + 1))
    since = datetime.combine(cycle.start, datetime.min.time(), tzinfo=now.tzinfo) - timedelta(days=1)
    recent = recent_checkins([r.kr.id for r in rows], session=session, now=now, history_since=since)
    krs = []
    for row in rows:
        history = [(local_day(team.timezone, now=c.created_at), c.value, c.confidence)
                   for c in recent.history.get(row.kr.id, ())]
        scores, confidences = [], []
        for week in weeks:
            value, confidence = row.kr.baseline, None
            for day, checked, said in history:
                if day > week + timedelta(days=6):
                    break
                # The value carries on from week to week; a confidence belongs to the week it was said in.
                value, confidence = checked, (said if day >= week else None)
            scores.append(kr_score(row.kr.baseline, row.kr.target, value))
            confidences.append(confidence)
        krs.append(KRTrend(row.kr.title, tuple(scores), tuple(confidences)))
    expected = tuple(expected_fraction(cycle.start, cycle.end, min(week + timedelta(days=6), cycle.end))
                     for week in weeks)
    return TeamChart(team.name, cycle.name, weeks, expected, tuple(krs))
