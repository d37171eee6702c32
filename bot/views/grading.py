"""Block Kit for the end of a cycle: the grading DM, the grading modal with the retrospective, and the cycle report."""

from __future__ import annotations

import json

from bot.reports.grading import CycleGrades, KRGradeLine, ObjectiveGrades
from bot.rules.grading import grade_text
from bot.rules.text import plural
from bot.slack import ids
from bot.views.kit import (MESSAGE_BLOCKS, MESSAGE_TEXT_CHARS, MODAL_BLOCKS, MODAL_TITLE_CHARS, block_text, button,
                           clip, context, escape, pack_lines, plain, section, value_text)

# Blocks per KR in the modal (its line, grade, evidence, carry-or-drop), and the intro, objectives and retrospective.
KR_BLOCKS = 4
RETRO_BLOCKS = 6
TEXT_MAX = 3000


def _final(kr: KRGradeLine) -> str:
    ended = value_text(kr.final_value, kr.unit) if kr.final_value is not None else "no check-in"
    return f"ended at {ended} ({value_text(kr.baseline, kr.unit)} → {value_text(kr.target, kr.unit)})"


def _objective_line(o: ObjectiveGrades, *, graded: bool) -> str:
    score = o.grade if graded else o.computed
    mark = ":white_check_mark:" if (o.met if graded else score >= o.line - 1e-9) else ":x:"
    return (f"{mark} *{escape(o.title)}* · {o.type} · {'grade' if graded else 'score'} *{grade_text(score)}* "
            f"against its line of {o.line:.1f}")


def grading_dm(cg: CycleGrades, *, reminder: bool = False) -> tuple[str, list[dict]]:
    """The lead's DM when the cycle has ended: each objective's computed score against its line, and a Grade button."""
    cycle, team = escape(cg.cycle), escape(cg.team)
    text = f"Reminder: {cycle} for {team} is not graded yet" if reminder else f"Time to grade {cycle} for {team}"
    head = f":hourglass: *{text}.*" if reminder else f":checkered_flag: *{text}.*"
    out = [section(f"{head}\nThe cycle ended on {cg.end}. Score each key result with evidence, hold the "
                   "retrospective, and decide what carries over to the next cycle: one form, a few minutes.")]
    lines = [_objective_line(o, graded=False) for o in cg.objectives]
    out += pack_lines(lines, max_sections=MESSAGE_BLOCKS - 3, max_chars=MESSAGE_TEXT_CHARS - block_text(out) - 100,
                      more=lambda n: f"…and {plural(n, 'more objective')} in the form.")
    out.append({"type": "actions", "block_id": ids.GRADING_VIEW, "elements": [
        button(ids.OPEN_GRADING, "Grade", ids.grading_value(cg.team_id, cg.cycle_id), style="primary")]})
    return text, out


def modal_krs(cg: CycleGrades) -> list[KRGradeLine]:
    """The KRs the grading modal holds within Slack's 100 blocks: whole objectives' worth, in order, as many as fit
    with the intro, each objective's line, a line for those left out and the retrospective."""
    room = MODAL_BLOCKS - RETRO_BLOCKS - 2
    shown: list[KRGradeLine] = []
    for o in cg.objectives:
        for n, kr in enumerate(o.krs):
            need = (KR_BLOCKS if not kr.finished else KR_BLOCKS - 1) + (1 if n == 0 else 0)
            if need > room:
                return shown
            room -= need
            shown.append(kr)
    return shown


def _input(block_id: str, label: str, element: dict, *, optional: bool = True, hint: str | None = None) -> dict:
    block = {"type": "input", "block_id": block_id, "optional": optional, "label": plain(label), "element": element}
    if hint:
        block["hint"] = plain(hint)
    return block


def _text(value: str = "", *, multiline: bool = False, max_length: int = TEXT_MAX, placeholder: str = "") -> dict:
    element = {"type": "plain_text_input", "action_id": ids.FIELD_ACTION, "max_length": max_length,
               "multiline": multiline}
    if value:
        element["initial_value"] = value[:max_length]
    if placeholder:
        element["placeholder"] = plain(placeholder)
    return element


def _next_choice(kr: KRGradeLine) -> dict:
    options = [{"text": plain("Carry over to the next cycle"), "value": ids.CARRY_VALUE},
               {"text": plain("Drop it"), "value": ids.DROP_VALUE}]
    chosen = ids.DROP_VALUE if kr.decision == ids.DROP_VALUE else ids.CARRY_VALUE
    return {"type": "radio_buttons", "action_id": ids.FIELD_ACTION, "options": options,
            "initial_option": next(o for o in options if o["value"] == chosen)}


def grading_modal(cg: CycleGrades) -> dict:
    """The grading modal: each KR's final value and computed score, its grade (pre-filled), evidence, carry or drop;
    then the retrospective."""
    shown = modal_krs(cg)
    shown_ids = {kr.id for kr in shown}
    regrade = cg.grading is not None
    intro = ("Each grade is pre-filled with the score computed from the key result's latest value. Change it if "
             "the number does not tell the whole story (0.0 to 1.0); a grade more than 0.1 away from the computed "
             "score needs a sentence of evidence.")
    if regrade:
        intro = f"Re-grading: this replaces the grades of {cg.grading.graded_at:%b %-d} (they stay in the history). " + intro
    body: list[dict] = [section(f"*{escape(cg.team)} · {escape(cg.cycle)}* ({cg.start} to {cg.end})\n{intro}")]
    for o in cg.objectives:
        krs = [kr for kr in o.krs if kr.id in shown_ids]
        if not krs:
            continue
        body.append(section(_objective_line(o, graded=False)))
        for kr in krs:
            body.append(context(f"*{escape(kr.title)}* · <@{kr.owner_id}> · {_final(kr)} · computed score "
                                f"*{grade_text(kr.computed)}*"))
            body.append(_input(ids.kr_block(ids.GRADE_BLOCK, kr.id), "Grade (0.0 to 1.0)",
                               _text(grade_text(kr.shown_grade), max_length=5), optional=False))
            body.append(_input(ids.kr_block(ids.EVIDENCE_BLOCK, kr.id), "Evidence", _text(
                kr.evidence, multiline=True, placeholder="What shows the grade, if it differs from the computed score"),
                hint="Required when the grade is more than 0.1 away from the computed score."))
            if not kr.finished:
                body.append(_input(ids.kr_block(ids.NEXT_BLOCK, kr.id), "Not reached: next cycle",
                                   _next_choice(kr), optional=False))
    hidden = len(cg.krs) - len(shown)
    if hidden:
        body.append(context(f"{plural(hidden, 'more key result')} did not fit in this form; they keep their computed "
                            "scores and are not carried over."))
    retro = cg.grading
    body.append({"type": "header", "text": plain("Retrospective")})
    body.append(_input(ids.RETRO_WORKED_BLOCK, "What worked", _text(retro.worked if retro else "", multiline=True)))
    body.append(_input(ids.RETRO_DID_NOT_BLOCK, "What did not work",
                       _text(retro.did_not_work if retro else "", multiline=True)))
    body.append(_input(ids.RETRO_LEARNED_BLOCK, "What we learned",
                       _text(retro.learned if retro else "", multiline=True)))
    body.append(_input(ids.RETRO_CHANGE_BLOCK, "What we change next cycle",
                       _text(retro.change_next if retro else "", multiline=True,
                             placeholder="One lesson per line: it is shown when the team writes next cycle's OKRs"),
                       optional=False, hint="Shown at the top of /okr new for this team next cycle."))
    metadata = json.dumps({"t": cg.team_id, "c": cg.cycle_id, "k": [kr.id for kr in shown]}, separators=(",", ":"))
    return {"type": "modal", "callback_id": ids.GRADING_VIEW, "title": plain(clip(f"Grade {cg.cycle}",
                                                                                   MODAL_TITLE_CHARS)),
            "submit": plain("Save grades"), "close": plain("Cancel"), "private_metadata": metadata, "blocks": body}


def lessons(text: str) -> list[str]:
    """The lessons of a "what we change next cycle" answer: one per line, without list markers."""
    return [line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t")]


def cycle_report(cg: CycleGrades, *, carried_to: str | None) -> tuple[str, list[dict]]:
    """The team channel's report of a graded cycle: objectives against their lines, changed grades with evidence,
    the lessons, and what carries over."""
    g = cg.grading
    met = sum(1 for o in cg.objectives if o.met)
    text = f"{escape(cg.cycle)} graded for {escape(cg.team)}: {met} of {plural(len(cg.objectives), 'objective')} met the line"
    out = [section(f":checkered_flag: *{escape(cg.cycle)} is graded for {escape(cg.team)}* by <@{g.graded_by}>.\n"
                   f"{met} of {plural(len(cg.objectives), 'objective')} met its success line.")]
    lines = [_objective_line(o, graded=True) for o in cg.objectives]
    changed = [kr for kr in cg.krs if kr.grade is not None and abs(kr.grade - round(kr.computed, 2)) > 1e-9]
    if changed:
        lines.append("*Grades that differ from the computed score*")
        lines += [f"• {escape(kr.title)}: *{grade_text(kr.grade)}* (computed {grade_text(kr.computed)})"
                  + (f" — {escape(' '.join(kr.evidence.split()))}" if kr.evidence else "") for kr in changed]
    if lessons(g.change_next):
        lines.append("*What we change next cycle*")
        lines += [f"• {escape(lesson)}" for lesson in lessons(g.change_next)]
    for label, answer in (("What worked", g.worked), ("What did not work", g.did_not_work),
                          ("What we learned", g.learned)):
        if answer.strip():
            lines.append(f"*{label}:* {escape(' '.join(answer.split()))}")
    carried = [kr for kr in cg.krs if kr.decision == ids.CARRY_VALUE]
    if carried:
        where = f"to {escape(carried_to)}" if carried_to else "once the next cycle exists"
        lines.append(f"*Carried over {where}*")
        lines += [f"• {escape(kr.title)}: {_final(kr)}" for kr in carried]
    dropped = [kr for kr in cg.krs if kr.decision == ids.DROP_VALUE]
    if dropped:
        lines.append("*Dropped:* " + "; ".join(escape(kr.title) for kr in dropped))
    out += pack_lines(lines, max_sections=MESSAGE_BLOCKS - 2, max_chars=MESSAGE_TEXT_CHARS - block_text(out),
                      more=lambda n: f"…and {plural(n, 'more line')}.")
    return text, out


def graded_view(headline: str, lines: list[str]) -> dict:
    """The modal after the grades were saved."""
    body = [section(headline)] + pack_lines(lines, max_sections=MODAL_BLOCKS - 2, more=lambda n: f"…and {n} more.")
    return {"type": "modal", "callback_id": ids.GRADED_VIEW, "title": plain("Cycle graded"), "close": plain("Done"),
            "blocks": body}


def past_cycle_status(cg: CycleGrades) -> tuple[str, list[dict]]:
    """`/okr status TEAM CYCLE` of a cycle that is over: each objective and KR with its final grade (or its computed
    score while ungraded), the evidence, and the lessons."""
    graded = cg.grading is not None
    text = f"{escape(cg.team)} · {escape(cg.cycle)}: " + ("final grades" if graded else "not graded yet")
    head = (f"*{escape(cg.team)} · {escape(cg.cycle)}* ({cg.start} to {cg.end}), graded by <@{cg.grading.graded_by}> "
            f"on {cg.grading.graded_at:%b %-d}" if graded else
            f"*{escape(cg.team)} · {escape(cg.cycle)}* ({cg.start} to {cg.end}) is over and not graded yet; these "
            f"are the computed scores. A lead grades it with `/okr grade {escape(cg.team)} {escape(cg.cycle)}`.")
    lines = []
    for o in cg.objectives:
        lines.append(_objective_line(o, graded=graded))
        for kr in o.krs:
            line = f"   • {escape(kr.title)}: {_final(kr)}, computed {grade_text(kr.computed)}"
            if kr.grade is not None:
                line += f", graded *{grade_text(kr.grade)}*"
                if kr.evidence:
                    line += f" — {escape(' '.join(kr.evidence.split()))}"
                if kr.decision:
                    line += " (carried over)" if kr.decision == ids.CARRY_VALUE else " (dropped)"
            lines.append(line)
    if graded and lessons(cg.grading.change_next):
        lines.append("*What we change next cycle*")
        lines += [f"• {escape(lesson)}" for lesson in lessons(cg.grading.change_next)]
    out = [section(head)]
    return text, out + pack_lines(lines, max_sections=MESSAGE_BLOCKS - 2, max_chars=MESSAGE_TEXT_CHARS - block_text(out),
                                  more=lambda n: f"…and {plural(n, 'more line')}.")
