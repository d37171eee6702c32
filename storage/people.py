"""Queries about the people okrbot caches (zone, DM channel, admin flag)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from storage.db import chunked, workspace_of
from storage.models import Person


def find_person(user_id: str, *, session: Session) -> Person | None:
    """The cached record of a user in the session's workspace, if okrbot has one."""
    return session.get(Person, {"workspace_id": workspace_of(session), "user_id": user_id})


def get_person(user_id: str, *, session: Session) -> Person:
    """The cached record of a user, added empty when okrbot has not seen them yet."""
    person = find_person(user_id, session=session)
    if person is None:
        person = Person(user_id=user_id)
        session.add(person)
    return person


def people_by_id(user_ids: Iterable[str], *, session: Session) -> dict[str, Person]:
    """The cached records of these users that exist, by user id (bounded IN lists)."""
    people: dict[str, Person] = {}
    for chunk in chunked(sorted(set(user_ids))):
        people.update((p.user_id, p) for p in session.exec(select(Person).where(Person.user_id.in_(chunk))))
    return people


def known_admins(*, session: Session) -> list[str]:
    """The users okrbot knows to be workspace admins or owners (and not deactivated), by user id."""
    return sorted(session.exec(select(Person.user_id).where(Person.is_admin.is_(True),
                                                            Person.deactivated_at.is_(None))))
