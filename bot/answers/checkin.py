"""The check-in: who may check in for which KR, validation, and storing it exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.answers.answer import Answer
from bot.reports.weeks import kr_weeks
from bot.rules.schedule import WEEK, days_around
from bot.rules.scoring import CONFIDENCES
from bot.rules.values import InvalidValue, parse_value
from bot.slack import ids
from bot.slack.payloads import CheckinSubmission
from bot.views.checkin import checkin_done_view, checkin_modal
from bot.views.kit import info_modal
from storage.checkins import checkin_before, checkins_by_source, latest_checkins, replace_checkin, week_checkins
from storage.db import flushed
from storage.models import CheckIn, KeyResult
from storage.okrs import ActiveKR, live_key_results
from storage.prompts import current_prompt_for
from storage.teams import leads_by_team

NOTE_LIMIT = 3000
NOT_HERE = ("This key result is not in this workspace, so it takes no check-ins here. Type `/okr checkin` to open "
            "a fresh form.")


def _live(*, session: Session, now: datetime, owner_id: str | None = None) -> list[ActiveKR]:
    """KRs whose cycle is running around `now` (a day of slack either side for owners' time zones)."""
    first_day, last_day = days_around(now=now)
    return live_key_results(session=session, first_day=first_day, last_day=last_day, owner_id=owner_id)


def checkin_form(caller: str, for_user: str | None, *, session: Session, now: datetime) -> Answer:
    """The modal `caller` sees to check in for `for_user` (default: themselves), or a modal saying why not."""
    for_user = for_user or caller
    rows = _live(session=session, now=now, owner_id=for_user)
    if for_user != caller:
        leads = leads_by_team({r.team.id for r in rows}, session=session)
        rows = [r for r in rows if caller in leads.get(r.team.id, [])]
        if not rows:
            return Answer.show(info_modal("Check-in", f"You can only check in for <@{for_user}> on key results of "
                                                      "teams you lead, and they own none this cycle."))
    if not rows:
        return Answer.show(info_modal("Check-in", "You own no key results in the current cycle, so there is "
                                                  "nothing to check in. A team lead can add you as an owner."))
    latest = latest_checkins([r.kr.id for r in rows], session=session)
    current = week_checkins(_open_weeks([r.kr.id for r in rows], session=session, now=now), session=session)
    return Answer.show(checkin_modal(rows, latest, for_user=for_user, caller=caller, current=current))


def _open_weeks(kr_ids: list[int], *, session: Session, now: datetime) -> dict[int, int]:
    """{kr_id: prompt_id} of each KR's open check-in week (its latest prompt, under a week old)."""
    return {kr_id: w.current.prompt_id for kr_id, w in kr_weeks(kr_ids, session=session, now=now).items()
            if now < w.current.due_at + WEEK}


def submit_checkin(sub: CheckinSubmission, *, session: Session, now: datetime) -> Answer:
    """Validate and store a submitted check-in modal; all of it or none of it."""
    if not sub.entries:
        return Answer.show(info_modal("Check-in", "This form is out of date. Type `/okr checkin` to open a fresh "
                                                  "one."))
    # An edit of the same modal (its view id stays) is told apart by the version it started from.
    keys = {kr_id: f"{sub.view_id}:{kr_id}" + (f":{sub.base[kr_id]}" if kr_id in sub.base else "")
            for kr_id in sub.entries}
    already = checkins_by_source(keys.values(), session=session)
    if already:
        # Slack retried the submission, or it was double-clicked: answer as the first time, store nothing.
        return _done(already, session=session, now=now)

    by_id = {r.kr.id: r for r in _live(session=session, now=now)}
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
        return Answer.field_errors(errors)
    if not parsed:
        first = ids.kr_block(ids.VALUE_BLOCK, next(iter(sub.entries)))
        return Answer.field_errors({first: "Fill in at least one key result: its value and confidence."})

    # Read before adding: autoflush would otherwise count the new rows as "previous".
    previous = latest_checkins([row.kr.id for row, *_ in parsed], session=session)
    prompts = {row.kr.id: current_prompt_for(row.kr.id, session=session, now=now) for row, *_ in parsed}
    # A second check-in in the same week is an edit: it replaces the week's check-in, which stays as history.
    this_week = week_checkins({kr_id: p.id for kr_id, p in prompts.items() if p is not None and now < p.due_at + WEEK},
                              session=session)
    rows_saved, unchanged = [], []
    for row, value, confidence, note in parsed:
        prompt = prompts[row.kr.id]
        old = this_week.get(row.kr.id)
        if old is not None and (old.value, old.confidence, old.note) == (value, confidence, note):
            unchanged.append(old)
            continue
        checkin = CheckIn(kr_id=row.kr.id, author_id=sub.user_id, value=value, confidence=confidence, note=note,
                          created_at=now, prompt_id=prompt.id if prompt else None, source_key=keys[row.kr.id])
        if old is not None:
            replace_checkin(old, checkin, now=now)
            session.add(old)
        session.add(checkin)
        rows_saved.append(checkin)
    if not rows_saved:
        return _done(unchanged, session=session, now=now, for_user=sub.for_user)
    if not flushed(session):
        # A concurrent copy of this submission won the race; show what it stored.
        return _done(checkins_by_source(keys.values(), session=session), session=session, now=now,
                     for_user=sub.for_user)
    saved = [(by_id[c.kr_id], c, previous.get(c.kr_id)) for c in rows_saved]
    saved += [(by_id[c.kr_id], c, checkin_before(c, session=session)) for c in unchanged]
    return Answer.show(checkin_done_view(saved, for_user=sub.for_user))


def _done(stored: list[CheckIn], *, session: Session, now: datetime, for_user: str | None = None) -> Answer:
    rows = {r.kr.id: r for r in _live(session=session, now=now)}
    saved = [(rows[c.kr_id], c, checkin_before(c, session=session)) for c in stored if c.kr_id in rows]
    return Answer.show(checkin_done_view(saved, for_user=for_user))
