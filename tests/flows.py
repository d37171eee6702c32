"""Helpers for end-to-end tests of nudges, reminders, skips and alerts: the real modal flow, waits and lookups."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime

from sqlmodel import select

from storage.models import CheckIn, Delivery, KeyResult, Prompt

_views = itertools.count(1)


def at(text: str) -> datetime:
    """A UTC instant from 'YYYY-MM-DDTHH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def kr_ids(okr) -> dict[str, int]:
    """KR ids by their import key (d7-activation, wau, ttfv)."""
    with okr.session() as s:
        return {kr.key: kr.id for kr in s.exec(select(KeyResult))}


def check_in(okr, user: str, when: datetime, answers: dict[str, tuple[str, str, str]]) -> None:
    """Check in at `when` through /okr checkin and the modal, answers keyed by KR key: (value, confidence, note)."""
    okr.clock.set(when)
    assert okr.slack.command(user, "checkin").status == 200
    view = okr.fake.calls_to("views.open")[-1].params["view"]
    ids = kr_ids(okr)
    resp = okr.slack.submit(user, view, {ids[key]: answer for key, answer in answers.items()},
                            view_id=f"VFLOW{next(_views):04d}")
    assert resp.status == 200 and resp.json()["response_action"] == "update", resp.body


def wait_for(predicate, *, timeout: float = 5.0):
    """Poll until predicate() is truthy (work Bolt runs after answering, like alerts); return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


def prompt_of(okr, user: str, week_key: str) -> Prompt:
    """The user's prompt row for that week, e.g. '2026-11-27@10:00'."""
    with okr.session() as s:
        return s.exec(select(Prompt).where(Prompt.user_id == user, Prompt.week_key == week_key)).one()


def deliveries(okr, prefix: str) -> list[Delivery]:
    """Outbox rows whose key starts with prefix, oldest first."""
    with okr.session() as s:
        return s.exec(select(Delivery).where(Delivery.key.startswith(prefix)).order_by(Delivery.id)).all()


def checkins(okr) -> list[CheckIn]:
    """Every stored check-in, oldest first."""
    with okr.session() as s:
        return s.exec(select(CheckIn).order_by(CheckIn.id)).all()


def dms(okr, user: str, starting: str) -> list[dict]:
    """The user's DMs whose fallback text starts with `starting`."""
    return [m for m in okr.fake.dms_to(user) if m["text"].startswith(starting)]


PROMPT = "Time for your weekly OKR check-in"
NUDGE = "No check-in for"
REMINDER = "Reminder:"
ALERT = "Confidence drop"


def lead_nudges(okr, lead: str = "U0LEAD") -> list[dict]:
    """The lead's DMs about owners who missed check-ins."""
    return [m for m in okr.fake.dms_to(lead) if "has not checked in" in m["text"]]


def buttons(message: dict) -> list[dict]:
    """Every button of a message."""
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
