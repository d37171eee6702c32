"""Grading a cycle: `/okr grade [TEAM] [CYCLE]`, the Grade button of the grading DM, and the submitted modal.

Every step re-reads who may manage the team (its leads and workspace admins), so a forged or stale submission
changes nothing. A submission stores the grades and the retrospective as a new grading (a re-grade supersedes the
one in force and keeps it), carries the unfinished KRs the lead chose over to the next cycle, and answers with the
`/okr edit` form of what was carried (its targets are to be confirmed) or a confirmation. The team channel's
report is sent afterwards through the outbox (bot.jobs.grading).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from bot.answers import authoring
from bot.answers.answer import Answer
from bot.answers.carry import carry_over
from bot.answers.lookup import no_such_team, team_name_of
from bot.answers.permissions import can_manage, manage_refusal, manageable_teams
from bot.reports.grading import CycleGrades, cycle_grades
from bot.rules.grading import grade_text, needs_evidence, parse_grade
from bot.rules.schedule import local_day
from bot.rules.text import plural
from bot.slack import ids
from bot.slack.payloads import GradingSubmission
from bot.views.grading import grading_modal, graded_view
from bot.views.kit import escape, info_modal
from storage.cycles import find_cycle
from storage.gradings import save_grading, team_cycles
from storage.models import Cycle, Grading, KRGrade, Team
from storage.teams import find_team, is_lead

WHAT = "grade its cycles"


def _cycle_for(team: Team, *, session: Session, now: datetime) -> Cycle | str:
    cycles = team_cycles(team.id, session=session)
    if not cycles:
        return f"{escape(team.name)} has no objectives in any cycle yet, so there is nothing to grade."
    today = local_day(team.timezone, now=now)
    ended = [c for c in cycles if c.end < today]
    return ended[-1] if ended else cycles[0]


def _pick(args: Sequence[str], caller: str, *, session: Session, now: datetime, client) -> tuple[Team, Cycle] | str:
    args = list(args)
    cycle = find_cycle(args[-1], session=session) if args else None
    if cycle is not None:
        args = args[:-1]
    if args:
        team = find_team(team_name_of(args), session=session)
        if team is None:
            return no_such_team(team_name_of(args), session=session)
        if not can_manage(caller, team, session=session, client=client, now=now):
            return manage_refusal(team, WHAT)
    else:
        teams = manageable_teams(caller, session=session, client=client, now=now)
        led = [t for t in teams if is_lead(caller, t.id, session=session)]
        if not teams:
            return "Only a team's leads and workspace admins can grade a cycle, and you lead no team."
        if len(teams) > 1 and len(led) != 1:
            names = ", ".join(escape(t.name) for t in (led or teams)[:20])
            return f"Which team? Type `/okr grade TEAM [CYCLE]`, e.g. for one of: {names}."
        team = led[0] if len(teams) > 1 else teams[0]
    if cycle is None:
        cycle = _cycle_for(team, session=session, now=now)
        if isinstance(cycle, str):
            return cycle
    return team, cycle


def _modal(team: Team, cycle: Cycle, *, session: Session) -> dict | str:
    cg = cycle_grades(team, cycle, session=session)
    if not cg.krs:
        return f"{escape(team.name)} has no key results in {escape(cycle.name)} to grade."
    return grading_modal(cg)


def grade_command(args: Sequence[str], caller: str, *, session: Session, now: datetime, client=None) -> Answer:
    """`/okr grade [TEAM] [CYCLE]`: the grading modal (also to re-grade), or one sentence saying why not."""
    picked = _pick(args, caller, session=session, now=now, client=client)
    if isinstance(picked, str):
        return Answer.say(picked)
    modal = _modal(*picked, session=session)
    return Answer.show(modal) if isinstance(modal, dict) else Answer.say(modal)


def grade_button(value: str, caller: str, *, session: Session, now: datetime, client=None) -> Answer:
    """The grading DM's Grade button: the modal, or a modal saying why not."""
    pair = ids.grading_of_value(value)
    team = session.get(Team, pair[0]) if pair else None
    cycle = session.get(Cycle, pair[1]) if pair else None
    if team is None or cycle is None:
        return Answer.show(info_modal("Grade", "That team or cycle no longer exists."))
    if not can_manage(caller, team, session=session, client=client, now=now):
        return Answer.show(info_modal("Grade", manage_refusal(team, WHAT)))
    modal = _modal(team, cycle, session=session)
    return Answer.show(modal if isinstance(modal, dict) else info_modal("Grade", modal))


def _check(sub: GradingSubmission, cg: CycleGrades) -> tuple[dict[str, str], list[KRGrade]]:
    errors: dict[str, str] = {}
    grades = []
    shown = set(sub.kr_ids)
    for kr in cg.krs:
        if kr.id not in shown:
            # Not in the form (it did not fit, or was added since): it keeps its computed score.
            grades.append(KRGrade(kr_id=kr.id, final_value=kr.final_value, computed=kr.computed, grade=kr.computed))
            continue
        grade = parse_grade(sub.grades.get(kr.id, ""))
        if grade is None:
            errors[ids.kr_block(ids.GRADE_BLOCK, kr.id)] = ("A grade is a number from 0.0 to 1.0 with at most two "
                                                            "decimals, e.g. 0.7.")
            continue
        evidence = " ".join(sub.evidence.get(kr.id, "").split())
        if needs_evidence(grade, kr.computed) and not evidence:
            errors[ids.kr_block(ids.EVIDENCE_BLOCK, kr.id)] = (
                f"The grade {grade_text(grade)} is more than 0.1 away from the computed {grade_text(kr.computed)}: "
                "say in a sentence what shows it.")
        decision = ""
        if not kr.finished:
            decision = sub.decisions.get(kr.id, "")
            if decision not in (ids.CARRY_VALUE, ids.DROP_VALUE):
                errors[ids.kr_block(ids.NEXT_BLOCK, kr.id)] = "Choose: carry it over to the next cycle, or drop it."
        grades.append(KRGrade(kr_id=kr.id, final_value=kr.final_value, computed=kr.computed, grade=grade,
                              evidence=evidence, decision=decision))
    if not sub.change_next.strip():
        errors[ids.RETRO_CHANGE_BLOCK] = "Say at least one thing the team changes next cycle."
    return errors, grades


def submit_grading(sub: GradingSubmission, *, session: Session, now: datetime, client=None) -> Answer:
    """A submitted grading modal: field errors, or the grades and retrospective stored and the KRs carried over."""
    team = session.get(Team, sub.team_id) if sub.team_id is not None else None
    cycle = session.get(Cycle, sub.cycle_id) if sub.cycle_id is not None else None
    if team is None or cycle is None:
        return Answer.field_errors({ids.RETRO_CHANGE_BLOCK: "That team or cycle no longer exists; nothing was saved."})
    if not can_manage(sub.user_id, team, session=session, client=client, now=now):
        return Answer.field_errors({ids.RETRO_CHANGE_BLOCK: f"Only {team.name}'s leads and workspace admins can "
                                                            f"{WHAT}; nothing was saved."})
    cg = cycle_grades(team, cycle, session=session)
    errors, grades = _check(sub, cg)
    if errors:
        return Answer.field_errors(errors)
    grading = Grading(team_id=team.id, cycle_id=cycle.id, graded_by=sub.user_id, graded_at=now, worked=sub.worked,
                      did_not_work=sub.did_not_work, learned=sub.learned, change_next=sub.change_next,
                      source_key=f"grading:{sub.view_id}" if sub.view_id else None)
    if save_grading(grading, grades, session=session, now=now) is None:
        return Answer.show(graded_view(f"These grades of {escape(cycle.name)} are saved already.", []))
    carried = carry_over(cycle_grades(team, cycle, session=session, grading=grading),
                         {g.kr_id: g.decision for g in grades}, session=session)
    for g in grades:
        if g.kr_id in carried.krs:
            g.carried_kr_id = carried.krs[g.kr_id]
            session.add(g)
    session.flush()
    return _answer(team, cycle, grades, carried, caller=sub.user_id, session=session, now=now, client=client)


def _answer(team: Team, cycle: Cycle, grades: list[KRGrade], carried, *, caller: str, session: Session,
            now: datetime, client) -> Answer:
    wanted = sum(1 for g in grades if g.decision == ids.CARRY_VALUE)
    headline = (f":white_check_mark: *{escape(cycle.name)} is graded for {escape(team.name)}.* The report goes to "
                f"<#{team.channel}> now.")
    if wanted and carried.cycle is None:
        return Answer.show(graded_view(headline, [
            f"{plural(wanted, 'key result')} to carry over, but there is no cycle after {escape(cycle.name)} yet. "
            "A workspace admin adds one with `/okr cycle add NAME START END`; then grade again with "
            f"`/okr grade {escape(team.name)} {escape(cycle.name)}` and they are carried over."]))
    if not carried.krs:
        return Answer.show(graded_view(headline, ["Nothing carries over."]))
    first, *others = dict.fromkeys(carried.objective_ids)
    note = (f"{cycle.name} is graded and {plural(len(carried.krs), 'key result')} carried over to "
            f"{carried.cycle.name}, starting from where they ended. Confirm each target below (the old one is "
            "proposed), then save.")
    if others:
        note += f" {plural(len(others), 'more objective')} got carried KRs too: type /okr edit {team.name} for it."
    return authoring.edit_form(first, caller, session=session, now=now, client=client, problems=[note])
