"""Confidence-drop alerts: team leads hear at once when a KR goes green -> red, or red for the first time.

Alerts are derived from the stored check-ins (each compared with the KR's previous one) and sent through the
outbox under "alert:<checkin id>:<lead id>". The check-in listener runs the sender right after answering Slack,
and the tick runs it again, so a failed send is retried and nothing is sent twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
import sqlalchemy as sa
from sqlmodel import Session, select

from bot import blocks_nudges
from bot.nudges import deliver
from bot.people import send_dm
from bot.scoring import is_sharp_drop
from storage.models import CheckIn
from storage.outbox import Report
from storage.queries import key_results_by_id, leads_by_team, sent_deliveries

logger = logging.getLogger(__name__)

# Check-ins older than this are not alerted on any more: after a week the news is stale and the digest covers it.
ALERT_WINDOW = timedelta(days=7)


def alert_key(checkin_id: int, lead_id: str) -> str:
    """The outbox key of one lead's alert about one check-in."""
    return f"alert:{checkin_id}:{lead_id}"


def sharp_drops(now: datetime, *, session: Session) -> list[tuple[CheckIn, CheckIn | None]]:
    """Recent check-ins that went green -> red or were their KR's first red, each with the check-in before it."""
    # The comparison with each KR's history runs in the database (window functions), so only the last week's rows
    # come back, as plain tuples: a tick must not load a quarter of check-ins into memory to find a few alerts.
    order = (CheckIn.created_at, CheckIn.id)
    recent_krs = select(CheckIn.kr_id).where(CheckIn.created_at > now - ALERT_WINDOW, CheckIn.created_at <= now)
    ranked = (
        select(
            CheckIn.id, CheckIn.created_at, CheckIn.confidence,
            sa.func.lag(CheckIn.confidence).over(partition_by=CheckIn.kr_id, order_by=order).label("old"),
            sa.func.lag(CheckIn.id).over(partition_by=CheckIn.kr_id, order_by=order).label("old_id"),
            sa.func.max(sa.case((CheckIn.confidence == "red", 1), else_=0))
            .over(partition_by=CheckIn.kr_id, order_by=order, rows=(None, -1)).label("red_before"),
        )
        .where(CheckIn.kr_id.in_(recent_krs), CheckIn.created_at <= now)
        .subquery()
    )
    rows = session.exec(select(ranked.c.id, ranked.c.confidence, ranked.c.old, ranked.c.old_id,
                               ranked.c.red_before)
                        .where(ranked.c.created_at > now - ALERT_WINDOW, ranked.c.confidence == "red")).all()
    hits = [(cid, old_id) for cid, new, old, old_id, red_before in rows
            if is_sharp_drop(old, new, first_red=not red_before)]
    if not hits:
        return []
    wanted = {cid for cid, _ in hits} | {old_id for _, old_id in hits if old_id is not None}
    loaded = {c.id: c for c in session.exec(select(CheckIn).where(CheckIn.id.in_(wanted)))}
    return [(loaded[cid], loaded.get(old_id)) for cid, old_id in hits]


def send_due_alerts(now: datetime, *, session: Session, client: WebClient) -> Report:
    """DM every lead of the KR's team about each sharp confidence drop not alerted yet."""
    report = Report()
    drops = sharp_drops(now, session=session)
    if not drops:
        return report
    rows = key_results_by_id({c.kr_id for c, _ in drops}, session=session)
    leads = leads_by_team({row.team.id for row in rows.values()}, session=session)
    planned = []
    for checkin, previous in drops:
        row = rows[checkin.kr_id]
        for lead_id in leads.get(row.team.id, []):
            # A lead who typed the check-in, or owns the KR, knows already.
            if lead_id not in (checkin.author_id, row.kr.owner_id):
                planned.append((alert_key(checkin.id, lead_id), lead_id, row, checkin, previous))
    done = sent_deliveries([key for key, *_ in planned], session=session)
    for key, lead_id, row, checkin, previous in planned:
        if key in done:
            continue
        text, message_blocks = blocks_nudges.alert_message(row, checkin, previous)
        try:
            send = send_dm(lead_id, text, message_blocks, session=session, client=client)
            deliver(key, "alert", send, now, session=session, report=report)
        except Exception:
            session.rollback()
            logger.exception("alert %s failed; it will be retried on the next tick", key)
            report.failed.append(key)
    return report
