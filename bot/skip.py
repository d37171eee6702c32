"""'Skip this week' on the weekly prompt (on leave, say), and its undo: only the owner, only while the week is open."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from bot import blocks, blocks_nudges
from bot.missed import kr_weeks
from bot.prompts import prompt_key
from storage.models import Prompt, PromptItem
from storage.queries import active_key_results, latest_checkins, sent_deliveries

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class SkipOutcome:
    """What the clicker sees: the prompt message rewritten (channel and ts set), or a sentence only they see."""

    ephemeral: str | None = None
    channel: str | None = None
    ts: str | None = None
    text: str = ""
    blocks: list[dict] = field(default_factory=list)


def skip_week(value: str, user_id: str, now: datetime, *, session: Session) -> SkipOutcome:
    """Mark the prompt's week skipped (the button's value is the prompt id); a second click changes nothing."""
    prompt, refusal = _own_open_prompt(value, user_id, now, session=session, verb="skip")
    if refusal:
        return SkipOutcome(ephemeral=refusal)
    # Only the first click writes, so a double click or a retried request keeps the original time.
    session.execute(sa.update(Prompt).where(Prompt.id == prompt.id, Prompt.skipped_at.is_(None))
                    .values(skipped_at=now))
    text, message_blocks = blocks_nudges.skipped_prompt_message(prompt.id)
    return _rewrite(prompt, text, message_blocks, session=session,
                    fallback="Done: this week is skipped. It won't count as missed and you won't get a reminder.")


def undo_skip(value: str, user_id: str, now: datetime, *, session: Session) -> SkipOutcome:
    """Take the skip back while the week is open, and show the weekly prompt again."""
    prompt, refusal = _own_open_prompt(value, user_id, now, session=session, verb="un-skip")
    if refusal:
        return SkipOutcome(ephemeral=refusal)
    session.execute(sa.update(Prompt).where(Prompt.id == prompt.id).values(skipped_at=None))
    kr_ids = set(session.exec(select(PromptItem.kr_id).where(PromptItem.prompt_id == prompt.id)).all())
    day = now.date()
    rows = [r for r in active_key_results(session=session, first_day=day - timedelta(days=8),
                                          last_day=day + timedelta(days=1), owner_id=prompt.user_id)
            if r.kr.id in kr_ids]
    text, message_blocks = blocks.prompt_message(rows, latest_checkins(kr_ids, session=session), prompt_id=prompt.id)
    return _rewrite(prompt, text, message_blocks, session=session,
                    fallback="Done: this week is no longer skipped. Type `/okr checkin` to check in.")


def _own_open_prompt(value: str, user_id: str, now: datetime, *, session: Session,
                     verb: str) -> tuple[Prompt | None, str | None]:
    value = value.strip()
    # Nine digits at most: a longer number is no prompt id and would overflow PostgreSQL's integer.
    prompt = session.get(Prompt, int(value)) if value.isdigit() and len(value) <= 9 else None
    if prompt is None:
        return None, "This button is out of date: I can't find that check-in week any more."
    if prompt.user_id != user_id:
        return None, f"Only <@{prompt.user_id}> can {verb} this check-in week: it is their weekly prompt."
    if not _is_open(prompt, now, session=session):
        return None, f"That check-in week is over, so you can't {verb} it any more."
    return prompt, None


def _is_open(prompt: Prompt, now: datetime, *, session: Session) -> bool:
    """Whether the prompt's week is still running: no later prompt for its KRs yet, and under a week old."""
    if now >= prompt.due_at + WEEK or prompt.due_at > now:
        return False
    kr_ids = session.exec(select(PromptItem.kr_id).where(PromptItem.prompt_id == prompt.id)).all()
    weeks = kr_weeks(kr_ids, session=session, now=now)
    return any(w.current.prompt_id == prompt.id for w in weeks.values())


def _rewrite(prompt: Prompt, text: str, message_blocks: list[dict], *, session: Session,
             fallback: str) -> SkipOutcome:
    sent = sent_deliveries([prompt_key(prompt.id)], session=session).get(prompt_key(prompt.id))
    if sent is None or not sent.channel or not sent.ts:
        # The prompt message is unknown (never delivered): confirm to the clicker instead of rewriting it.
        return SkipOutcome(ephemeral=fallback)
    return SkipOutcome(channel=sent.channel, ts=sent.ts, text=text, blocks=message_blocks)
