"""Nudges after three missed weeks in a row: one DM to the owner, and one to each of their leads.

Nudges are grouped: an owner's KRs whose streaks begin at the same missed week reach three together (they share
the owner's weekly prompts), so they get one DM, and each lead one DM listing their team's KRs among them. The
streak is named by its first missed week (a prompt id): a check-in ends the streak, and a later streak begins at a
different week, so it is nudged again.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import partial

from slack_sdk import WebClient
from sqlmodel import Session

from bot.jobs.sending import Message, Report, Sender
from bot.reports.weeks import kr_weeks
from bot.rules.cadence import NUDGE_AFTER
from bot.rules.next_due import NEVER
from bot.rules.schedule import days_around
from bot.rules.weeks import KRWeeks
from bot.views.nudges import lead_nudge_message, nudge_message
from storage import keys
from storage.okrs import ActiveKR, live_key_results_by_owner
from storage.problems import deactivated
from storage.teams import leads_by_team


def send_due_nudges(*, now: datetime, session: Session, client: WebClient) -> Report:
    """Nudge owners (and DM their leads) once per streak of NUDGE_AFTER or more missed weeks of a live KR."""
    sender = Sender(now=now, session=session, client=client)
    # Streaks grow only when a prompt is created, and end with a check-in: writes, which wake the tick by themselves.
    sender.report.next_due = NEVER
    first_day, last_day = days_around(now=now)
    groups: dict[tuple[int, str], list[tuple[ActiveKR, KRWeeks]]] = defaultdict(list)
    # Owner by owner in batches: only the few streaks long enough to nudge are kept.
    for rows in live_key_results_by_owner(session=session, first_day=first_day, last_day=last_day):
        weeks = kr_weeks([r.kr.id for r in rows], session=session, now=now)
        # A deactivated owner cannot be nudged; their leads were told once that the account is gone (jobs.problems).
        gone = deactivated({row.kr.owner_id for row in rows}, session=session)
        for row in rows:
            w = weeks.get(row.kr.id)
            if row.kr.owner_id in gone:
                continue
            # A check-in (or a skip) in the open week means the owner is back: nudging now would be noise.
            if w is None or w.missed_streak < NUDGE_AFTER or w.checked_in_this_week:
                continue
            groups[(w.streak_start.prompt_id, row.kr.owner_id)].append((row, w))
    if not groups:
        return sender.report
    leads = leads_by_team({row.team.id for members in groups.values() for row, _ in members}, session=session)
    messages: list[Message] = []
    for (start, owner_id), members in groups.items():
        krs = [row for row, _ in members]
        streak = min(w.missed_streak for _, w in members)
        key = keys.nudge(start, owner_id)
        messages.append(Message(key, "nudge", key, partial(nudge_message, krs, weeks=streak), to_user=owner_id))
        by_lead: dict[str, list[ActiveKR]] = defaultdict(list)
        for row in krs:
            for lead_id in leads.get(row.team.id, []):
                if lead_id != owner_id:
                    by_lead[lead_id].append(row)
        for lead_id, lead_krs in by_lead.items():
            key = keys.lead_nudge(start, owner_id, lead_id)
            messages.append(Message(key, "nudge", key, partial(lead_nudge_message, owner_id, lead_krs, weeks=streak),
                                    to_user=lead_id))
    return sender.send_all(messages)
