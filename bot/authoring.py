"""Writing and editing objectives from Slack: the form, its validation and permissions, the coach's review, saving.

`/okr new` opens a form for one objective with up to five key result rows; `/okr edit` opens the same form filled in
(after a picker when the caller manages several objectives). On submit the draft is checked field by field (errors
go back to the form), then the KR quality coach reads it: with notes, the form is replaced by a review listing them
with "Save anyway" and "Back to edit"; without, it is saved at once. Every submit re-checks who may manage the team,
so a forged or stale view changes nothing. Archiving sets archived_at and keeps every check-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from bot import blocks_authoring, ids, validation
from bot.blocks import escape, info_modal
from bot.blocks_authoring import FORM_OVERHEAD, ROW_BLOCKS, FormContext
from bot.blocks_status import plural
from bot.coach import Finding, check_draft
from bot.payloads import KRRow, ObjectiveDraft, ObjectiveSubmission
from bot.permissions import can_manage, manage_refusal, manageable_teams
from bot.status import no_such_team, team_name_of
from bot.teams import current_cycles, no_cycle_text, sentence
from bot.validation import Invalid
from bot.values import InvalidValue, format_value, parse_value
from storage.models import OBJECTIVE_TYPES, Cycle, KeyResult, Objective, Team
from storage.reporting import find_team

NEW_ROWS = 5
# Rows an edit form can hold within a modal's 100 blocks, existing KRs first.
MAX_ROWS = (100 - FORM_OVERHEAD) // ROW_BLOCKS
METADATA_CHARS = 3000
COUNT_RULES = ("too-few-krs", "too-many-krs")


@dataclass(frozen=True)
class FormOutcome:
    """Field errors for the form, or the view that replaces it; `saved` names the objective written, if any."""

    errors: dict[str, str] | None = None
    view: dict | None = None
    saved: int | None = None


@dataclass
class _KRChange:
    row: KRRow
    kr: KeyResult | None
    title: str = ""
    owner: str = ""
    baseline: float = 0.0
    target: float = 0.0
    unit: str = ""
    archive: bool = False

    @property
    def changed(self) -> bool:
        """New, or different from what is stored in a way the coach reads (title and numbers)."""
        kr = self.kr
        return kr is None or (self.title, self.baseline, self.target, self.unit) != (kr.title, kr.baseline,
                                                                                     kr.target, kr.unit)


@dataclass
class _Checked:
    """A draft that passed every check, with the rows it touches."""

    draft: ObjectiveDraft
    team: Team
    cycle: Cycle
    objective: Objective | None
    title: str
    type: str
    archive: bool
    changes: list[_KRChange] = field(default_factory=list)
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


# --------------------------------------------------------------------------- opening the form


def _number_text(value: float) -> str:
    """A stored number as the form shows it: exact, so saving an untouched form changes nothing."""
    return format(Decimal(repr(float(value))).normalize(), "f") if value != int(value) else str(int(value))


def _new_rows(count: int, start: int = 0) -> tuple[KRRow, ...]:
    return tuple(KRRow(f"n{i}") for i in range(start, start + count))


def _live_krs(objective_id: int, *, session: Session) -> list[KeyResult]:
    return list(session.exec(select(KeyResult).where(KeyResult.objective_id == objective_id,
                                                     KeyResult.archived_at.is_(None)).order_by(KeyResult.id)))


def _no_teams(caller: str, *, session: Session, what: str) -> str:
    if session.exec(select(Team.id).limit(1)).first() is None:
        return "There are no teams yet. A workspace admin can create one with `/okr team add NAME #channel`."
    return (f"Only a team's leads and workspace admins can {what}, and you lead no team. "
            "`/okr team` lists who leads each team.")


def _pick_team(args: Sequence[str], teams: list[Team], *, session: Session, what: str) -> list[Team] | str:
    """The teams the command may act on: all the caller's, or the one named, or a sentence why not."""
    if not args:
        return teams
    name = team_name_of(args)
    team = find_team(name, session=session)
    if team is None:
        return no_such_team(name, session=session)
    if team.id not in {t.id for t in teams}:
        return manage_refusal(team, what)
    return [team]


def new_objective_command(args: Sequence[str], caller: str, *, session: Session, now: datetime,
                          client=None) -> dict | str:
    """`/okr new [TEAM]`: the form for a new objective, or one sentence saying why there is none."""
    cycles = current_cycles(session=session, today=now.date())
    if not cycles:
        return no_cycle_text(now.date())
    teams = manageable_teams(caller, session=session, client=client, now=now)
    if not teams:
        return _no_teams(caller, session=session, what="write objectives")
    teams = _pick_team(args, teams, session=session, what="write its objectives")
    if isinstance(teams, str):
        return teams
    draft = ObjectiveDraft(team_id=teams[0].id if len(teams) == 1 else None, cycle_id=cycles[0].id,
                           rows=_new_rows(NEW_ROWS))
    return blocks_authoring.objective_form(draft, _new_context(teams, cycles, now))


def new_objective_modal(caller: str, *, session: Session, now: datetime, client=None) -> dict:
    """The form for a new objective from a button, or a modal saying why there is none."""
    form = new_objective_command((), caller, session=session, now=now, client=client)
    return form if isinstance(form, dict) else info_modal("New objective", form)


def _cycle_label(cycle: Cycle, now: datetime) -> str:
    state = "" if cycle.start <= now.date() else f", starts {cycle.start.isoformat()}"
    return f"{cycle.name} ({cycle.start.isoformat()} to {cycle.end.isoformat()}{state})"


def _new_context(teams: Sequence[Team], cycles: Sequence[Cycle], now: datetime) -> FormContext:
    return FormContext(teams=[(t.id, t.name) for t in teams], cycles=[(c.id, _cycle_label(c, now)) for c in cycles])


def _edit_draft(objective: Objective, krs: list[KeyResult]) -> ObjectiveDraft:
    shown = krs[:MAX_ROWS]
    rows = tuple(KRRow(f"k{kr.id}", kr.title, kr.owner_id, _number_text(kr.baseline), _number_text(kr.target), kr.unit)
                 for kr in shown)
    spare = max(1, NEW_ROWS - len(shown)) if len(shown) < MAX_ROWS else 0
    return ObjectiveDraft(objective_id=objective.id, team_id=objective.team_id, cycle_id=objective.cycle_id,
                          title=objective.title, type=objective.type, rows=rows + _new_rows(spare))


def _edit_context(objective: Objective, krs: list[KeyResult], shown_rows: Sequence[KRRow], *,
                  session: Session) -> FormContext:
    team, cycle = session.get(Team, objective.team_id), session.get(Cycle, objective.cycle_id)
    titles = {f"k{kr.id}": kr.title for kr in krs}
    shown = {r.row for r in shown_rows}
    return FormContext(fixed=f"{team.name} · {cycle.name}", kr_titles=titles,
                       hidden_krs=sum(1 for key in titles if key not in shown))


def _editable(objective_id: int | None, caller: str, *, session: Session, now: datetime,
              client) -> Objective | str:
    objective = session.get(Objective, objective_id) if objective_id is not None else None
    if objective is None or objective.archived_at is not None:
        return "That objective is archived or no longer exists. Type `/okr edit` to pick another."
    team = session.get(Team, objective.team_id)
    if not can_manage(caller, team, session=session, client=client, now=now):
        return manage_refusal(team, "edit its objectives")
    return objective


def edit_form(objective_id: int | None, caller: str, *, session: Session, now: datetime, client=None) -> dict:
    """The form for editing one objective and its KRs, or a modal saying why the caller cannot."""
    objective = _editable(objective_id, caller, session=session, now=now, client=client)
    if isinstance(objective, str):
        return info_modal("Edit objective", objective)
    krs = _live_krs(objective.id, session=session)
    draft = _edit_draft(objective, krs)
    return blocks_authoring.objective_form(draft, _edit_context(objective, krs, draft.rows, session=session))


def edit_command(args: Sequence[str], caller: str, *, session: Session, now: datetime, client=None) -> dict | str:
    """`/okr edit [TEAM]`: the form of the caller's only objective, a picker of several, or why there is none."""
    teams = manageable_teams(caller, session=session, client=client, now=now)
    if not teams:
        return _no_teams(caller, session=session, what="edit objectives")
    teams = _pick_team(args, teams, session=session, what="edit its objectives")
    if isinstance(teams, str):
        return teams
    names = {t.id: t.name for t in teams}
    rows = session.exec(
        select(Objective, Cycle).join(Cycle, Objective.cycle_id == Cycle.id)
        .where(Objective.team_id.in_(list(names)), Objective.archived_at.is_(None), Cycle.end >= now.date())
    ).all()
    rows = sorted(rows, key=lambda r: (names[r[0].team_id].casefold(), r[1].start, r[0].id))
    if not rows:
        where = names[teams[0].id] if len(teams) == 1 else "your teams"
        return f"There are no objectives in a current cycle for {where} yet; write one with `/okr new`."
    if len(rows) == 1:
        return edit_form(rows[0][0].id, caller, session=session, now=now, client=client)
    options = [(o.id, f"{names[o.team_id]} · {c.name} · {o.title}") for o, c in rows]
    return blocks_authoring.edit_picker(options, more=max(0, len(options) - blocks_authoring.SELECT_OPTIONS))


def form_again(draft: ObjectiveDraft, caller: str, *, session: Session, now: datetime, client=None,
               problems: Sequence[str] = ()) -> dict:
    """The form rebuilt from a draft (after "Back to edit", or when a review can no longer be saved)."""
    if draft.objective_id is not None:
        objective = _editable(draft.objective_id, caller, session=session, now=now, client=client)
        if isinstance(objective, str):
            return info_modal("Edit objective", objective)
        krs = _live_krs(objective.id, session=session)
        rows = tuple(r for r in draft.rows if r.kr_id is None or r.kr_id in {kr.id for kr in krs})
        draft = ObjectiveDraft(objective.id, objective.team_id, objective.cycle_id, draft.title, draft.type,
                               draft.archive, rows)
        ctx = _edit_context(objective, krs, rows, session=session)
        return blocks_authoring.objective_form(draft, ctx, problems=problems)
    cycles = current_cycles(session=session, today=now.date())
    teams = manageable_teams(caller, session=session, client=client, now=now)
    if not cycles or not teams:
        return info_modal("New objective", no_cycle_text(now.date()) if not cycles
                          else _no_teams(caller, session=session, what="write objectives"))
    rows = tuple(r for r in draft.rows if r.kr_id is None)[:NEW_ROWS]
    draft = ObjectiveDraft(None, draft.team_id, draft.cycle_id, draft.title, draft.type, False,
                           rows + _new_rows(NEW_ROWS - len(rows), start=len(rows)))
    draft = _renumbered(draft)
    return blocks_authoring.objective_form(draft, _new_context(teams, cycles, now), problems=problems)


def _renumbered(draft: ObjectiveDraft) -> ObjectiveDraft:
    """New rows keyed n0, n1, … in order, so a rebuilt form never repeats a block id."""
    rows, n = [], 0
    for row in draft.rows:
        if row.kr_id is None:
            row = KRRow(f"n{n}", row.title, row.owner, row.baseline, row.target, row.unit, row.archive)
            n += 1
        rows.append(row)
    return ObjectiveDraft(draft.objective_id, draft.team_id, draft.cycle_id, draft.title, draft.type, draft.archive,
                          tuple(rows))


# --------------------------------------------------------------------------- checking a draft


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


def _check(draft: ObjectiveDraft, caller: str, *, session: Session, now: datetime,
           client) -> _Checked | dict[str, str]:
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
        return {where: manage_refusal(team, "write or edit its objectives")}

    checked = _Checked(draft, team, cycle, objective, title="", type="", archive=draft.archive and objective is not None)
    existing = {kr.id: kr for kr in _live_krs(objective.id, session=session)} if objective else {}
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
    live = session.exec(select(Objective).where(Objective.team_id == team.id, Objective.cycle_id == cycle.id,
                                                Objective.archived_at.is_(None))).all()
    others = [o for o in live if objective is None or o.id != objective.id]
    checked.others = [o.title for o in others]
    if checked.title and any(_title_key(o.title) == _title_key(checked.title) for o in others):
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
            key = _title_key(change.title)
            if key in titles:
                errors[block] = "Another key result of this objective has this title; make each one distinct."
            titles[key] = row.row
        checked.changes.append(change)
    shown = {c.kr.id for c in checked.changes if c.kr is not None}
    checked.untouched = [kr for kr_id, kr in existing.items() if kr_id not in shown]
    # Untouched KRs keep their titles: a new or renamed one may not take one of them either.
    for kr in checked.untouched:
        for change in checked.changes:
            if change.kr is None and not change.archive and _title_key(change.title) == _title_key(kr.title):
                errors[ids.row_block(ids.KR_TITLE_BLOCK, change.row.row)] = (
                    "Another key result of this objective has this title; make each one distinct.")
    if not errors and not checked.live:
        first = draft.rows[0].row if draft.rows else "n0"
        errors[ids.row_block(ids.KR_TITLE_BLOCK, first)] = (
            "An objective needs at least one key result: fill in a row's title, owner, baseline and target.")
    return errors or checked


def _check_row(row: KRRow, existing: dict[int, KeyResult], errors: dict[str, str]) -> _KRChange | None:
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
            return _KRChange(row, kr, kr.title, kr.owner_id, kr.baseline, kr.target, kr.unit, archive=True)
    elif row.blank:
        return None
    change = _KRChange(row, kr)
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
    return change


# --------------------------------------------------------------------------- the coach


def coach_notes(checked: _Checked) -> list[Finding]:
    """The coach's findings on what this draft adds or changes (an untouched imported KR is not re-coached)."""
    if checked.archive:
        return []
    new = checked.objective is None
    findings = check_draft(checked.title, checked.live, team=checked.team.name, cycle=checked.cycle.name,
                           other_objectives=checked.others if new else ())
    if new:
        return findings
    title_changed = _title_key(checked.title) != _title_key(checked.objective.title)
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


# --------------------------------------------------------------------------- submitting and saving


def submit_form(sub: ObjectiveSubmission, *, session: Session, now: datetime, client=None) -> FormOutcome:
    """A submitted form: field errors, else the coach's review when it has notes, else saved."""
    checked = _check(sub.draft, sub.user_id, session=session, now=now, client=client)
    if isinstance(checked, dict):
        return FormOutcome(errors=checked)
    notes = coach_notes(checked)
    if notes:
        review = blocks_authoring.review_view(sub.draft, notes, where=checked.where)
        if len(review["private_metadata"]) <= METADATA_CHARS:
            return FormOutcome(view=review)
        # A draft too long to carry to the review is saved now, its notes shown on the confirmation instead.
    return _save(checked, sub.user_id, session=session, now=now, notes=notes)


def submit_review(sub: ObjectiveSubmission, *, session: Session, now: datetime, client=None) -> FormOutcome:
    """"Save anyway" on the review: the carried draft is checked again in full, then saved despite the notes."""
    checked = _check(sub.draft, sub.user_id, session=session, now=now, client=client)
    if isinstance(checked, dict):
        problems = list(dict.fromkeys(checked.values()))
        return FormOutcome(view=form_again(sub.draft, sub.user_id, session=session, now=now, client=client,
                                           problems=["Not saved: " + " ".join(problems)]))
    return _save(checked, sub.user_id, session=session, now=now)


def back_to_form(draft: ObjectiveDraft, caller: str, *, session: Session, now: datetime, client=None) -> dict:
    """"Back to edit" on the review: the form again, filled in as it was submitted."""
    return form_again(draft, caller, session=session, now=now, client=client)


def _free_key(title: str, taken: set[str]) -> str:
    """A stable identity for a new row: its title, numbered when an old row (renamed or archived) holds it."""
    key = title[: validation.TITLE_MAX]
    n = 2
    while key in taken:
        suffix = f" ({n})"
        key = title[: validation.TITLE_MAX - len(suffix)] + suffix
        n += 1
    return key


def _save(checked: _Checked, caller: str, *, session: Session, now: datetime,
          notes: Sequence[Finding] = ()) -> FormOutcome:
    objective = checked.objective
    if objective is None:
        taken = set(session.exec(select(Objective.key).where(Objective.team_id == checked.team.id,
                                                             Objective.cycle_id == checked.cycle.id)).all())
        objective = Objective(team_id=checked.team.id, cycle_id=checked.cycle.id, key=_free_key(checked.title, taken),
                              title=checked.title, type=checked.type)
        session.add(objective)
    elif checked.archive:
        objective.archived_at = now
    else:
        objective.title, objective.type = checked.title, checked.type
    try:
        session.flush()
        if not checked.archive:
            taken = set(session.exec(select(KeyResult.key).where(KeyResult.objective_id == objective.id)).all())
            for change in checked.changes:
                if change.kr is None:
                    key = _free_key(change.title, taken)
                    taken.add(key)
                    session.add(KeyResult(objective_id=objective.id, key=key, title=change.title,
                                          owner_id=change.owner, baseline=change.baseline, target=change.target,
                                          unit=change.unit))
                elif change.archive:
                    change.kr.archived_at = now
                    session.add(change.kr)
                else:
                    kr = change.kr
                    kr.title, kr.owner_id, kr.unit = change.title, change.owner, change.unit
                    kr.baseline, kr.target = change.baseline, change.target
                    session.add(kr)
        session.add(objective)
        session.flush()
    except sa.exc.IntegrityError:
        # Two saves of the same new objective raced; the other one won. Nothing of this one is kept.
        session.rollback()
        return FormOutcome(errors={ids.OBJ_TITLE_BLOCK: "Someone saved this objective at the same moment; close the "
                                                        "form and type `/okr edit` to see it."})
    return FormOutcome(view=_saved_view(checked, objective, notes), saved=objective.id)


def _saved_view(checked: _Checked, objective: Objective, notes: Sequence[Finding]) -> dict:
    if checked.archive:
        count = len(checked.live)
        return blocks_authoring.saved_view(
            f"Archived “{escape(objective.title)}” ({escape(checked.where)}).",
            [f"Its {plural(count, 'key result')} leave the check-in prompts, status and digests; every check-in "
             "is kept."])
    lines = [f"• *{escape(title)}* · {format_value(baseline, unit)} → {format_value(target, unit)}"
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
    return blocks_authoring.saved_view(headline, lines, notes)
