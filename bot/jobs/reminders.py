"""One reminder a week, on the owner's next working morning, of the KRs the open week still lacks.

Derived from the database (the owner's prompts, check-ins and the outbox) on every tick, so a repeated tick, a
restart or two processes never send the same reminder twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import partial

from slack_sdk import WebClient
from sqlmodel import Session

from bot.jobs.sending import Message, Report, Sender
from bot.reports.weeks import kr_weeks
from bot.rules.cadence import reminder_due
from bot.rules.next_due import NEVER, earliest, next_reminder
from bot.rules.schedule import WEEK, days_around, owner_zone
from bot.views.nudges import reminder_message
from storage import keys
from storage.okrs import ActiveKR, live_key_results_by_owner
from storage.outbox import sent
from storage.people import person_rows
from storage.prompts import prompt_owners


def send_due_reminders(*, now: datetime, session: Session, client: WebClient) -> Report:
    """Remind each owner once a week, on their next working morning, of the KRs the open week still lacks."""
    sender = Sender(now=now, session=session, client=client)
    first_day, last_day = days_around(now=now, back=8)
    # Prompt id -> when its reminder is due, for the weeks whose reminder is not due yet.
    later: dict[int, datetime | None] = {}
    # Owner by owner in batches (an owner's open weeks and teams are all in one batch): at 100,000 owners holding
    # every KR and week at once was most of the job's memory.
    for rows in live_key_results_by_owner(session=session, first_day=first_day, last_day=last_day):
        sender.send_all(_due_reminders({r.kr.id: r for r in rows}, later, now=now, session=session))
    # A week's reminder becomes due at a working morning; the prompt's delivery and check-ins are writes.
    # Reminders sent already (this morning, before working hours ended) will not be due again.
    pending = [keys.reminder(p) for p, at in later.items() if at is not None]
    done = sent(pending, session=session) if pending else {}
    sender.report.next_due = earliest(at for p, at in later.items() if keys.reminder(p) not in done)
    return sender.report


def _due_reminders(rows: dict[int, ActiveKR], later: dict[int, datetime | None], *, now: datetime,
                   session: Session) -> list[Message]:
    """The reminders due at `now` among these KRs' open weeks; the weeks whose reminder is still to come go into
    `later`, with when."""
    weeks = kr_weeks(rows, session=session, now=now)
    # An owner follows the holiday calendars of every team they own live KRs in.
    calendars: dict[str, set[str | None]] = defaultdict(set)
    for row in rows.values():
        calendars[row.kr.owner_id].add(row.team.holidays)
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
        return []
    delivered = sent([keys.prompt(p) for p in missing], session=session)
    prompts = prompt_owners(missing, session=session)
    people = person_rows({owner for owner, _ in prompts.values()}, session=session)
    messages = []
    for prompt_id, krs in missing.items():
        owner_id, due_at = prompts[prompt_id]
        prompted = delivered.get(keys.prompt(prompt_id))
        # No reminder for a prompt that has not reached the owner yet: there is nothing to remind them of.
        if prompted is None:
            continue
        person = people.get(owner_id)
        if person is not None and person.deactivated_at is not None:
            continue
        tz = owner_zone(person.tz if person else None, krs[0].team.timezone)
        delivered_at = max(prompted.sent_at, due_at)
        if not reminder_due(now=now, due_at=due[prompt_id], delivered_at=delivered_at, tz=tz,
                            calendars=calendars[owner_id]):
            later[prompt_id] = next_reminder(now=now, due_at=due[prompt_id], delivered_at=delivered_at, tz=tz,
                                             calendars=calendars[owner_id])
            continue
        key = keys.reminder(prompt_id)
        messages.append(Message(key, "reminder", key, partial(reminder_message, krs, prompt_id=prompt_id),
                                to_user=owner_id))
    return messages
