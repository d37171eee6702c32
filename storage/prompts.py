"""Queries about prompts: each owner's check-in weeks, which KRs they asked about, and which were checked in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.db import CHUNK, chunked, read_rows, workspace_of
from storage.models import CheckIn, Prompt, PromptItem


# Built once: building the select and its EXISTS cost a status more than running it.
_NOW = sa.bindparam("now", type_=Prompt.due_at.type)
_WEEK_ROWS = (
    select(PromptItem.kr_id, Prompt.id, Prompt.due_at, Prompt.skipped_at, Prompt.away, Prompt.week_key,
           sa.exists().where(CheckIn.kr_id == PromptItem.kr_id, CheckIn.prompt_id == Prompt.id,
                             CheckIn.created_at <= _NOW).label("checked"))
    .join(Prompt, Prompt.id == PromptItem.prompt_id)
    .where(Prompt.due_at <= _NOW)
)
_WEEK_ROWS_OF = _WEEK_ROWS.where(PromptItem.kr_id.in_(sa.bindparam("ids", expanding=True)))


def week_rows(kr_ids: Iterable[int], *, session: Session, now: datetime
              ) -> list[tuple[int, int, datetime, datetime | None, str | None, str, bool]]:
    """(kr_id, prompt_id, due_at, skipped_at, away, week_key, checked in) of every prompt up to `now` that asked
    about these KRs, "checked in" meaning the KR has a check-in up to `now` for that week; one query."""
    ids = list(set(kr_ids))
    if not ids:
        return []
    if len(ids) > CHUNK:
        # Every live KR (a job's full computation): one scan costs less than rendering an IN list of them all.
        wanted = set(ids)
        return [row for row in read_rows(_WEEK_ROWS, {"now": now}, session=session).all() if row[0] in wanted]
    return read_rows(_WEEK_ROWS_OF, {"ids": ids, "now": now}, session=session).all()


def current_prompt_for(kr_id: int, *, session: Session, now: datetime) -> Prompt | None:
    """The most recent prompt at or before `now` that asked about this KR: the week a check-in counts for."""
    stmt = (
        select(Prompt)
        .join(PromptItem, PromptItem.prompt_id == Prompt.id)
        .where(PromptItem.kr_id == kr_id, Prompt.due_at <= now)
        .order_by(Prompt.due_at.desc(), Prompt.id.desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def prompts_for_weeks(pairs: set[tuple[str, str]], *, session: Session
                      ) -> dict[tuple[str, str], tuple[int, str | None]]:
    """The (prompt id, away) of these (owner, week_key) weeks that exist, in bounded queries.

    Plain rows, not ORM objects: an idle tick asks this about every owner's week every minute.
    """
    found: dict[tuple[str, str], tuple[int, str | None]] = {}
    if not pairs:
        return found
    keys = sorted({key for _, key in pairs})
    for chunk in chunked(sorted({owner for owner, _ in pairs})):
        stmt = select(Prompt.id, Prompt.user_id, Prompt.week_key, Prompt.away).where(Prompt.user_id.in_(chunk),
                                                                                    Prompt.week_key.in_(keys))
        for prompt_id, owner, key, away in session.exec(stmt):
            if (owner, key) in pairs:
                found[(owner, key)] = (prompt_id, away)
    return found


def prompted_krs_since(owner_ids: Iterable[str], after: datetime, *, session: Session
                       ) -> dict[tuple[str, str], tuple[datetime, set[int]]]:
    """For each (owner, week_key) prompted after `after`: its due instant and the KRs it asked about."""
    recent: dict[tuple[str, str], tuple[datetime, set[int]]] = {}
    for chunk in chunked(sorted(set(owner_ids))):
        stmt = (select(Prompt.user_id, Prompt.week_key, Prompt.due_at, PromptItem.kr_id)
                .join(PromptItem, PromptItem.prompt_id == Prompt.id)
                .where(Prompt.user_id.in_(chunk), Prompt.due_at > after))
        for owner, key, due_at, kr_id in session.exec(stmt):
            recent.setdefault((owner, key), (due_at, set()))[1].add(kr_id)
    return recent


def open_week(owner_id: str, key: str, due: datetime, kr_ids: list[int], *, session: Session,
              away: str | None = None, now: datetime | None = None) -> Prompt:
    """The owner's prompt row for that week with these KRs recorded, created on first sight, and committed.

    With `away` (a reason) a new row is created skipped at `now`: the week okrbot skips without prompting.
    A commit point (see storage.db): concurrent ticks racing to create the same week agree on one row.
    """
    prompt = session.exec(select(Prompt).where(Prompt.user_id == owner_id, Prompt.week_key == key)).first()
    if prompt is None:
        prompt = Prompt(user_id=owner_id, week_key=key, due_at=due, away=away, skipped_at=now if away else None)
        session.add(prompt)
        try:
            session.commit()
        except sa.exc.IntegrityError:
            session.rollback()
            prompt = session.exec(select(Prompt).where(Prompt.user_id == owner_id, Prompt.week_key == key)).one()
    known = set(prompt_kr_ids(prompt.id, session=session))
    new = [PromptItem(prompt_id=prompt.id, kr_id=k) for k in kr_ids if k not in known]
    if new:
        session.add_all(new)
        try:
            session.commit()
        except sa.exc.IntegrityError:
            session.rollback()  # another process recorded the same items
    return prompt


def open_weeks(weeks: list[tuple[str, str, datetime, list[int], str | None]], *, session: Session,
               now: datetime) -> dict[tuple[str, str], Prompt]:
    """open_week for many new weeks (owner, week key, due, KR ids, away reason) at once: their rows in one commit
    and their items in another, so a catch-up of thousands of prompts costs a few statements, not four per week.

    A week another process created meanwhile fails the batch's unique key; then each week goes through open_week,
    which agrees on the row that won.
    """
    if not weeks:
        return {}
    # Core executemany with the workspace stamped here (storage.db stamps only what the session flushes): the ORM
    # would insert the rows one by one to learn their ids, which one query reads back instead.
    workspace = workspace_of(session)
    try:
        session.execute(sa.insert(Prompt), [
            {"workspace_id": workspace, "user_id": owner, "week_key": key, "due_at": due, "away": away,
             "skipped_at": now if away else None} for owner, key, due, _, away in weeks])
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        return {(owner, key): open_week(owner, key, due, kr_ids, session=session, away=away, now=now)
                for owner, key, due, kr_ids, away in weeks}
    wanted = {(owner, key) for owner, key, *_ in weeks}
    prompts: dict[tuple[str, str], Prompt] = {}
    for chunk in chunked(sorted({owner for owner, _ in wanted})):
        stmt = select(Prompt).where(Prompt.user_id.in_(chunk), Prompt.week_key.in_({key for _, key in wanted}))
        prompts.update(((p.user_id, p.week_key), p) for p in session.exec(stmt) if (p.user_id, p.week_key) in wanted)
    try:
        session.execute(sa.insert(PromptItem), [
            {"workspace_id": workspace, "prompt_id": prompts[(owner, key)].id, "kr_id": k}
            for owner, key, _, kr_ids, _ in weeks for k in dict.fromkeys(kr_ids)])
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()
        return {(owner, key): open_week(owner, key, due, kr_ids, session=session, away=away, now=now)
                for owner, key, due, kr_ids, away in weeks}
    return prompts


def prompt_kr_ids(prompt_id: int, *, session: Session) -> list[int]:
    """The KRs a prompt asked about."""
    return list(session.exec(select(PromptItem.kr_id).where(PromptItem.prompt_id == prompt_id)).all())


def prompt_owners(prompt_ids: Iterable[int], *, session: Session) -> dict[int, tuple[str, datetime]]:
    """The (owner, due_at) of these prompts by id, as plain rows, in bounded queries (the reminders job asks it of
    every open week)."""
    found: dict[int, tuple[str, datetime]] = {}
    for chunk in chunked(sorted(set(prompt_ids))):
        found.update((prompt_id, (user_id, due_at)) for prompt_id, user_id, due_at in
                     session.execute(select(Prompt.id, Prompt.user_id, Prompt.due_at).where(Prompt.id.in_(chunk))))
    return found


def mark_skipped(prompt_id: int, *, session: Session, now: datetime) -> None:
    """Skip the prompt's week; only the first skip writes, so a double click keeps the original time."""
    session.execute(sa.update(Prompt).where(Prompt.id == prompt_id, Prompt.skipped_at.is_(None))
                    .values(skipped_at=now))


def mark_away(prompt_id: int, reason: str, *, session: Session, now: datetime) -> None:
    """Skip the prompt's week because its owner is away; a week skipped already keeps its skip."""
    session.execute(sa.update(Prompt).where(Prompt.id == prompt_id, Prompt.skipped_at.is_(None))
                    .values(skipped_at=now, away=reason))


def clear_skip(prompt_id: int, *, session: Session) -> None:
    """Take a skip back (one okrbot made for an away week too, so that week is prompted after all)."""
    session.execute(sa.update(Prompt).where(Prompt.id == prompt_id).values(skipped_at=None, away=None))


def open_prompts_of(user_id: str, *, session: Session, now: datetime, since: datetime) -> list[Prompt]:
    """The user's prompts due in (since, now]: the weeks that may still be open."""
    return list(session.exec(select(Prompt).where(Prompt.user_id == user_id, Prompt.due_at > since,
                                                  Prompt.due_at <= now)))
