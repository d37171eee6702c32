"""Writing and editing objectives from Slack: `/okr new`, `/okr edit`, the form and the coach's review.

`/okr new` opens a form for one objective with up to five key result rows; `/okr edit` opens the same form filled in
(after a picker when the caller manages several objectives). On submit the draft is checked field by field (errors
go back to the form, see answers.drafts), then the KR quality coach reads it: with notes, the form is replaced by a
review listing them with "Save anyway" and "Back to edit"; without, it is saved at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from bot.answers.answer import Answer
from bot.answers.carry import last_cycle
from bot.answers.drafts import check_draft_fields, coach_notes, save
from bot.answers.lookup import no_such_team, team_name_of
from bot.answers.permissions import can_manage, manage_refusal, manageable_teams
from bot.answers.teams import no_cycle_text
from bot.slack.payloads import KRRow, ObjectiveDraft, ObjectiveSubmission
from bot.sources.spec import source_text
from bot.views import authoring as views
from bot.views.authoring import FORM_OVERHEAD, ROW_BLOCKS, FormContext
from bot.views.kit import MODAL_BLOCKS, SELECT_OPTIONS, escape, info_modal
from storage.cycles import current_cycles
from storage.models import Cycle, KeyResult, Objective, Team
from storage.okrs import live_krs_of, objectives_not_ended
from storage.teams import any_team, find_team, is_lead

NEW_ROWS = 5
# Rows an edit form can hold within a modal's 100 blocks, existing KRs first.
MAX_ROWS = (MODAL_BLOCKS - FORM_OVERHEAD) // ROW_BLOCKS
METADATA_CHARS = 3000


def _number_text(value: float) -> str:
    """A stored number as the form shows it: exact, so saving an untouched form changes nothing."""
    return format(Decimal(repr(float(value))).normalize(), "f") if value != int(value) else str(int(value))


def _new_rows(count: int, start: int = 0) -> tuple[KRRow, ...]:
    return tuple(KRRow(f"n{i}") for i in range(start, start + count))


def _no_teams(caller: str, *, session: Session, what: str) -> str:
    if not any_team(session=session):
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
                          client=None) -> Answer:
    """`/okr new [TEAM]`: the form for a new objective, or one sentence saying why there is none."""
    form = _new_form(args, caller, session=session, now=now, client=client)
    return Answer.show(form) if isinstance(form, dict) else Answer.say(form)


def new_objective_modal(caller: str, *, session: Session, now: datetime, client=None) -> Answer:
    """The form for a new objective from a button, or a modal saying why there is none."""
    form = _new_form((), caller, session=session, now=now, client=client)
    return Answer.show(form if isinstance(form, dict) else info_modal("New objective", form))


def _new_form(args: Sequence[str], caller: str, *, session: Session, now: datetime, client) -> dict | str:
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
    ctx = _new_context(teams, cycles, now=now)
    return views.objective_form(draft, replace(ctx, lessons=_lessons(teams, caller, cycles[0], session=session)))


# Teams whose lessons a new objective's form shows at most (an admin's form lists every team).
LESSON_TEAMS = 3


def _lessons(teams: Sequence[Team], caller: str, cycle: Cycle, *, session: Session):
    """What the teams' last graded cycle said they change next: for the one team of the form, or those the caller leads."""
    if len(teams) > 1:
        teams = [t for t in teams if is_lead(caller, t.id, session=session)]
    out = []
    for team in teams[:LESSON_TEAMS]:
        last = last_cycle(team.id, session=session, before=cycle)
        if last is not None and last.lessons:
            out.append((team.name, last.cycle, last.lessons))
    return tuple(out)


def _cycle_label(cycle: Cycle, *, now: datetime) -> str:
    state = "" if cycle.start <= now.date() else f", starts {cycle.start.isoformat()}"
    return f"{cycle.name} ({cycle.start.isoformat()} to {cycle.end.isoformat()}{state})"


def _new_context(teams: Sequence[Team], cycles: Sequence[Cycle], *, now: datetime) -> FormContext:
    return FormContext(teams=[(t.id, t.name) for t in teams],
                       cycles=[(c.id, _cycle_label(c, now=now)) for c in cycles])


def _edit_draft(objective: Objective, krs: list[KeyResult]) -> ObjectiveDraft:
    shown = krs[:MAX_ROWS]
    rows = tuple(KRRow(f"k{kr.id}", kr.title, kr.owner_id, _number_text(kr.baseline), _number_text(kr.target), kr.unit,
                       source=source_text(kr.source) if kr.source else "") for kr in shown)
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


def edit_form(objective_id: int | None, caller: str, *, session: Session, now: datetime, client=None,
              problems: Sequence[str] = ()) -> Answer:
    """The form for editing one objective and its KRs (with `problems` on top), or a modal saying why not."""
    objective = _editable(objective_id, caller, session=session, now=now, client=client)
    if isinstance(objective, str):
        return Answer.show(info_modal("Edit objective", objective))
    krs = live_krs_of([objective.id], session=session).get(objective.id, [])
    draft = _edit_draft(objective, krs)
    return Answer.show(views.objective_form(draft, _edit_context(objective, krs, draft.rows, session=session),
                                            problems=problems))


def edit_command(args: Sequence[str], caller: str, *, session: Session, now: datetime, client=None) -> Answer:
    """`/okr edit [TEAM]`: the form of the caller's only objective, a picker of several, or why there is none."""
    teams = manageable_teams(caller, session=session, client=client, now=now)
    if not teams:
        return Answer.say(_no_teams(caller, session=session, what="edit objectives"))
    teams = _pick_team(args, teams, session=session, what="edit its objectives")
    if isinstance(teams, str):
        return Answer.say(teams)
    names = {t.id: t.name for t in teams}
    rows = objectives_not_ended(names, session=session, today=now.date())
    rows = sorted(rows, key=lambda r: (names[r[0].team_id].casefold(), r[1].start, r[0].id))
    if not rows:
        where = names[teams[0].id] if len(teams) == 1 else "your teams"
        return Answer.say(f"There are no objectives in a current cycle for {escape(where)} yet; write one with "
                          "`/okr new`.")
    if len(rows) == 1:
        return edit_form(rows[0][0].id, caller, session=session, now=now, client=client)
    options = [(o.id, f"{names[o.team_id]} · {c.name} · {o.title}") for o, c in rows]
    return Answer.show(views.edit_picker(options, more=max(0, len(options) - SELECT_OPTIONS)))


def form_again(draft: ObjectiveDraft, caller: str, *, session: Session, now: datetime, client=None,
               problems: Sequence[str] = ()) -> dict:
    """The form rebuilt from a draft (after "Back to edit", or when a review can no longer be saved)."""
    if draft.objective_id is not None:
        objective = _editable(draft.objective_id, caller, session=session, now=now, client=client)
        if isinstance(objective, str):
            return info_modal("Edit objective", objective)
        krs = live_krs_of([objective.id], session=session).get(objective.id, [])
        rows = tuple(r for r in draft.rows if r.kr_id is None or r.kr_id in {kr.id for kr in krs})
        draft = ObjectiveDraft(objective.id, objective.team_id, objective.cycle_id, draft.title, draft.type,
                               draft.archive, rows)
        ctx = _edit_context(objective, krs, rows, session=session)
        return views.objective_form(draft, ctx, problems=problems)
    cycles = current_cycles(session=session, today=now.date())
    teams = manageable_teams(caller, session=session, client=client, now=now)
    if not cycles or not teams:
        return info_modal("New objective", no_cycle_text(now.date()) if not cycles
                          else _no_teams(caller, session=session, what="write objectives"))
    rows = tuple(r for r in draft.rows if r.kr_id is None)[:NEW_ROWS]
    draft = ObjectiveDraft(None, draft.team_id, draft.cycle_id, draft.title, draft.type, False,
                           rows + _new_rows(NEW_ROWS - len(rows), start=len(rows)))
    draft = _renumbered(draft)
    return views.objective_form(draft, _new_context(teams, cycles, now=now), problems=problems)


def _renumbered(draft: ObjectiveDraft) -> ObjectiveDraft:
    """New rows keyed n0, n1, … in order, so a rebuilt form never repeats a block id."""
    rows, n = [], 0
    for row in draft.rows:
        if row.kr_id is None:
            row = KRRow(f"n{n}", row.title, row.owner, row.baseline, row.target, row.unit, row.archive, row.source)
            n += 1
        rows.append(row)
    return ObjectiveDraft(draft.objective_id, draft.team_id, draft.cycle_id, draft.title, draft.type, draft.archive,
                          tuple(rows))



def submit_form(sub: ObjectiveSubmission, *, session: Session, now: datetime, client=None) -> Answer:
    """A submitted form: field errors, else the coach's review when it has notes, else saved."""
    checked = check_draft_fields(sub.draft, sub.user_id, session=session, now=now, client=client)
    if isinstance(checked, dict):
        return Answer.field_errors(checked)
    notes = coach_notes(checked, session=session)
    if notes:
        review = views.review_view(sub.draft, notes, where=checked.where)
        if len(review["private_metadata"]) <= METADATA_CHARS:
            return Answer.show(review)
        # A draft too long to carry to the review is saved now, its notes shown on the confirmation instead.
    return save(checked, sub.user_id, session=session, now=now, notes=notes)


def submit_review(sub: ObjectiveSubmission, *, session: Session, now: datetime, client=None) -> Answer:
    """"Save anyway" on the review: the carried draft is checked again in full, then saved despite the notes."""
    checked = check_draft_fields(sub.draft, sub.user_id, session=session, now=now, client=client)
    if isinstance(checked, dict):
        problems = list(dict.fromkeys(checked.values()))
        return Answer.show(form_again(sub.draft, sub.user_id, session=session, now=now, client=client,
                                      problems=["Not saved: " + " ".join(problems)]))
    return save(checked, sub.user_id, session=session, now=now)


def back_to_form(draft: ObjectiveDraft, caller: str, *, session: Session, now: datetime, client=None) -> Answer:
    """"Back to edit" on the review: the form again, filled in as it was submitted."""
    return Answer.show(form_again(draft, caller, session=session, now=now, client=client))

