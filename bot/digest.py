"""The weekly digest: one message per team in its channel at the team's digest day and time, sent once per week.

"Not checked in this week" lists the owners of KRs whose current week (from their latest prompt) has no check-in
and was not skipped. A KR that was never prompted (just imported, say) is left out: nobody has asked its owner yet.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from slack_sdk import WebClient
from sqlmodel import Session

from bot import blocks_digest
from bot.missed import KRWeeks, kr_weeks
from bot.schedule import WEEKDAYS, most_recent_slot, parse_hhmm, zone
from bot.scoring import kr_score
from bot.status import KRStatus, TeamStatus, assemble, live_window, local_day, no_such_team, team_name_of
from storage.models import Team
from storage.outbox import Report, deliver_once
from storage.queries import ActiveKR
from storage.reporting import (
    RecentCheckins,
    delivered_keys,
    find_team,
    key_results_of_teams,
    recent_checkins,
    team_names,
    live_team_cycles,
    teams_of_user,
)

logger = logging.getLogger(__name__)

WEEK = timedelta(days=7)
MISSED_WEEKS = 3
MOVERS = 3
# Score changes smaller than this are rounding, not movement.
MOVE_EPSILON = 0.005
# Teams whose digests are due in the same tick are read together, this many at a time (bounded IN lists).
TEAMS_PER_BATCH = 50


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
    schedule: str
    moves: tuple[ConfidenceMove, ...]
    movers: tuple[Mover, ...]
    not_checked_in: tuple[str, ...]
    missed: tuple[MissedKR, ...]


def digest_key(team_id: int, week_of: date) -> str:
    """The outbox key of a team's digest for the week starting on its local digest date."""
    return f"digest:{team_id}:{week_of.isoformat()}"


def schedule_text(team: Team) -> str:
    """'Mondays at 09:00 (Europe/London)'."""
    day = WEEKDAYS[team.digest_day % 7].capitalize()
    return f"{day}s at {team.digest_time} ({team.timezone})"


def digest_slot(team: Team, now: datetime) -> tuple[date, datetime] | None:
    """The team's latest digest slot at or before `now` (its local date and instant); None if its time is unreadable."""
    try:
        at = parse_hhmm(team.digest_time)
    except ValueError:
        return None
    return most_recent_slot(now, zone(team.timezone) or zone("UTC"), team.digest_day % 7, at)


def build_digest(team: Team, rows: Sequence[ActiveKR], recent: RecentCheckins, weeks: dict[int, KRWeeks], *,
                 now: datetime, week_of: date, on: date) -> Digest | None:
    """The digest of one team from its KRs, their recent check-ins and weeks; None when no KR is live on `on`."""
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
        if abs(kr.score - then) >= MOVE_EPSILON:
            movers.append(Mover(kr, then, kr.score))
    movers.sort(key=lambda m: -abs(m.change))
    late: list[str] = []
    for kr in krs:
        week = weeks.get(kr.id)
        if week is not None and not week.checked_in_this_week and kr.owner_id not in late:
            late.append(kr.owner_id)
    missed = sorted((MissedKR(kr, weeks[kr.id].missed_streak) for kr in krs
                     if kr.id in weeks and weeks[kr.id].missed_streak >= MISSED_WEEKS), key=lambda m: -m.weeks)
    return Digest(team=status, week_of=week_of, schedule=schedule_text(team), moves=tuple(moves),
                  movers=tuple(movers[:MOVERS]), not_checked_in=tuple(late), missed=tuple(missed))


def digest_inputs(rows: Sequence[ActiveKR], *, session: Session, now: datetime
                  ) -> tuple[RecentCheckins, dict[int, KRWeeks]]:
    """Recent check-ins (with last week's) and the check-in weeks of these KRs, in three queries."""
    ids = [r.kr.id for r in rows]
    recent = recent_checkins(ids, session=session, now=now, since=now - WEEK)
    return recent, kr_weeks(ids, session=session, now=now)


def team_digest(team: Team, *, session: Session, now: datetime) -> Digest | None:
    """The team's digest as it would read at `now`, in four queries (for the preview and the benchmark)."""
    slot = digest_slot(team, now)
    week_of = slot[0] if slot else local_day(team, now)
    first_day, last_day = live_window(now)
    rows = key_results_of_teams([team.id], session=session, first_day=first_day, last_day=last_day)
    recent, weeks = digest_inputs(rows, session=session, now=now)
    return build_digest(team, rows, recent, weeks, now=now, week_of=week_of, on=local_day(team, now))


def send_due_digests(now: datetime, *, session: Session, client: WebClient) -> Report:
    """Post every team's digest due at `now` that has not been posted: once per team and week, late but never for a
    week that is over (the most recent slot is always the current week's)."""
    report = Report()
    day = now.date()
    # A digest sent late (after downtime) can belong to a slot up to a week back, in a zone up to a day away.
    first_day, last_day = day - timedelta(days=8), day + timedelta(days=1)
    due: dict[int, tuple[Team, date]] = {}
    for team, cycle in live_team_cycles(session=session, first_day=first_day, last_day=last_day):
        slot = digest_slot(team, now)
        if slot is None:
            logger.warning("team %s has an unreadable digest time %r; no digest", team.name, team.digest_time)
        elif cycle.start <= slot[0] <= cycle.end:
            # Only a cycle covering the digest's own local date counts, so a finished cycle sends nothing.
            due[team.id] = (team, slot[0])
    done = delivered_keys([digest_key(t.id, d) for t, d in due.values()], session=session)
    todo = [(t, d) for t, d in due.values() if digest_key(t.id, d) not in done]
    report.skipped += len(done)
    for start in range(0, len(todo), TEAMS_PER_BATCH):
        batch = todo[start:start + TEAMS_PER_BATCH]
        rows = key_results_of_teams([t.id for t, _ in batch], session=session, first_day=first_day,
                                    last_day=last_day)
        recent, weeks = digest_inputs(rows, session=session, now=now)
        by_team: dict[int, list[ActiveKR]] = {}
        for row in rows:
            by_team.setdefault(row.team.id, []).append(row)
        for team, week_of in batch:
            try:
                _post(team, week_of, by_team.get(team.id, []), recent, weeks, now, session=session, client=client,
                      report=report)
            except Exception:
                session.rollback()
                logger.exception("digest for %s failed; it will be retried on the next tick", team.name)
                report.failed.append(team.name)
    return report


def _post(team: Team, week_of: date, rows: list[ActiveKR], recent: RecentCheckins, weeks: dict[int, KRWeeks],
          now: datetime, *, session: Session, client: WebClient, report: Report) -> None:
    digest = build_digest(team, rows, recent, weeks, now=now, week_of=week_of, on=week_of)
    if digest is None:
        # No KR of this team is in a cycle covering the digest's date (the cycle ended or has not begun).
        report.skipped += 1
        return
    text, message_blocks = blocks_digest.digest_message(digest)
    outcome = deliver_once(digest_key(team.id, week_of), "digest", now, session=session,
                           send=lambda: client.chat_postMessage(channel=team.channel, text=text,
                                                                blocks=message_blocks))
    report.note(outcome, team.name)


USAGE = ("`/okr digest preview` shows you this week's digest of your team now, without posting it; "
         "`/okr digest TEAM preview` does so for any team. Digests are posted to each team's channel on its "
         "digest day and time.")


def digest_reply(args: Sequence[str], caller: str, *, session: Session, now: datetime
                 ) -> tuple[str, list[dict] | None]:
    """The answer to `/okr digest [TEAM] preview`: the digest for the caller alone, or how to ask for it."""
    if not args or args[-1].lower() != "preview":
        return USAGE, None
    name = team_name_of(args[:-1])
    if name:
        team = find_team(name, session=session)
        if team is None:
            return no_such_team(name, session=session), None
    else:
        first_day, last_day = live_window(now)
        mine = teams_of_user(caller, session=session, first_day=first_day, last_day=last_day)
        if len(mine) != 1:
            names = [t.name for t in mine] or team_names(session=session)
            which = "You are in several teams" if mine else "You are in no team"
            listed = ", ".join(blocks_digest.escape(n) for n in names[:40])
            return f"{which}; name one: `/okr digest TEAM preview`. Teams: {listed or 'none yet'}.", None
        team = mine[0]
    digest = team_digest(team, session=session, now=now)
    if digest is None:
        return f"{blocks_digest.escape(team.name)} has no live key results, so there is no digest to show.", None
    return blocks_digest.digest_message(digest, preview=True)

