"""What okrbot knows about Slack users: time zone and DM channel, fetched once and cached."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.rules.away import status_says_away
from bot.rules.schedule import zone
from bot.slack.history import find_delivery
from storage.models import Person
from storage.people import PersonRow, find_person, get_person, people_by_id, person_rows
from storage.problems import record, resolve, set_deactivated

logger = logging.getLogger(__name__)

TZ_MAX_AGE = timedelta(days=7)
# Beyond this many unknown users, one users.list pass is cheaper than a users.info each.
BULK_THRESHOLD = 20


def refresh_zones(user_ids: Iterable[str], *, session: Session, client: WebClient, now: datetime,
                  stale: bool = True) -> dict[str, Person | PersonRow]:
    """Make sure these users' zones are known and under a week old, at the least Slack API cost.

    Newcomers are looked up one by one with users.info; once any cached zone is stale, or there are many
    newcomers, a single paginated users.list pass refreshes everyone at a cost of one call per 200 people, which
    keeps a steady-state weekly prompt at about one API call. With stale=False only newcomers are fetched, so a
    fan-out is not held up by a refresh its zones can do without. Returns the cached records of these users: the
    ones it changed as Person, the others as read-only rows (storage.people.person_rows).
    """
    ids = sorted(set(user_ids))
    people: dict[str, Person | PersonRow] = person_rows(ids, session=session)
    missing = [u for u in ids if u not in people or people[u].tz_fetched_at is None]
    old = [u for u in ids if stale and u not in missing and now - people[u].tz_fetched_at >= TZ_MAX_AGE]
    if old or len(missing) > BULK_THRESHOLD:
        people.update(people_by_id(ids, session=session))
        seen = _refresh_from_users_list(set(ids), people, session=session, now=now, client=client)
        missing = [u for u in missing if u not in seen]
    for user_id in missing:
        person = people[user_id] = get_person(user_id, session=session)
        try:
            remember_user(person, client.users_info(user=user_id)["user"], now=now)
        except SlackApiError as exc:
            # Slack said no (e.g. user_not_found): use the team's zone and ask again in a week, not every minute.
            person.tz_fetched_at = now
            logger.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
        except Exception:
            logger.exception("users.info failed for %s", user_id)
    return people


def zones_to_refresh(user_ids: Iterable[str], people: dict[str, Person | PersonRow], *, now: datetime) -> bool:
    """Whether refresh_zones would ask Slack anything about these users: one unknown, or a zone a week old."""
    return any(person is None or person.tz_fetched_at is None or now - person.tz_fetched_at >= TZ_MAX_AGE
               for person in map(people.get, user_ids))


def _refresh_from_users_list(wanted: set[str], people: dict[str, Person], *, session: Session, now: datetime,
                             client: WebClient) -> set[str]:
    seen: set[str] = set()
    cursor = None
    try:
        while True:
            page = client.users_list(limit=200, cursor=cursor)
            for member in page.get("members", []):
                if member.get("id") in wanted:
                    person = people.get(member["id"]) or get_person(member["id"], session=session)
                    people[member["id"]] = person
                    remember_user(person, member, now=now)
                    seen.add(member["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return seen
    except Exception:
        # Stale zones are still good enough to prompt with; the next tick tries again.
        logger.exception("users.list failed; keeping cached time zones")
        return seen


def remember_user(person: Person, user: dict, *, now: datetime) -> None:
    """Store what a users.info, users.list or user_change payload says about the user's zone and admin role."""
    tz = user.get("tz")
    if zone(tz) is not None:
        person.tz = tz
    person.tz_fetched_at = now
    profile = user.get("profile")
    if isinstance(profile, dict):
        # Slack sends the whole profile on users.info, users.list and user_change: no status there means none.
        person.status_text = str(profile.get("status_text") or "")[:100]
        person.status_emoji = str(profile.get("status_emoji") or "")[:100]
        expiration = profile.get("status_expiration")
        person.status_expiration = expiration if isinstance(expiration, int) and expiration > 0 else 0
        person.status_fetched_at = now
    if "is_admin" in user:
        # Owners can do whatever admins can; a deactivated account can do nothing.
        role = user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")
        person.is_admin = bool(role) and not user.get("deleted")
        person.admin_checked_at = now


def fresh_statuses(people: dict[str, Person | PersonRow], since: dict[str, datetime], *, session: Session,
                   client: WebClient, now: datetime) -> None:
    """Read again, with users.info, the status of each person whose cached one says away and is older than their
    `since` (their week's check-in slot): a status is never trusted from an earlier week, while a steady-state
    prompt of someone at work still costs no extra call."""
    for user_id, slot in since.items():
        person = people.get(user_id)
        if person is None or not status_says_away(person.status_text, person.status_emoji):
            continue
        if person.status_fetched_at is not None and person.status_fetched_at >= slot:
            continue
        person = people[user_id] = get_person(user_id, session=session)
        try:
            remember_user(person, client.users_info(user=user_id)["user"], now=now)
        except SlackApiError as exc:
            # Keep the cached status for this decision; the next week's slot asks again.
            logger.warning("users.info for %s's status failed: %s; using the status read before",
                           user_id, exc.response.get("error"))
        except Exception:
            logger.exception("users.info for %s's status failed; using the status read before", user_id)


def dm_target(person: Person) -> str:
    """Where to post a DM: the cached DM channel, or the user id, which makes Slack open the DM by itself."""
    return person.dm_channel or person.user_id


def remember_dm_channel(person: Person, channel: str | None) -> None:
    """Keep the DM channel Slack answered with, so later messages (and chat.update) can address it."""
    if channel and channel.startswith("D"):
        person.dm_channel = channel


def send_dm(user_id: str, text: str, message_blocks: list[dict], *, session: Session,
            client: WebClient, metadata: dict | None = None) -> Callable[[], dict]:
    """A `send` for the outbox that DMs the user and remembers the DM channel Slack answers with."""
    person = get_person(user_id, session=session)

    def send() -> dict:
        extra = {"metadata": metadata} if metadata is not None else {}
        response = client.chat_postMessage(channel=dm_target(person), text=text, blocks=message_blocks, **extra)
        remember_dm_channel(person, response.get("channel"))
        return response

    return send


def find_dm(user_id: str, key: str, *, session: Session, client: WebClient) -> Callable[[datetime], dict | None]:
    """A `find` for the outbox: the DM sent under `key` since a claim, looked up in the user's DM channel.

    With no DM channel cached (the claim was the user's first DM, and the process died before it could keep the
    channel Slack answered with), conversations.open (im:write) names it without posting anything.
    """
    person = get_person(user_id, session=session)

    def find(claimed_at: datetime) -> dict | None:
        if not person.dm_channel:
            remember_dm_channel(person, client.conversations_open(users=user_id)["channel"]["id"])
        return find_delivery(client, dm_target(person), key, claimed_at=claimed_at)

    return find


def refresh_from_event(user: dict, *, session: Session, now: datetime) -> bool:
    """Apply a user_change event; True when the user is someone okrbot caches.

    A deactivated account (deleted: true) is recorded as a problem its leads hear of once (jobs.problems); a
    reactivated one gets its held DMs on the next tick.
    """
    user_id = user.get("id")
    if not user_id:
        return False
    person = find_person(user_id, session=session)
    if person is None:
        # Not an owner (yet): nothing to refresh, and no reason to store strangers.
        return False
    remember_user(person, user, now=now)
    if "deleted" in user and set_deactivated(user_id, bool(user["deleted"]), now=now, session=session):
        if user["deleted"]:
            record(user_id, "person", "user_deleted", now=now, session=session)
        else:
            resolve([t for t in (user_id, person.dm_channel) if t], session=session)
    return True
