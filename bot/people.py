"""What okrbot knows about Slack users: time zone and DM channel, fetched once and cached."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.schedule import zone
from storage.models import Person

logger = logging.getLogger(__name__)

TZ_MAX_AGE = timedelta(days=7)


def get_person(user_id: str, *, session: Session) -> Person:
    """The cached record of a user, created empty when okrbot has not seen them yet."""
    person = session.get(Person, user_id)
    if person is None:
        person = Person(user_id=user_id)
        session.add(person)
    return person


def ensure_timezone(person: Person, *, client: WebClient, now: datetime) -> str | None:
    """The user's IANA zone, from the cache or (when missing or older than a week) from users.info."""
    fresh = person.tz and person.tz_fetched_at and now - person.tz_fetched_at < TZ_MAX_AGE
    if fresh:
        return person.tz
    try:
        user = client.users_info(user=person.user_id)["user"]
    except SlackApiError as exc:
        # Keep whatever zone we had: a stale zone beats no prompt at all.
        logger.warning("users.info failed for %s: %s", person.user_id, exc.response.get("error"))
        return person.tz
    except Exception:
        logger.exception("users.info failed for %s", person.user_id)
        return person.tz
    remember_user(person, user, now=now)
    return person.tz


def remember_user(person: Person, user: dict, *, now: datetime) -> None:
    """Store what a users.info or user_change payload says about the user's zone."""
    tz = user.get("tz")
    if zone(tz) is not None:
        person.tz = tz
    person.tz_fetched_at = now


def ensure_dm_channel(person: Person, *, client: WebClient) -> str:
    """The DM channel with the user, opened once and cached; raises SlackApiError when Slack refuses."""
    if not person.dm_channel:
        person.dm_channel = client.conversations_open(users=person.user_id)["channel"]["id"]
    return person.dm_channel


def refresh_from_event(user: dict, *, session: Session, now: datetime) -> bool:
    """Apply a user_change event; True when the user is someone okrbot caches."""
    user_id = user.get("id")
    if not user_id:
        return False
    person = session.get(Person, user_id)
    if person is None:
        # Not an owner (yet): nothing to refresh, and no reason to store strangers.
        return False
    remember_user(person, user, now=now)
    return True
