"""The weekly check-in prompt: which owners are due at `now`, claimed in the database, then sent."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, select

from bot import blocks
from bot.people import ensure_dm_channel, get_person, refresh_zones
from bot.schedule import most_recent_slot, parse_hhmm, week_key, zone
from storage.models import Prompt, PromptItem
from storage.queries import ActiveKR, active_key_results, latest_checkins

logger = logging.getLogger(__name__)

# A claim older than this was left by a process that died mid-send; another tick may take it over.
CLAIM_LEASE = timedelta(minutes=5)


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
        prompt = _claim(owner_id, week_key(local_day, at), due, [r.kr.id for r in due_rows], now, session=session)
        if prompt is None:
            report.skipped += 1
            continue
        _deliver(prompt, person, due_rows, now, session=session, client=client, report=report)


def _claim(owner_id: str, key: str, due: datetime, kr_ids: list[int], now: datetime, *,
           session: Session) -> Prompt | None:
    """Create or take over the week's prompt row; None when it is sent or another process holds it."""
    prompt = Prompt(user_id=owner_id, week_key=key, due_at=due, claimed_at=now, attempts=1)
    session.add(prompt)
    try:
        session.flush()
        session.add_all(PromptItem(prompt_id=prompt.id, kr_id=kr_id) for kr_id in kr_ids)
        session.commit()
        return prompt
    except sa.exc.IntegrityError:
        session.rollback()
    existing = session.exec(select(Prompt).where(Prompt.user_id == owner_id, Prompt.week_key == key)).one()
    if existing.sent_at is not None:
        return None
    if existing.claimed_at is not None and existing.claimed_at > now - CLAIM_LEASE:
        return None
    # Compare-and-set on the old claim so exactly one of several racing processes takes it over.
    taken = session.execute(
        sa.update(Prompt)
        .where(Prompt.id == existing.id, Prompt.sent_at.is_(None),
               Prompt.claimed_at.is_(None) if existing.claimed_at is None
               else Prompt.claimed_at == existing.claimed_at)
        .values(claimed_at=now, attempts=Prompt.attempts + 1)
    ).rowcount
    session.commit()
    if taken != 1:
        return None
    session.refresh(existing)
    known = set(session.exec(select(PromptItem.kr_id).where(PromptItem.prompt_id == existing.id)).all())
    session.add_all(PromptItem(prompt_id=existing.id, kr_id=k) for k in kr_ids if k not in known)
    session.commit()
    return existing


def _deliver(prompt: Prompt, person, rows: list[ActiveKR], now: datetime, *, session: Session, client: WebClient,
             report: PromptReport) -> None:
    latest = latest_checkins([r.kr.id for r in rows], session=session)
    text, message_blocks = blocks.prompt_message(rows, latest, prompt_id=prompt.id)
    try:
        channel = ensure_dm_channel(person, client=client)
        session.commit()
        response = client.chat_postMessage(channel=channel, text=text, blocks=message_blocks)
    except Exception as exc:
        session.rollback()
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else exc.__class__.__name__
        logger.exception("prompt %s to %s failed (%s); retrying on the next tick", prompt.id, prompt.user_id, error)
        # Release the claim so the next tick retries at once rather than after the lease.
        session.execute(sa.update(Prompt).where(Prompt.id == prompt.id, Prompt.sent_at.is_(None))
                        .values(claimed_at=None, last_error=str(error)[:200]))
        session.commit()
        report.failed.append(prompt.user_id)
        return
    session.execute(sa.update(Prompt).where(Prompt.id == prompt.id)
                    .values(sent_at=now, channel=response.get("channel"), ts=response.get("ts"), last_error=None))
    session.commit()
    report.sent.append(prompt.user_id)
