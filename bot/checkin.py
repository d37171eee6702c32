"""The check-in: who may check in for which KR, validation, and storing it exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from bot import blocks, ids
from bot.payloads import CheckinSubmission
from bot.values import InvalidValue, parse_value
from storage.models import CONFIDENCES, CheckIn, KeyResult
from storage.queries import ActiveKR, active_key_results, current_prompt_for, latest_checkins, leads_by_team

NOTE_LIMIT = 3000
NOT_HERE = ("This key result is not in this workspace, so it takes no check-ins here. Type `/okr checkin` to open "
            "a fresh form.")


@dataclass(frozen=True)
class SubmitOutcome:
    """Either field errors to show in the modal, or the view that replaces it."""

    errors: dict[str, str] | None = None
    view: dict | None = None
    saved: tuple[CheckIn, ...] = ()


def live_key_results(*, session: Session, now: datetime, owner_id: str | None = None) -> list[ActiveKR]:
    """KRs whose cycle is running around `now` (a day of slack either side for owners' time zones)."""
    day = now.date()
    return active_key_results(session=session, first_day=day - timedelta(days=1), last_day=day + timedelta(days=1),
                              owner_id=owner_id)


def checkin_form(caller: str, for_user: str | None, *, session: Session, now: datetime) -> dict:
    """The modal `caller` sees to check in for `for_user` (default: themselves), or a modal saying why not."""
    for_user = for_user or caller
    rows = live_key_results(session=session, now=now, owner_id=for_user)
    if for_user != caller:
        leads = leads_by_team({r.team.id for r in rows}, session=session)
        rows = [r for r in rows if caller in leads.get(r.team.id, [])]
        if not rows:
            return blocks.info_modal("Check-in", f"You can only check in for <@{for_user}> on key results of "
                                                 "teams you lead, and they own none this cycle.")
    if not rows:
        return blocks.info_modal("Check-in", "You own no key results in the current cycle, so there is "
                                             "nothing to check in. A team lead can add you as an owner.")
    latest = latest_checkins([r.kr.id for r in rows], session=session)
    return blocks.checkin_modal(rows, latest, for_user=for_user, caller=caller)


def submit_checkin(sub: CheckinSubmission, *, session: Session, now: datetime) -> SubmitOutcome:
    """Validate and store a submitted check-in modal; all of it or none of it."""
    if not sub.entries:
        return SubmitOutcome(view=blocks.info_modal("Check-in", "This form is out of date. Type `/okr checkin` "
                                                                "to open a fresh one."))
    keys = {kr_id: f"{sub.view_id}:{kr_id}" for kr_id in sub.entries}
    already = session.exec(select(CheckIn).where(CheckIn.source_key.in_(list(keys.values())))).all()
    if already:
        # Slack retried the submission, or it was double-clicked: answer as the first time, store nothing.
        return _done(already, session=session, now=now)

    by_id = {r.kr.id: r for r in live_key_results(session=session, now=now)}
    leads = leads_by_team({r.team.id for r in by_id.values()}, session=session)
    errors: dict[str, str] = {}
    parsed: list[tuple[ActiveKR, float, str, str]] = []
    for kr_id, entry in sub.entries.items():
        value_block = ids.kr_block(ids.VALUE_BLOCK, kr_id)
        if not entry.value_text and not entry.confidence and not entry.note:
            continue
        row = by_id.get(kr_id)
        if row is None:
            # Not live here: archived or ended, or no KR of this workspace at all (a forged or misrouted form).
            errors[value_block] = (NOT_HERE if session.get(KeyResult, kr_id) is None else
                                   "This key result is archived or its cycle has ended, so it takes no check-ins.")
            continue
        if sub.user_id != row.kr.owner_id and sub.user_id not in leads.get(row.team.id, []):
            errors[value_block] = (f"Only the owner (<@{row.kr.owner_id}>) or a lead of {row.team.name} "
                                   "can check in for this key result.")
            continue
        if not entry.value_text:
            errors[value_block] = "Enter the current value, e.g. 35 or 35%."
            continue
        try:
            value = parse_value(entry.value_text)
        except InvalidValue as exc:
            errors[value_block] = str(exc)
            continue
        if entry.confidence not in CONFIDENCES:
            errors[ids.kr_block(ids.CONFIDENCE_BLOCK, kr_id)] = "Choose a confidence: on track, at risk or off track."
            continue
        if entry.confidence in ("amber", "red") and not entry.note:
            errors[ids.kr_block(ids.NOTE_BLOCK, kr_id)] = (
                "At risk or off track: say what changes before next week, or what help you need.")
            continue
        if len(entry.note) > NOTE_LIMIT:
            errors[ids.kr_block(ids.NOTE_BLOCK, kr_id)] = f"Keep the note under {NOTE_LIMIT} characters."
            continue
        parsed.append((row, value, entry.confidence, entry.note))
    if errors:
        return SubmitOutcome(errors=errors)
    if not parsed:
        first = ids.kr_block(ids.VALUE_BLOCK, next(iter(sub.entries)))
        return SubmitOutcome(errors={first: "Fill in at least one key result: its value and confidence."})

    # Read before adding: autoflush would otherwise count the new rows as "previous".
    previous = latest_checkins([row.kr.id for row, *_ in parsed], session=session)
    prompts = {row.kr.id: current_prompt_for(row.kr.id, session=session, now=now) for row, *_ in parsed}
    rows_saved = []
    for row, value, confidence, note in parsed:
        prompt = prompts[row.kr.id]
        checkin = CheckIn(kr_id=row.kr.id, author_id=sub.user_id, value=value, confidence=confidence, note=note,
                          created_at=now, prompt_id=prompt.id if prompt else None, source_key=keys[row.kr.id])
        session.add(checkin)
        rows_saved.append(checkin)
    try:
        session.flush()
    except sa.exc.IntegrityError:
        # A concurrent copy of this submission won the race; show what it stored.
        session.rollback()
        stored = session.exec(select(CheckIn).where(CheckIn.source_key.in_(list(keys.values())))).all()
        return _done(stored, session=session, now=now)
    saved = [(by_id[c.kr_id], c, previous.get(c.kr_id)) for c in rows_saved]
    return SubmitOutcome(view=blocks.checkin_done_view(saved), saved=tuple(rows_saved))


def _done(stored, *, session: Session, now: datetime) -> SubmitOutcome:
    rows = {r.kr.id: r for r in live_key_results(session=session, now=now)}
    saved = []
    for checkin in stored:
        before = session.exec(
            select(CheckIn).where(CheckIn.kr_id == checkin.kr_id, CheckIn.id < checkin.id)
            .order_by(CheckIn.id.desc()).limit(1)).first()
        if checkin.kr_id in rows:
            saved.append((rows[checkin.kr_id], checkin, before))
    return SubmitOutcome(view=blocks.checkin_done_view(saved), saved=tuple(stored))
