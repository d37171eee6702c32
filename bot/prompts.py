"""The weekly check-in prompt: which owners are due at `now`, claimed in the database, then sent."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot import blocks
from bot.people import refresh_zones, send_dm
from bot.schedule import most_recent_slot, parse_hhmm, week_key, zone
from storage.models import Delivery, Person, Prompt, PromptItem
from storage.outbox import Report, deliver_once
from storage.queries import ActiveKR, active_key_results, chunked, latest_checkins

logger = logging.getLogger(__name__)

# The shortest check-in week a schedule change may create; weekly cadence (7 days, +-1 h at DST) is never near it.
MIN_WEEK = timedelta(days=4)


@dataclass(frozen=True)
class _DueWeek:
    owner_id: str
    key: str
    due: datetime
    rows: list[ActiveKR]


def send_due_prompts(now: datetime, *, session: Session, client: WebClient) -> Report:
    """Send every weekly prompt due at `now` that has not been sent, at most one per owner, schedule and week."""
    report = Report()
    # Owners' zones span UTC-12..+14: look a day either side, then check each owner's own local date.
    day = now.date()
    rows = active_key_results(session=session, first_day=day - timedelta(days=8), last_day=day + timedelta(days=1))
    by_owner: dict[str, list[ActiveKR]] = defaultdict(list)
    for row in rows:
        by_owner[row.kr.owner_id].append(row)
    # Newcomers need a zone before their first prompt; week-old zones are refreshed after the fan-out.
    people = refresh_zones(by_owner, session=session, client=client, now=now, stale=False)
    session.commit()
    due = [week for owner_id, owned in by_owner.items() for week in _due_weeks(owner_id, owned, people, now)]
    # A tick runs every minute: settle the weeks already sent in two queries, not a dozen per owner.
    done = _sent_weeks({(w.owner_id, w.key) for w in due}, session=session)
    done |= _overlapping([w for w in due if (w.owner_id, w.key) not in done], session=session)
    for week in due:
        if (week.owner_id, week.key) in done:
            report.skipped += 1
            continue
        try:
            prompt = _week(week.owner_id, week.key, week.due, [r.kr.id for r in week.rows], session=session)
            _deliver(prompt, week.rows, now, session=session, client=client, report=report)
        except Exception:
            session.rollback()
            logger.exception("prompt for %s failed; it will be retried on the next tick", week.owner_id)
            report.failed.append(week.owner_id)
    refresh_zones(by_owner, session=session, client=client, now=now)
    session.commit()
    return report


def _due_weeks(owner_id: str, owned: list[ActiveKR], people: dict[str, Person], now: datetime) -> list[_DueWeek]:
    """The owner's current check-in weeks, one per check-in slot, for KRs whose cycle covers that week."""
    person = people.get(owner_id)
    tz = zone(person.tz if person else None) or zone(owned[0].team.timezone) or zone("UTC")
    # One prompt per owner per schedule: owners in teams with the same check-in slot get a single DM.
    groups: dict[tuple[int, time], list[ActiveKR]] = defaultdict(list)
    for row in owned:
        groups[(row.team.checkin_day, parse_hhmm(row.team.checkin_time))].append(row)
    weeks = []
    for (weekday, at), rows in groups.items():
        local_day, due = most_recent_slot(now, tz, weekday, at)
        due_rows = [r for r in rows if r.cycle.start <= local_day <= r.cycle.end]
        if due_rows:
            weeks.append(_DueWeek(owner_id, week_key(local_day, at), due, due_rows))
    return weeks


def _overlapping(weeks: list[_DueWeek], *, session: Session) -> set[tuple[str, str]]:
    """Pending weeks that would start within MIN_WEEK of another prompt for the same KRs, and so must wait.

    This happens when a lead moves the check-in slot mid-week: the new slot's "current week" overlaps the week
    already prompted. Prompting again would look like a duplicate, and the short week would count as missed.
    """
    if not weeks:
        return set()
    earliest = min(w.due for w in weeks) - MIN_WEEK
    recent: dict[tuple[str, str], tuple[datetime, set[int]]] = {}
    for chunk in chunked(sorted({w.owner_id for w in weeks})):
        stmt = (select(Prompt.user_id, Prompt.week_key, Prompt.due_at, PromptItem.kr_id)
                .join(PromptItem, PromptItem.prompt_id == Prompt.id)
                .where(Prompt.user_id.in_(chunk), Prompt.due_at > earliest))
        for owner, key, due_at, kr_id in session.exec(stmt):
            recent.setdefault((owner, key), (due_at, set()))[1].add(kr_id)
    blocked = set()
    for week in weeks:
        kr_ids = {r.kr.id for r in week.rows}
        for (owner, key), (due_at, krs) in recent.items():
            if owner == week.owner_id and key != week.key and due_at > week.due - MIN_WEEK and krs & kr_ids:
                blocked.add((week.owner_id, week.key))
                break
    return blocked


def _sent_weeks(pairs: set[tuple[str, str]], *, session: Session) -> set[tuple[str, str]]:
    """Which of these (owner, week_key) prompts were delivered already."""
    if not pairs:
        return set()
    by_delivery: dict[str, tuple[str, str]] = {}
    owners = sorted({owner for owner, _ in pairs})
    keys = sorted({key for _, key in pairs})
    for chunk in chunked(owners):
        stmt = select(Prompt.id, Prompt.user_id, Prompt.week_key).where(Prompt.user_id.in_(chunk),
                                                                        Prompt.week_key.in_(keys))
        for prompt_id, owner, key in session.exec(stmt):
            if (owner, key) in pairs:
                by_delivery[prompt_key(prompt_id)] = (owner, key)
    sent = set()
    for chunk in chunked(sorted(by_delivery)):
        stmt = select(Delivery.key).where(Delivery.key.in_(chunk), Delivery.sent_at.is_not(None))
        sent.update(by_delivery[key] for key in session.exec(stmt))
    return sent


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


def _deliver(prompt: Prompt, rows: list[ActiveKR], now: datetime, *, session: Session, client: WebClient,
             report: Report) -> None:
    latest = latest_checkins([r.kr.id for r in rows], session=session)
    text, message_blocks = blocks.prompt_message(rows, latest, prompt_id=prompt.id)
    send = send_dm(prompt.user_id, text, message_blocks, session=session, client=client)
    report.note(deliver_once(prompt_key(prompt.id), "prompt", now, session=session, send=send), prompt.user_id)
