"""Exactly-once sending: claim a key in the database, send, then mark it sent (see models.Delivery).

A claim taken over from a process that died mid-send (its lease ran out) is first looked up where it was going
(deliver_once's `find`, a Slack lookup the caller passes in): the dead process may have sent it before it could
mark it, and then it is marked, not sent again.

claim, mark_sent and release commit: they are commit points of the session rule (storage.db), because a claim
must be durable before Slack sees the message, and its outcome right after.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from storage.db import chunked
from storage.models import Delivery

logger = logging.getLogger(__name__)

# A claim older than this was left by a process that died mid-send; another tick may take it over.
CLAIM_LEASE = timedelta(minutes=5)


# Each message's UPDATE names its row by id and the object is brought up to date by hand (_written): SQLAlchemy's
# default synchronisation scans every object in the session on each UPDATE, which made a fan-out's cost grow with
# the square of its messages (issue 15: half its time, 2 million Mapper.isa calls for 1,001 digests).
_UNSYNCED = {"synchronize_session": False}


def _written(delivery: Delivery, **values) -> None:
    # As loaded from the database, so the session has nothing to flush for it.
    for name, value in values.items():
        set_committed_value(delivery, name, value)


@dataclass(frozen=True)
class Outcome:
    """What happened to one key: 'sent', 'done' (sent before), 'recovered' (a process that died had sent it: found
    in Slack and marked, not sent again), 'busy' (claimed elsewhere, or held until its next try) or 'failed' (with
    the exception, and until when it is held when it waits for a person).

    `taken_over_from` is the claimed_at of the dead process's claim this call took over, if it took one over.
    """

    status: str
    delivery: Delivery | None = None
    error: str | None = None
    exc: BaseException | None = None
    held_until: datetime | None = None
    taken_over_from: datetime | None = None

    @property
    def sent(self) -> bool:
        """True only when this call sent the message."""
        return self.status == "sent"


def claim(key: str, kind: str, *, now: datetime, session: Session, exists: bool = False) -> Delivery | None:
    """Take the claim on `key` and commit it; None when it was sent already or another process holds it.

    `exists` says the caller saw the key's row (a retry): it is then claimed without first trying an insert that
    must fail, whose rollback would expire every object the job has loaded and make it read them all again.
    """
    return claim_from(key, kind, now=now, session=session, exists=exists)[0]


def claim_from(key: str, kind: str, *, now: datetime, session: Session,
               exists: bool = False) -> tuple[Delivery | None, datetime | None]:
    """claim, and the claimed_at of the claim it took over (a process died holding it), else None."""
    existing = session.exec(select(Delivery).where(Delivery.key == key)).first() if exists else None
    if existing is None:
        delivery = Delivery(key=key, kind=kind, claimed_at=now, attempts=1)
        session.add(delivery)
        try:
            session.commit()
            return delivery, None
        except sa.exc.IntegrityError:
            session.rollback()
        existing = session.exec(select(Delivery).where(Delivery.key == key)).one()
    if existing.sent_at is not None:
        return None, None
    if existing.claimed_at is not None and existing.claimed_at > now - CLAIM_LEASE:
        return None, None
    if existing.next_try_at is not None and existing.next_try_at > now:
        return None, None
    # Compare-and-set on the old claim so exactly one of several racing processes takes it over.
    old = existing.claimed_at
    taken = session.execute(
        sa.update(Delivery)
        .where(Delivery.id == existing.id, Delivery.sent_at.is_(None),
               Delivery.claimed_at.is_(None) if old is None else Delivery.claimed_at == old)
        .values(claimed_at=now, attempts=Delivery.attempts + 1), execution_options=_UNSYNCED
    ).rowcount
    session.commit()
    if taken != 1:
        return None, None
    _written(existing, claimed_at=now, attempts=existing.attempts + 1)
    return existing, old


def mark_sent(delivery: Delivery, *, now: datetime, session: Session, channel: str | None, ts: str | None) -> None:
    """Record that Slack accepted the message, and commit."""
    session.execute(sa.update(Delivery).where(Delivery.id == delivery.id)
                    .values(sent_at=now, channel=channel, ts=ts, last_error=None), execution_options=_UNSYNCED)
    session.commit()
    _written(delivery, sent_at=now, channel=channel, ts=ts, last_error=None)


def release(delivery: Delivery, error: str, *, session: Session, hold_until: datetime | None = None,
            target: str | None = None) -> None:
    """Give the claim back after a failure, and commit: the next tick retries at once, or with hold_until, the
    first tick from then (target names where it was going, so that fixing it releases the hold early)."""
    values = {"claimed_at": None, "last_error": error[:200], "next_try_at": hold_until}
    if hold_until is not None and target is not None:
        values["channel"] = target[:32]
    session.execute(sa.update(Delivery).where(Delivery.id == delivery.id, Delivery.sent_at.is_(None)).values(**values),
                    execution_options=_UNSYNCED)
    session.commit()
    _written(delivery, **values)


def deliver_once(key: str, kind: str, *, now: datetime, session: Session, send: Callable[[], dict],
                 hold: Callable[[BaseException], datetime | None] | None = None, target: str | None = None,
                 exists: bool = False, find: Callable[[datetime], dict | None] | None = None) -> Outcome:
    """Send at most once per key: claim, call `send` (a Slack call returning channel and ts), mark or release.

    `hold` says, for a failure, until when the message must wait (None: the next tick may retry it); the caller
    logs the failure, knowing what the message was. `exists`: see claim. `find`, given the claimed_at of a claim
    taken over from a dead process, returns the channel and ts of the message if that process had sent it (None:
    not found, or it could not look: then it is sent, and the caller has said so).
    """
    delivery, taken_from = claim_from(key, kind, now=now, session=session, exists=exists)
    if delivery is None:
        existing = session.exec(select(Delivery).where(Delivery.key == key)).one()
        return Outcome("done" if existing.sent_at else "busy", existing)
    if taken_from is not None and find is not None:
        found = find(taken_from)
        if found is not None:
            mark_sent(delivery, now=_sent_time(found.get("ts"), claimed=taken_from, now=now), session=session,
                      channel=found.get("channel"), ts=found.get("ts"))
            return Outcome("recovered", delivery, taken_over_from=taken_from)
    try:
        response = send()
    except Exception as exc:
        # Nothing is pending here (the claim was just committed), so no rollback: it would expire every object
        # the job has loaded. release() writes the failure on its own.
        error = _error_text(exc)
        until = hold(exc) if hold is not None else None
        release(delivery, error, session=session, hold_until=until, target=target)
        return Outcome("failed", delivery, error, exc, until, taken_from)
    mark_sent(delivery, now=now, session=session, channel=response.get("channel"), ts=response.get("ts"))
    return Outcome("sent", delivery, taken_over_from=taken_from)


def _sent_time(ts: str | None, *, claimed: datetime, now: datetime) -> datetime:
    # When the person got it (reminders count from a prompt's sent_at): Slack's ts, a Unix time, kept between the
    # dead claim and now in case the two clocks disagree.
    try:
        at = datetime.fromtimestamp(float(ts or ""), tz=now.tzinfo)
    except (ValueError, OverflowError, OSError):
        return now
    return min(max(at, claimed), now)


def _error_text(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if response is not None and hasattr(response, "get"):
        return str(response.get("error") or exc.__class__.__name__)
    return exc.__class__.__name__


def sent(keys: Iterable[str], *, session: Session) -> dict[str, sa.Row]:
    """The outbox's one "already sent?": the rows (key, sent_at, channel, ts) of these keys that were sent.

    Plain rows, not ORM objects: an idle tick asks this about every owner's week, and building thousands of
    instances to read four columns costs more than the query.
    """
    found: dict[str, sa.Row] = {}
    for chunk in chunked(sorted(set(keys))):
        rows = session.exec(select(Delivery.key, Delivery.sent_at, Delivery.channel, Delivery.ts)
                            .where(Delivery.key.in_(chunk), Delivery.sent_at.is_not(None)))
        found.update((row.key, row) for row in rows)
    return found


DONE = ("sent", "held")


def settled(keys: Iterable[str], *, now: datetime, session: Session) -> dict[str, str]:
    """The state at `now` of the keys that have a row: "sent", "held" (for a person, until later: see release) or
    "open" (tried before and due again); a key without a row was never tried. Sent and held (DONE) need nothing.

    One query per 5,000 keys, so a digest held for the hour costs its tick no more than a digest already sent.
    """
    found: dict[str, str] = {}
    for chunk in chunked(sorted(set(keys))):
        rows = session.exec(select(Delivery.key, Delivery.sent_at, Delivery.next_try_at)
                            .where(Delivery.key.in_(chunk)))
        found.update((key, "sent" if sent_at is not None else
                      "held" if next_try_at is not None and next_try_at > now else "open")
                     for key, sent_at, next_try_at in rows)
    return found


def release_held(prefix: str, *, session: Session) -> int:
    """Let the next tick try the unsent messages held under keys starting with `prefix`; returns how many.

    Not a commit point: it is part of the request that changed what the messages were held for.
    """
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return session.execute(sa.update(Delivery).where(Delivery.key.like(pattern, escape="\\"),
                                                      Delivery.sent_at.is_(None), Delivery.next_try_at.is_not(None))
                           .values(next_try_at=None)).rowcount
