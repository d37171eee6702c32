"""Problems only a person can fix (models.Problem), and the messages held until they are fixed.

record and resolve commit: they are commit points of the session rule (storage.db). A problem is recorded right
after the outbox gave the message back, and must survive the rollback a later message's failure does; resolving
one releases its held messages at once, for the next tick.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.db import chunked, read_rows
from storage.models import Delivery, Person, Problem
from storage.people import get_person


def record(subject: str, kind: str, error: str, *, now: datetime, session: Session) -> Problem:
    """Remember that `subject` stops messages for this reason (once: a known subject keeps its row), and commit."""
    existing = session.exec(select(Problem).where(Problem.subject == subject)).first()
    if existing is not None:
        return existing
    problem = Problem(subject=subject, kind=kind, error=error[:64], first_seen_at=now)
    session.add(problem)
    try:
        session.commit()
    except sa.exc.IntegrityError:
        # Another process recorded it a moment ago.
        session.rollback()
        return session.exec(select(Problem).where(Problem.subject == subject)).one()
    return problem


def untold(*, session: Session) -> list[Problem]:
    """The problems nobody has been told about yet, oldest first."""
    return list(session.exec(select(Problem).where(Problem.told_at.is_(None)).order_by(Problem.id)))


def problems_of(subjects: Iterable[str], *, session: Session) -> dict[str, Problem]:
    """The open problems of these subjects (channel or user ids), by subject."""
    found: dict[str, Problem] = {}
    for chunk in chunked(sorted(set(subjects))):
        found.update((p.subject, p) for p in session.exec(select(Problem).where(Problem.subject.in_(chunk))))
    return found


def resolve(subjects: Iterable[str], *, session: Session) -> int:
    """These subjects were fixed: forget their problems, release their held messages, and commit; returns how many
    held messages were released."""
    subjects = sorted(set(subjects))
    if not subjects:
        return 0
    session.execute(sa.delete(Problem).where(Problem.subject.in_(subjects)))
    released = session.execute(sa.update(Delivery)
                               .where(Delivery.channel.in_(subjects), Delivery.sent_at.is_(None),
                                      Delivery.next_try_at.is_not(None))
                               .values(next_try_at=None)).rowcount
    session.commit()
    return released


# Built once: every digest asks it about its owners.
_DEACTIVATED = select(Person.user_id).where(Person.deactivated_at.is_not(None))


def deactivated(user_ids: Iterable[str], *, session: Session) -> set[str]:
    """Which of these users okrbot knows to be deactivated."""
    # Few people are deactivated: reading them all is one small query, where IN lists of every owner were many.
    gone = {user_id for user_id, in read_rows(_DEACTIVATED, {}, session=session).all()}
    return gone & set(user_ids)


def set_deactivated(user_id: str, gone: bool, *, now: datetime, session: Session) -> bool:
    """Mark (or clear) a user's deactivation; True when that changed anything."""
    person = get_person(user_id, session=session)
    if gone == (person.deactivated_at is not None):
        return False
    person.deactivated_at = now if gone else None
    session.add(person)
    return True
