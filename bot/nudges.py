"""Nudges after three missed weeks in a row, and one reminder on the owner's next working morning.

Both jobs derive what is due from the database (bot.missed) on every tick and send through the outbox, so a
repeated tick, a restart or two processes never send the same DM twice.

Nudges are grouped: an owner's KRs whose streaks begin at the same missed week reach three together (they share
the owner's weekly prompts), so they get one DM, and each lead one DM listing their team's KRs among them. The
streak is named by its first missed week (a prompt id): a check-in ends the streak, and a later streak begins at a
different week, so it is nudged again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlmodel import Session, select

from bot import blocks_nudges
from bot.missed import KRWeeks, kr_weeks
from bot.people import send_dm
from bot.prompts import prompt_key
from bot.schedule import local_instant, zone
from storage.models import Person, Prompt
from storage.outbox import Report, deliver_once
from storage.queries import ActiveKR, active_key_results, leads_by_team, sent_deliveries

logger = logging.getLogger(__name__)

NUDGE_AFTER = 3
WORK_START = time(9, 0)
WORK_END = time(18, 0)
WEEK = timedelta(days=7)
# A reminder this close to the next prompt would land on top of next week's DM (a prompt sent late, after
# downtime, would otherwise be chased by its reminder within the hour).
QUIET_BEFORE_NEXT = timedelta(hours=12)


def nudge_key(streak_start_prompt_id: int, owner_id: str) -> str:
    """The outbox key of an owner's nudge for the streak that began with that prompt's week."""
    return f"nudge:{streak_start_prompt_id}:{owner_id}:owner"


def lead_nudge_key(streak_start_prompt_id: int, owner_id: str, lead_id: str) -> str:
    """The outbox key of a lead's DM about an owner's streak."""
    return f"nudge:{streak_start_prompt_id}:{owner_id}:lead:{lead_id}"


def reminder_key(prompt_id: int) -> str:
    """The outbox key of a week's reminder."""
    return f"reminder:{prompt_id}"


def deliver(key: str, kind: str, send: Callable[[], dict], now: datetime, *, session: Session,
            report: Report) -> None:
    """Send through the outbox and note the outcome in the report."""
    report.note(deliver_once(key, kind, now, session=session, send=send), key)


def _live(now: datetime, *, session: Session, days_back: int = 1) -> list[ActiveKR]:
    day = now.date()
    return active_key_results(session=session, first_day=day - timedelta(days=days_back),
                              last_day=day + timedelta(days=1))


def send_due_nudges(now: datetime, *, session: Session, client: WebClient) -> Report:
    """Nudge owners (and DM their leads) once per streak of NUDGE_AFTER or more missed weeks of a live KR."""
    report = Report()
    rows = _live(now, session=session)
    weeks = kr_weeks([r.kr.id for r in rows], session=session, now=now)
    groups: dict[tuple[int, str], list[tuple[ActiveKR, KRWeeks]]] = defaultdict(list)
    for row in rows:
        w = weeks.get(row.kr.id)
        # A check-in (or a skip) in the open week means the owner is back: nudging now would be noise.
        if w is None or w.missed_streak < NUDGE_AFTER or w.checked_in_this_week:
            continue
        groups[(w.streak_start.prompt_id, row.kr.owner_id)].append((row, w))
    if not groups:
        return report
    leads = leads_by_team({row.team.id for members in groups.values() for row, _ in members}, session=session)

    planned: list[tuple[str, str, Callable[[], tuple[str, list[dict]]]]] = []  # key, recipient, message
    for (start, owner_id), members in groups.items():
        krs = [row for row, _ in members]
        streak = min(w.missed_streak for _, w in members)
        planned.append((nudge_key(start, owner_id), owner_id,
                        partial(blocks_nudges.nudge_message, krs, weeks=streak)))
        by_lead: dict[str, list[ActiveKR]] = defaultdict(list)
        for row in krs:
            for lead_id in leads.get(row.team.id, []):
                if lead_id != owner_id:
                    by_lead[lead_id].append(row)
        planned += [(lead_nudge_key(start, owner_id, lead_id), lead_id,
                     partial(blocks_nudges.lead_nudge_message, owner_id, lead_krs, weeks=streak))
                    for lead_id, lead_krs in by_lead.items()]

    done = sent_deliveries([key for key, *_ in planned], session=session)
    for key, recipient, message in planned:
        if key in done:
            continue
        try:
            send = send_dm(recipient, *message(), session=session, client=client)
            deliver(key, "nudge", send, now, session=session, report=report)
        except Exception:
            session.rollback()
            logger.exception("nudge %s failed; it will be retried on the next tick", key)
            report.failed.append(key)
    return report


def reminder_at(delivered_at: datetime, tz: ZoneInfo) -> datetime:
    """09:00 local on the first working day (Monday-Friday) after the day the prompt reached the owner."""
    day = delivered_at.astimezone(tz).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return local_instant(day, WORK_START, tz)


def is_working_time(now: datetime, tz: ZoneInfo) -> bool:
    """Whether it is 09:00-18:00 on a Monday to Friday on the owner's wall clock."""
    local = now.astimezone(tz)
    return local.weekday() < 5 and WORK_START <= local.time() < WORK_END


def reminder_due(now: datetime, *, due_at: datetime, delivered_at: datetime, tz: ZoneInfo) -> bool:
    """Whether a week's reminder may go out at `now`: from the reminder morning, in working hours, in the week."""
    week_end = due_at + WEEK
    return reminder_at(delivered_at, tz) <= now < week_end - QUIET_BEFORE_NEXT and is_working_time(now, tz)


def send_due_reminders(now: datetime, *, session: Session, client: WebClient) -> Report:
    """Remind each owner once a week, on their next working morning, of the KRs the open week still lacks."""
    report = Report()
    rows = {r.kr.id: r for r in _live(now, session=session, days_back=8)}
    weeks = kr_weeks(rows, session=session, now=now)
    missing: dict[int, list[ActiveKR]] = defaultdict(list)
    due: dict[int, datetime] = {}
    for kr_id, w in weeks.items():
        week = w.current
        # Only the open week of each KR, not skipped, not over (its next prompt may not exist yet), not done.
        if week.skipped or now >= week.due_at + WEEK:
            continue
        due[week.prompt_id] = week.due_at
        if not week.checked_in:
            missing[week.prompt_id].append(rows[kr_id])
    if not missing:
        return report
    keys = {prompt_id: reminder_key(prompt_id) for prompt_id in missing}
    done = sent_deliveries([*keys.values(), *(prompt_key(p) for p in missing)], session=session)
    prompts = {p.id: p for p in session.exec(select(Prompt).where(Prompt.id.in_(list(missing))))}
    people = {p.user_id: p for p in session.exec(
        select(Person).where(Person.user_id.in_([p.user_id for p in prompts.values()])))}

    for prompt_id, krs in missing.items():
        prompt = prompts[prompt_id]
        delivered = done.get(prompt_key(prompt_id))
        # No reminder for a prompt that has not reached the owner yet: there is nothing to remind them of.
        if keys[prompt_id] in done or delivered is None:
            continue
        person = people.get(prompt.user_id)
        tz = zone(person.tz if person else None) or zone(krs[0].team.timezone) or zone("UTC")
        if not reminder_due(now, due_at=due[prompt_id], delivered_at=max(delivered.sent_at, prompt.due_at), tz=tz):
            continue
        text, message_blocks = blocks_nudges.reminder_message(krs, prompt_id=prompt_id)
        try:
            send = send_dm(prompt.user_id, text, message_blocks, session=session, client=client)
            deliver(keys[prompt_id], "reminder", send, now, session=session, report=report)
        except Exception:
            session.rollback()
            logger.exception("reminder %s failed; it will be retried on the next tick", keys[prompt_id])
            report.failed.append(keys[prompt_id])
    return report

