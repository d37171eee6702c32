"""Queries about the people okrbot caches (zone, DM channel, admin flag)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from storage.db import CHUNK, chunked, workspace_of
from storage.models import Person
from storage.records import Rows


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


_PEOPLE = Rows(Person, "person")
# A read-only record of a Person row, with the table's attribute names.
PersonRow = _PEOPLE.record


def person_rows(user_ids: Iterable[str], *, session: Session) -> dict[str, PersonRow]:
    """The cached records of these users that exist, by user id, as read-only rows (bounded IN lists).

    For the jobs' planning, which reads every owner's zone after each write: an ORM object per person cost
    100,000 owners 2.5 s and most of the memory; find_person or people_by_id give the ones to change.
    """
    wanted = set(user_ids)
    make = PersonRow._make
    stmt = select(*_PEOPLE.columns)
    if len(wanted) > CHUNK:
        # Most of the workspace: one scan costs less than rendering and running the IN lists; in batches, so the
        # driver's rows are not all held at once beside the records.
        rows = (make(row) for row in session.execute(stmt.execution_options(yield_per=1000)))
        return {person.user_id: person for person in rows if person.user_id in wanted}
    found: dict[str, PersonRow] = {}
    for chunk in chunked(sorted(wanted)):
        found.update((person.user_id, person) for person in
                     map(make, session.execute(stmt.where(Person.user_id.in_(chunk)))))
    return found


def known_admins(*, session: Session) -> list[str]:
    """The users okrbot knows to be workspace admins or owners (and not deactivated), by user id."""
    return sorted(session.exec(select(Person.user_id).where(Person.is_admin.is_(True),
                                                            Person.deactivated_at.is_(None))))
