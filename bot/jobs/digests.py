"""The weekly digest: one message per team in its channel at the team's digest day and time, sent once per week."""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import partial

from slack_sdk import WebClient
from sqlmodel import Session

from bot.jobs.sending import Message, Report, Sender
from bot.reports.digest import build_digest, digest_inputs, digest_slot
from bot.rules.next_due import earliest, next_weekly
from bot.rules.schedule import days_around, parse_hhmm, zone
from bot.rules.weeks import KRWeeks
from bot.views.digest import digest_messages
from storage import keys
from storage.db import recover
from storage.checkins import RecentCheckins
from storage.models import Team
from storage.okrs import ActiveKR, live_key_results
from storage.outbox import DONE
from storage.problems import deactivated
from storage.teams import live_team_cycles

logger = logging.getLogger(__name__)

# Teams whose digests are due in the same tick are read together, this many at a time: a batch costs four reads,
# so 200 keep a digest near its two statements (claim and mark), and the IN lists of teams of up to 25 KRs under
# storage.db.CHUNK.
TEAMS_PER_BATCH = 200


def send_due_digests(*, now: datetime, session: Session, client: WebClient) -> Report:
    """Post every team's digest due at `now` that has not been posted: once per team and week, late but never for a
    week that is over (the most recent slot is always the current week's)."""
    sender = Sender(now=now, session=session, client=client)
    # A digest sent late (after downtime) can belong to a slot up to a week back, in a zone up to a day away.
    first_day, last_day = days_around(now=now, back=8)
    due: dict[int, tuple[Team, date]] = {}
    pairs = live_team_cycles(session=session, first_day=first_day, last_day=last_day)
    sender.report.next_due = _next_due([team for team, _ in pairs], now=now)
    for team, cycle in pairs:
        slot = digest_slot(team, now=now)
        if slot is None:
            logger.warning("team %s has an unreadable digest time %r; no digest", team.name, team.digest_time)
        elif slot[1] is not None and cycle.start <= slot[0] <= cycle.end:
            # Only a cycle covering the digest's own local date counts, so a finished cycle sends nothing.
            due[team.id] = (team, slot[0])
    planned = {keys.digest(team.id, week_of): (team, week_of) for team, week_of in due.values()}
    # Sent, or held for a person (its last part's key, or its first part's when a long digest's first part was
    # refused): either way not built, in one query.
    firsts = {key: keys.digest_part(team.id, week_of, 1, 2) for key, (team, week_of) in planned.items()}
    done = sender.settle([*planned, *firsts.values()])
    todo = [key for key in planned if done.get(key) not in DONE and done.get(firsts[key]) != "held"]
    sender.report.skipped += len(planned) - len(todo)
    for start in range(0, len(todo), TEAMS_PER_BATCH):
        batch = [planned[key] for key in todo[start:start + TEAMS_PER_BATCH]]
        rows = live_key_results(session=session, first_day=first_day, last_day=last_day,
                                team_ids=[t.id for t, _ in batch])
        recent, weeks, reminded = digest_inputs(rows, session=session, now=now)
        gone = deactivated({row.kr.owner_id for row in rows}, session=session)
        by_team: dict[int, list[ActiveKR]] = {}
        for row in rows:
            by_team.setdefault(row.team.id, []).append(row)

        for team, week_of in batch:
            try:
                parts = _digest(team, by_team.get(team.id, []), recent, weeks, now=now, week_of=week_of, gone=gone,
                                reminded=reminded)
            except Exception:
                recover(session)
                logger.exception("digest of team %s failed to build; it will be retried on the next tick", team.name)
                sender.report.fail(team.name)
                continue
            if not parts:
                sender.report.skipped += 1
                continue
            messages = [Message(keys.digest_part(team.id, week_of, number, len(parts)), "digest", team.name,
                                partial(_built, part), channel=team.channel)
                        for number, part in enumerate(parts, start=1)]
            if len(messages) == 1:
                sender.send(messages[0])
            else:
                _send_in_order(sender, messages)
    return sender.report


def _next_due(teams: list[Team], *, now: datetime) -> datetime:
    """The first instant after `now` at which any of these teams' digest slots falls due (holidays moved)."""
    slots: dict[tuple, datetime] = {}
    for team in teams:
        key = (team.timezone, team.digest_day, team.digest_time, team.holidays)
        if key in slots:
            continue
        try:
            at = parse_hhmm(team.digest_time)
        except ValueError:
            continue
        slots[key] = next_weekly(zone(team.timezone) or zone("UTC"), team.digest_day % 7, at, [team.holidays],
                                 now=now)
    return earliest(slots.values())


def _built(part: tuple[str, list[dict]]) -> tuple[str, list[dict]]:
    return part


def _send_in_order(sender: Sender, messages: list[Message]) -> None:
    # Each part once (after a restart the parts already posted are skipped), and never one before the part ahead
    # of it: a part that fails or that another process holds stops the rest until the next tick.
    for message in sender.unsent(messages):
        before = len(sender.report.sent)
        sender.send(message)
        if len(sender.report.sent) == before:
            break


def _digest(team: Team, rows: list[ActiveKR], recent: RecentCheckins, weeks: dict[int, KRWeeks], *, now: datetime,
            week_of: date, gone: set[str], reminded: set[int]) -> list[tuple[str, list[dict]]]:
    # No KR of the team in a cycle covering the digest's date (it ended or has not begun): nothing to say.
    digest = build_digest(team, rows, recent, weeks, now=now, week_of=week_of, on=week_of, gone=gone,
                          reminded=reminded)
    return [] if digest is None else digest_messages(digest)
