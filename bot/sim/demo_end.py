"""The end of the demo's quarter: an admin adds the next cycle, Lena is asked to grade, grades with evidence and a
retrospective, the report reaches #growth, the unfinished KRs she keeps move to the next cycle, and `/okr new`
shows what the team said it changes."""

from __future__ import annotations

import time as clock_time
from datetime import datetime, timedelta
from typing import TextIO

from bot.jobs.tick import run_tick
from bot.rules.grading import grading_due_at
from bot.rules.schedule import zone
from bot.slack import ids

NEXT_CYCLE = ("2027-Q1", "2027-01-01", "2027-03-31")
# Lena's grading: the KR she grades above its computed score (with the evidence), and the ones she carries over.
RAISED = ("analytics-wau", 0.15, "Usage counted from the new events since week 9 is five points higher than "
                                 "the old dashboard shows")
CARRIED = ("analytics-wau", "failed-payments")
RETRO = {
    ids.RETRO_WORKED_BLOCK: "Weekly check-ins kept everyone honest; the A/B test of the tour paid off",
    ids.RETRO_DID_NOT_BLOCK: "Nobody worked on billing after Dev moved to the migration",
    ids.RETRO_LEARNED_BLOCK: "A KR whose owner never checks in is a KR nobody owns",
    ids.RETRO_CHANGE_BLOCK: "Every KR gets an owner who agreed to it in planning\n"
                            "A red check-in gets a named helper within a day",
}


def add_next_cycle(slack, fake, printer, *, at: datetime) -> None:
    """Lena, a workspace admin too, adds the next cycle so that unfinished KRs have somewhere to go."""
    name, start, end = NEXT_CYCLE
    answer = slack.command("U0LENA", f"cycle add {name} {start} {end}").json() or {}
    printer.line(at, f"\n  ← Lena (also a workspace admin) types /okr cycle add {name} {start} {end}\n"
                     f"    {fake.render(answer.get('text', ''))}")


def _wait_for(predicate, timeout: float = 10.0):
    deadline = clock_time.monotonic() + timeout
    while not (found := predicate()) and clock_time.monotonic() < deadline:
        clock_time.sleep(0.02)
    return found


def _state(view: dict, fields: dict) -> dict:
    """The modal's state as Slack sends it: its initial values with `fields` typed over them."""
    values = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, block_id = block["element"], block["block_id"]
        if block_id in fields:
            typed = fields[block_id]
            state = ({"type": "radio_buttons", "selected_option": {"value": typed}}
                     if element["type"] == "radio_buttons" else {"type": element["type"], "value": typed})
        elif element["type"] == "radio_buttons":
            state = {"type": "radio_buttons", "selected_option": element.get("initial_option")}
        else:
            state = {"type": element["type"], "value": element.get("initial_value")}
        values[block_id] = {element["action_id"]: state}
    return values


def play_end_of_quarter(fake, engine, clock, slack, client, cycle, krs: dict, printer, out: TextIO) -> None:
    """Tick to the first working morning after the cycle, then grade it as Lena would."""
    team_zone = zone("Europe/London")
    due = grading_due_at(cycle.end, team_zone)
    clock.set(due)
    run_tick(now=due, engine=engine, client=client)
    printer.flush(due)
    dm = next(m for m in fake.messages() if m.get("text", "").startswith("Time to grade"))
    value = next(e["value"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]
                 if e["action_id"] == ids.OPEN_GRADING)
    at = due + timedelta(hours=1)
    clock.set(at)
    slack.click("U0LENA", ids.OPEN_GRADING, value)
    view = fake.calls_to("views.open")[-1].params["view"]
    by_key = {kr.key: kr for kr in krs.values()}
    initial = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"] if b["type"] == "input"}
    raised_kr = by_key[RAISED[0]]
    grade_block = ids.kr_block(ids.GRADE_BLOCK, raised_kr.id)
    raised = f"{min(1.0, float(initial[grade_block]) + RAISED[1]):.2f}"
    fields = {grade_block: raised, ids.kr_block(ids.EVIDENCE_BLOCK, raised_kr.id): RAISED[2], **RETRO}
    for kr in krs.values():
        if ids.kr_block(ids.NEXT_BLOCK, kr.id) in initial:
            fields[ids.kr_block(ids.NEXT_BLOCK, kr.id)] = ids.CARRY_VALUE if kr.key in CARRIED else ids.DROP_VALUE
    lines = [f"      {kr.title}: {initial[ids.kr_block(ids.GRADE_BLOCK, kr.id)]}" for kr in krs.values()]
    printer.line(at, "\n  ← Lena clicks “Grade”; the form pre-fills each grade with the computed score:\n"
                 + "\n".join(lines))
    submitted = dict(view, id="VDEMOGRADE", state={"values": _state(view, fields)}, team_id=slack.team_id,
                     app_id="A0OKR")
    response = slack.interactive({"type": "view_submission", "team": {"id": slack.team_id},
                                  "user": {"id": "U0LENA", "team_id": slack.team_id}, "api_app_id": "A0OKR",
                                  "trigger_id": slack.trigger(), "view": submitted}).json() or {}
    carried = ", ".join(by_key[k].title for k in CARRIED)
    printer.line(at, f"\n  ← Lena grades “{raised_kr.title}” {raised} (evidence: “{RAISED[2]}”),\n"
                     f"    carries over {carried}, drops the other unfinished ones, and answers the retrospective.")
    form = (response.get("view") or {}).get("blocks") or []
    typed = {b["block_id"]: b["element"].get("initial_value", "") for b in form if b["type"] == "input"}
    rows = [f"      {typed[block_id]}: baseline {typed[block_id.replace(ids.KR_TITLE_BLOCK, ids.KR_BASELINE_BLOCK)]}, "
            f"target {typed[block_id.replace(ids.KR_TITLE_BLOCK, ids.KR_TARGET_BLOCK)]} (to confirm)"
            for block_id in typed if block_id.startswith(ids.KR_TITLE_BLOCK) and typed[block_id]]
    out.write("\n  → Lena's modal becomes the edit form of what was carried over to 2027-Q1:\n    "
              + printer.pretty(form[:1]) + "\n" + "\n".join(rows) + "\n")
    _wait_for(lambda: any("graded for Growth" in m.get("text", "") for m in fake.messages("C0GROWTH")))
    printer.flush(at)
    morning = at + timedelta(days=3)
    clock.set(morning)
    slack.command("U0LENA", "new")
    new_form = fake.calls_to("views.open")[-1].params["view"]
    lessons = printer.pretty(new_form["blocks"][:1])
    printer.line(morning, "\n  ← Lena types /okr new for next cycle's objectives; the form opens with:\n"
                 + "\n".join("    " + line for line in lessons.splitlines()))
