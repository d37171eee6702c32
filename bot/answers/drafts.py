"""Checking an objective draft from the form field by field, the coach's notes on it, and saving it.

Every check re-reads who may manage the team, so a forged or stale view changes nothing; archiving sets
archived_at and keeps every check-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.answers.answer import Answer
from bot.answers.carry import last_cycle
from bot.answers.permissions import can_manage
from bot.rules import validation
from bot.rules.coach.subjects import title_key
from bot.rules.coach.table import Finding, check_draft
from bot.rules.scoring import OBJECTIVE_TYPES
from bot.rules.text import plural, sentence
from bot.rules.validation import Invalid
from bot.rules.values import InvalidValue, parse_value
from bot.slack import ids
from bot.sources.spec import SourceProblem, parse_source_text, source_dict
from bot.slack.payloads import KRRow, ObjectiveDraft
from bot.views import authoring as views
from bot.views.kit import escape, value_text
from storage.db import flushed
from storage.models import Cycle, KeyResult, Objective, Team
from storage.okrs import key_result_keys, live_krs_of, live_objectives_in, objective_keys

COUNT_RULES = ("too-few-krs", "too-many-krs")
_RACED = {ids.OBJ_TITLE_BLOCK: "Someone saved this objective at the same moment; close the form and type "
                               "`/okr edit` to see it."}


@dataclass
class KRChange:
    row: KRRow
    kr: KeyResult | None
    title: str = ""
    owner: str = ""
    baseline: float = 0.0
    target: float = 0.0
    unit: str = ""
    archive: bool = False
    # bot.sources.spec.source_dict of the row's source, or None (none typed: the KR has no source).
    source: dict | None = None

    @property
    def changed(self) -> bool:
        """New, or different from what is stored in a way the coach reads (title and numbers)."""
        kr = self.kr
        return kr is None or (self.title, self.baseline, self.target, self.unit) != (kr.title, kr.baseline,
                                                                                     kr.target, kr.unit)


@dataclass
class CheckedDraft:
    """A draft that passed every check, with the rows it touches."""

    draft: ObjectiveDraft
    team: Team
    cycle: Cycle
    objective: Objective | None
    title: str
    type: str
    archive: bool
    changes: list[KRChange] = field(default_factory=list)
    # Live KRs of an edited objective that the form did not show; they count, unchanged.
    untouched: list[KeyResult] = field(default_factory=list)
    others: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.team.name} · {self.cycle.name}"

    @property
    def live(self) -> list[tuple[str, float, float, str]]:
        """(title, baseline, target, unit) of every KR the objective will have."""
        kept = [(c.title, c.baseline, c.target, c.unit) for c in self.changes if not c.archive]
        return kept + [(kr.title, kr.baseline, kr.target, kr.unit) for kr in self.untouched]



def check_draft_fields(draft: ObjectiveDraft, caller: str, *, session: Session, now: datetime,
           client) -> CheckedDraft | dict[str, str]:
    """The draft with every field checked, or errors by block id; refuses callers who may not manage the team."""
    errors: dict[str, str] = {}
    objective = None
    if draft.objective_id is not None:
        objective = session.get(Objective, draft.objective_id)
        if objective is None or objective.archived_at is not None:
            return {ids.OBJ_TITLE_BLOCK: "This objective was archived or removed meanwhile; close the form and "
                                         "type `/okr edit` to pick another."}
        team, cycle = session.get(Team, objective.team_id), session.get(Cycle, objective.cycle_id)
        where = ids.OBJ_TITLE_BLOCK
    else:
        team = session.get(Team, draft.team_id) if draft.team_id is not None else None
        if team is None:
            return {ids.OBJ_TEAM_BLOCK: "Choose the team this objective belongs to."}
        cycle = session.get(Cycle, draft.cycle_id) if draft.cycle_id is not None else None
        where = ids.OBJ_TEAM_BLOCK
        if cycle is None or cycle.end < now.date():
            return {ids.OBJ_TITLE_BLOCK: "That cycle has ended or no longer exists; close the form and type "
                                         "`/okr new` to write for the current one."}
    if not can_manage(caller, team, session=session, client=client, now=now):
        # A forged or stale view: say no, and check nothing else.
        # Field errors are plain text, so the team's name goes in as typed.
        return {where: f"Only {team.name}'s leads and workspace admins can write or edit its objectives."}

    checked = CheckedDraft(draft, team, cycle, objective, title="", type="",
                           archive=draft.archive and objective is not None)
    live_krs = live_krs_of([objective.id], session=session).get(objective.id, []) if objective else []
    existing = {kr.id: kr for kr in live_krs}
    if checked.archive:
        # Archiving the objective takes nothing else from the form.
        checked.title, checked.type, checked.untouched = objective.title, objective.type, list(existing.values())
        return checked
    try:
        checked.title = " ".join(validation.text(draft.title, "the objective's title", validation.TITLE_MAX).split())
    except Invalid as exc:
        errors[ids.OBJ_TITLE_BLOCK] = sentence(exc)
    if draft.type not in OBJECTIVE_TYPES:
        errors[ids.OBJ_TYPE_BLOCK] = "Choose aspirational or committed."
    checked.type = draft.type
    live = live_objectives_in(team.id, cycle.id, session=session)
    others = [o for o in live if objective is None or o.id != objective.id]
    checked.others = [o.title for o in others]
    if checked.title and any(title_key(o.title) == title_key(checked.title) for o in others):
        errors[ids.OBJ_TITLE_BLOCK] = (f"{team.name} already has an objective called “{checked.title}” in "
                                       f"{cycle.name}; give this one another title, or edit that one.")
    seen_rows: set[str] = set()
    titles: dict[str, str] = {}
    for row in draft.rows:
        if row.row in seen_rows:
            continue
        seen_rows.add(row.row)
        change = _check_row(row, existing, errors)
        if change is None:
            continue
        if not change.archive and change.title:
            block = ids.row_block(ids.KR_TITLE_BLOCK, row.row)
            key = title_key(change.title)
            if key in titles:
                errors[block] = "Another key result of this objective has this title; make each one distinct."
            titles[key] = row.row
        checked.changes.append(change)
    shown = {c.kr.id for c in checked.changes if c.kr is not None}
    checked.untouched = [kr for kr_id, kr in existing.items() if kr_id not in shown]
    # Untouched KRs keep their titles: a new or renamed one may not take one of them either.
    for kr in checked.untouched:
        for change in checked.changes:
            if change.kr is None and not change.archive and title_key(change.title) == title_key(kr.title):
                errors[ids.row_block(ids.KR_TITLE_BLOCK, change.row.row)] = (
                    "Another key result of this objective has this title; make each one distinct.")
    if not errors and not checked.live:
        first = draft.rows[0].row if draft.rows else "n0"
        errors[ids.row_block(ids.KR_TITLE_BLOCK, first)] = (
            "An objective needs at least one key result: fill in a row's title, owner, baseline and target.")
    return errors or checked


def _check_row(row: KRRow, existing: dict[int, KeyResult], errors: dict[str, str]) -> KRChange | None:
    """One row checked into a change (None for a blank spare row), adding its field errors to `errors`."""
    block = lambda prefix: ids.row_block(prefix, row.row)  # noqa: E731 - this row's block ids
    kr = None
    if row.kr_id is not None:
        kr = existing.get(row.kr_id)
        if kr is None:
            errors[block(ids.KR_TITLE_BLOCK)] = ("This key result was archived or removed meanwhile; close the form "
                                                 "and type `/okr edit` to see it as it is now.")
            return None
        if row.archive:
            return KRChange(row, kr, kr.title, kr.owner_id, kr.baseline, kr.target, kr.unit, archive=True)
    elif row.blank:
        return None
    change = KRChange(row, kr)
    try:
        change.title = " ".join(validation.text(row.title, "the key result's title", validation.TITLE_MAX).split())
    except Invalid as exc:
        errors[block(ids.KR_TITLE_BLOCK)] = sentence(exc)
    if not row.owner:
        errors[block(ids.KR_OWNER_BLOCK)] = "Choose the owner: the person who checks in on it every week."
    else:
        try:
            change.owner = validation.user_id(row.owner)
        except Invalid as exc:
            errors[block(ids.KR_OWNER_BLOCK)] = sentence(exc)
    numbers = {}
    for prefix, text, what in ((ids.KR_BASELINE_BLOCK, row.baseline, "baseline"),
                               (ids.KR_TARGET_BLOCK, row.target, "target")):
        if not text:
            errors[block(prefix)] = f"Enter the {what}, e.g. 22 or 35%."
            continue
        try:
            numbers[what] = parse_value(text)
        except InvalidValue as exc:
            errors[block(prefix)] = str(exc)
    if len(numbers) == 2:
        change.baseline, change.target = numbers["baseline"], numbers["target"]
        try:
            validation.kr_change(change.baseline, change.target)
        except Invalid as exc:
            errors[block(ids.KR_TARGET_BLOCK)] = sentence(exc)
    try:
        change.unit = " ".join(validation.unit(row.unit).split())
    except Invalid as exc:
        errors[block(ids.KR_UNIT_BLOCK)] = sentence(exc)
    if row.source:
        try:
            change.source = source_dict(parse_source_text(row.source))
        except SourceProblem as exc:
            where = exc.path.removeprefix("source").lstrip(".")
            errors[block(ids.KR_SOURCE_BLOCK)] = sentence(f"{exc.sentence} ({where})" if where else exc.sentence)
    return change




def coach_notes(checked: CheckedDraft, *, session: Session) -> list[Finding]:
    """The coach's findings on what this draft adds or changes (an untouched imported KR is not re-coached)."""
    if checked.archive:
        return []
    new = checked.objective is None
    last = last_cycle(checked.team.id, session=session, before=checked.cycle)
    findings = check_draft(checked.title, checked.live, team=checked.team.name, cycle=checked.cycle.name,
                           other_objectives=checked.others if new else (), weak_last_cycle=last.weak if last else None)
    if new:
        return findings
    title_changed = title_key(checked.title) != title_key(checked.objective.title)
    count_changed = any(c.kr is None or c.archive for c in checked.changes)
    changed_krs = {" ".join(c.title.split()) for c in checked.changes if c.changed and not c.archive}
    keep = []
    for f in findings:
        if f.kind == "objective" and (f.rule in COUNT_RULES and count_changed or
                                      f.rule not in COUNT_RULES and title_changed):
            keep.append(f)
        elif f.kind == "key_result" and f.title in changed_krs:
            keep.append(f)
    return keep



def _free_key(title: str, taken: set[str]) -> str:
    """A stable identity for a new row: its title, numbered when an old row (renamed or archived) holds it."""
    key = title[: validation.TITLE_MAX]
    n = 2
    while key in taken:
        suffix = f" ({n})"
        key = title[: validation.TITLE_MAX - len(suffix)] + suffix
        n += 1
    return key


def save(checked: CheckedDraft, caller: str, *, session: Session, now: datetime,
          notes: Sequence[Finding] = ()) -> Answer:
    objective = checked.objective
    if objective is None:
        taken = objective_keys(checked.team.id, checked.cycle.id, session=session)
        objective = Objective(team_id=checked.team.id, cycle_id=checked.cycle.id, key=_free_key(checked.title, taken),
                              title=checked.title, type=checked.type)
        session.add(objective)
    elif checked.archive:
        objective.archived_at = now
    else:
        objective.title, objective.type = checked.title, checked.type
    if not flushed(session):
        return Answer.field_errors(_RACED)
    if not checked.archive:
        taken = key_result_keys(objective.id, session=session)
        for change in checked.changes:
            if change.kr is None:
                key = _free_key(change.title, taken)
                taken.add(key)
                session.add(KeyResult(objective_id=objective.id, key=key, title=change.title,
                                      owner_id=change.owner, baseline=change.baseline, target=change.target,
                                      unit=change.unit, source=change.source))
            elif change.archive:
                change.kr.archived_at = now
                session.add(change.kr)
            else:
                kr = change.kr
                kr.title, kr.owner_id, kr.unit = change.title, change.owner, change.unit
                kr.source = change.source
                kr.baseline, kr.target = change.baseline, change.target
                session.add(kr)
    session.add(objective)
    if not flushed(session):
        return Answer.field_errors(_RACED)
    return Answer.show(_saved_view(checked, objective, notes))


def _saved_view(checked: CheckedDraft, objective: Objective, notes: Sequence[Finding]) -> dict:
    if checked.archive:
        count = len(checked.live)
        return views.saved_view(
            f"Archived “{escape(objective.title)}” ({escape(checked.where)}).",
            [f"Its {plural(count, 'key result')} leave the check-in prompts, status and digests; every check-in "
             "is kept."])
    lines = [f"• *{escape(title)}* · {value_text(baseline, unit)} → {value_text(target, unit)}"
             for title, baseline, target, unit in checked.live]
    owners = {c.owner for c in checked.changes if not c.archive and c.kr is None}
    archived = [c for c in checked.changes if c.archive]
    if archived:
        lines.append(f"Archived {plural(len(archived), 'key result')}; their check-ins are kept.")
    if owners:
        lines.append("New owners (" + ", ".join(f"<@{u}>" for u in sorted(owners)) + ") are asked to check in at "
                     f"{escape(checked.team.name)}'s next weekly prompt.")
    verb = "Added" if checked.objective is None else "Saved"
    headline = (f"{verb} “{escape(objective.title)}” ({escape(checked.where)}, {objective.type}) with "
                f"{plural(len(checked.live), 'key result')}.")
    return views.saved_view(headline, lines, notes)
