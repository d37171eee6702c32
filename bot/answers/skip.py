"""'Skip this week' on the weekly prompt (on leave, say), and its undo: only the owner, only while the week is open."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.answers.answer import Answer
from bot.reports.weeks import kr_weeks
from bot.rules.schedule import WEEK, days_around
from bot.views.checkin import prompt_message
from bot.views.nudges import skipped_prompt_message
from storage import keys
from storage.checkins import latest_checkins
from storage.models import Prompt
from storage.okrs import live_key_results
from storage.outbox import sent
from storage.prompts import clear_skip, mark_skipped, prompt_kr_ids


def skip_week(value: str, user_id: str, *, now: datetime, session: Session) -> Answer:
    """Mark the prompt's week skipped (the button's value is the prompt id); a second click changes nothing."""
    prompt, refusal = _own_open_prompt(value, user_id, now=now, session=session, verb="skip")
    if refusal:
        return Answer.say(refusal)
    mark_skipped(prompt.id, session=session, now=now)
    text, message_blocks = skipped_prompt_message(prompt.id)
    return _rewrite(prompt, text, message_blocks, session=session,
                    fallback="Done: this week is skipped. It won't count as missed and you won't get a reminder.")


def undo_skip(value: str, user_id: str, *, now: datetime, session: Session) -> Answer:
    """Take the skip back while the week is open, and show the weekly prompt again."""
    prompt, refusal = _own_open_prompt(value, user_id, now=now, session=session, verb="un-skip")
    if refusal:
        return Answer.say(refusal)
    clear_skip(prompt.id, session=session)
    kr_ids = set(prompt_kr_ids(prompt.id, session=session))
    first_day, last_day = days_around(now=now, back=8)
    rows = [r for r in live_key_results(session=session, first_day=first_day, last_day=last_day,
                                        owner_id=prompt.user_id) if r.kr.id in kr_ids]
    text, message_blocks = prompt_message(rows, latest_checkins(kr_ids, session=session), prompt_id=prompt.id)
    return _rewrite(prompt, text, message_blocks, session=session,
                    fallback="Done: this week is no longer skipped. Type `/okr checkin` to check in.")


def _own_open_prompt(value: str, user_id: str, *, now: datetime, session: Session,
                     verb: str) -> tuple[Prompt | None, str | None]:
    value = value.strip()
    # Nine digits at most: a longer number is no prompt id and would overflow PostgreSQL's integer.
    prompt = session.get(Prompt, int(value)) if value.isdigit() and len(value) <= 9 else None
    if prompt is None:
        return None, "This button is out of date: I can't find that check-in week any more."
    if prompt.user_id != user_id:
        return None, f"Only <@{prompt.user_id}> can {verb} this check-in week: it is their weekly prompt."
    if not _is_open(prompt, now=now, session=session):
        return None, f"That check-in week is over, so you can't {verb} it any more."
    return prompt, None


def _is_open(prompt: Prompt, *, now: datetime, session: Session) -> bool:
    """Whether the prompt's week is still running: no later prompt for its KRs yet, and under a week old."""
    if now >= prompt.due_at + WEEK or prompt.due_at > now:
        return False
    weeks = kr_weeks(prompt_kr_ids(prompt.id, session=session), session=session, now=now)
    return any(w.current.prompt_id == prompt.id for w in weeks.values())


def _rewrite(prompt: Prompt, text: str, message_blocks: list[dict], *, session: Session, fallback: str) -> Answer:
    key = keys.prompt(prompt.id)
    delivery = sent([key], session=session).get(key)
    if delivery is None or not delivery.channel or not delivery.ts:
        # The prompt message is unknown (never delivered): confirm to the clicker instead of rewriting it.
        return Answer.say(fallback)
    return Answer.rewrite(delivery.channel, delivery.ts, text, message_blocks)
