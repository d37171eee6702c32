"""The weekly check-in prompt: which owners are due at `now`, claimed in the database, then sent."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot import blocks
from bot.people import ensure_dm_channel, get_person, refresh_zones
from bot.schedule import most_recent_slot, parse_hhmm, week_key, zone
from storage.models import Prompt, PromptItem
from storage.outbox import deliver_once
from storage.queries import ActiveKR, active_key_results, latest_checkins

logger = logging.getLogger(__name__)

@dataclass
class PromptReport:
    """What one run of the prompt job did."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: int = 0


def send_due_prompts(now: datetime, *, session: Session, client: WebClient) -> PromptReport:
    """Send every weekly prompt due at `now` that has not been sent, at most one per owner, schedule and week."""
    report = PromptReport()
    # Owners' zones span UTC-12..+14: look a day either side, then check each owner's own local date.
    day = now.date()
    rows = active_key_results(session=session, first_day=day - timedelta(days=8), last_day=day + timedelta(days=1))
    by_owner: dict[str, list[ActiveKR]] = defaultdict(list)
    for row in rows:
        by_owner[row.kr.owner_id].append(row)
    refresh_zones(by_owner, session=session, client=client, now=now)
    session.commit()
    for owner_id, owned in by_owner.items():
        try:
            _prompt_owner(owner_id, owned, now, session=session, client=client, report=report)
        except Exception:
            session.rollback()
            logger.exception("prompt for %s failed; it will be retried on the next tick", owner_id)
            report.failed.append(owner_id)
    return report


def _prompt_owner(owner_id: str, owned: list[ActiveKR], now: datetime, *, session: Session, client: WebClient,
                  report: PromptReport) -> None:
    person = get_person(owner_id, session=session)
    tz = zone(person.tz) or zone(owned[0].team.timezone) or zone("UTC")

    # One prompt per owner per schedule: owners in teams with the same check-in slot get a single DM.
    groups: dict[tuple[int, time], list[ActiveKR]] = defaultdict(list)
    for row in owned:
        groups[(row.team.checkin_day, parse_hhmm(row.team.checkin_time))].append(row)

    for (weekday, at), rows in groups.items():
        local_day, due = most_recent_slot(now, tz, weekday, at)
        due_rows = [r for r in rows if r.cycle.start <= local_day <= r.cycle.end]
        if not due_rows:
            continue
        prompt = _week(owner_id, week_key(local_day, at), due, [r.kr.id for r in due_rows], session=session)
        _deliver(prompt, person, due_rows, now, session=session, client=client, report=report)


def _week(owner_id: str, key: str, due: datetime, kr_ids: list[int], *, session: Session) -> Prompt:
    """The owner's prompt row for that week, created on first sight (concurrent creators agree on one row)."""
    prompt = session.exec(select(Prompt).where(Prompt.user_id == owner_id, Prompt.week_key == key)).first()
    if prompt is None:
        prompt = Prompt(user_id=owner_id, week_key=key, due_at=due)
        session.add(prompt)
        try:
            session.commit()
        except sa.exc.IntegrityError:
            session.rollback()
            prompt = session.exec(select(Prompt).where(Prompt.user_id == owner_id, Prompt.week_key == key)).one()
    known = set(session.exec(select(PromptItem.kr_id).where(PromptItem.prompt_id == prompt.id)).all())
    new = [PromptItem(prompt_id=prompt.id, kr_id=k) for k in kr_ids if k not in known]
    if new:
        session.add_all(new)
        try:
            session.commit()
        except sa.exc.IntegrityError:
            session.rollback()  # another process recorded the same items
    return prompt


def prompt_key(prompt_id: int) -> str:
    """The outbox key of a prompt's DM."""
    return f"prompt:{prompt_id}"


def _deliver(prompt: Prompt, person, rows: list[ActiveKR], now: datetime, *, session: Session, client: WebClient,
             report: PromptReport) -> None:
    latest = latest_checkins([r.kr.id for r in rows], session=session)
    text, message_blocks = blocks.prompt_message(rows, latest, prompt_id=prompt.id)

    def send():
        channel = ensure_dm_channel(person, client=client)
        return client.chat_postMessage(channel=channel, text=text, blocks=message_blocks)

    outcome = deliver_once(prompt_key(prompt.id), "prompt", now, session=session, send=send)
    if outcome.sent:
        report.sent.append(prompt.user_id)
    elif outcome.status == "failed":
        report.failed.append(prompt.user_id)
    else:
        report.skipped += 1
