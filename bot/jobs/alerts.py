"""Confidence-drop alerts: team leads hear at once when a KR goes green -> red, or red for the first time.

Alerts are derived from the stored check-ins (each compared with the KR's previous one) and sent through the
outbox under storage.keys.alert. The check-in listener runs the sender right after answering Slack, and the tick
runs it again, so a failed send is retried and nothing is sent twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from slack_sdk import WebClient
from sqlmodel import Session

from bot.jobs.sending import Message, Report, Sender
from bot.rules.next_due import NEVER
from bot.rules.scoring import is_sharp_drop
from bot.views.alerts import alert_message
from storage import keys
from storage.checkins import checkins_by_id, red_checkins_since
from storage.models import CheckIn
from storage.okrs import key_results_by_id
from storage.teams import leads_by_team

# Check-ins older than this are not alerted on any more: after a week the news is stale and the digest covers it.
ALERT_WINDOW = timedelta(days=7)


def sharp_drops(*, now: datetime, session: Session) -> list[tuple[CheckIn, CheckIn | None]]:
    """Recent check-ins that went green -> red or were their KR's first red, each with the check-in before it."""
    hits = [(cid, old_id) for cid, old_id, old, red_before in red_checkins_since(now - ALERT_WINDOW, session=session,
                                                                                  now=now)
            if is_sharp_drop(old, "red", first_red=not red_before)]
    if not hits:
        return []
    loaded = checkins_by_id({cid for cid, _ in hits} | {old_id for _, old_id in hits if old_id is not None},
                            session=session)
    return [(loaded[cid], loaded.get(old_id)) for cid, old_id in hits]


def send_due_alerts(*, now: datetime, session: Session, client: WebClient) -> Report:
    """DM every lead of the KR's team about each sharp confidence drop not alerted yet."""
    sender = Sender(now=now, session=session, client=client)
    # Only a check-in (a write) makes an alert due.
    sender.report.next_due = NEVER
    drops = sharp_drops(now=now, session=session)
    if not drops:
        return sender.report
    rows = key_results_by_id({c.kr_id for c, _ in drops}, session=session)
    leads = leads_by_team({row.team.id for row in rows.values()}, session=session)
    messages = []
    for checkin, previous in drops:
        row = rows[checkin.kr_id]
        for lead_id in leads.get(row.team.id, []):
            # A lead who typed the check-in, or owns the KR, knows already.
            if lead_id not in (checkin.author_id, row.kr.owner_id):
                # Keyed by the week's first version: an edit of a check-in alerted already does not alert again.
                key = keys.alert(checkin.first_id or checkin.id, lead_id)
                messages.append(Message(key, "alert", key, partial(alert_message, row, checkin, previous),
                                        to_user=lead_id))
    return sender.send_all(messages)
