"""Block Kit for the weekly check-in: the prompt DM, the check-in modal and its confirmation."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from bot.reports.status import observed_is_newer
from bot.rules.scoring import CONFIDENCE_EMOJI, kr_score
from bot.rules.text import plural
from bot.rules.values import format_value
from bot.slack import ids
from bot.views.kit import (MESSAGE_BLOCKS, MESSAGE_TEXT_CHARS, MODAL_BLOCKS, SUMMARY_ROOM, ago, block_text,
                           button, confidence_label, context, escape, plain, section, signed, value_text)
from bot.views.status import origin_name
from storage.models import CheckIn
from storage.okrs import ActiveKR

# Five blocks per KR in the check-in modal, plus a header and a footer.
MODAL_KRS = 18


def kr_range(row: ActiveKR) -> str:
    """'22% → 35%': where the KR starts and where it aims."""
    unit = row.kr.unit
    return f"{value_text(row.kr.baseline, unit)} → {value_text(row.kr.target, unit)}"


def last_checkin_line(row: ActiveKR, last: CheckIn | None) -> str:
    """'Last: 28% :large_green_circle: on track (Nov 20)', or that there is none yet."""
    if last is None:
        return "No check-in yet"
    return (f"Last: {value_text(last.value, row.kr.unit)} {confidence_label(last.confidence)} "
            f"({last.created_at:%b %-d})")


def observed_line(row: ActiveKR, last: CheckIn | None, *, now: datetime | None = None) -> str:
    """'Data: 31.5% from API, 2 hours ago, +3.5% since the last check-in' when the data's value is newer, else ''
    (without `now`, the value's day: 'from API (Nov 27)')."""
    kr = row.kr
    if not observed_is_newer(kr, last):
        return ""
    name = origin_name(kr.observed_origin)
    when = f", {ago(kr.observed_at, now=now)}" if now is not None else f" ({kr.observed_at:%b %-d})"
    line = f"Data: *{value_text(kr.observed_value, kr.unit)}* from {name}{when}"
    if last is not None:
        line += f", {signed(kr.observed_value - last.value, kr.unit)} since the last check-in"
    return line


def source_failed_line(row: ActiveKR) -> str:
    """':warning: source failed: HTTP 503 at 09:12' for the owner, when the last read of the KR's source failed."""
    note = row.kr.source_note
    return f":warning: {escape(note)}. Type the value yourself, or fix the source." if note else ""


def prompt_message(rows: Sequence[ActiveKR], latest: dict[int, CheckIn], *, prompt_id: int,
                   now: datetime | None = None) -> tuple[str, list[dict]]:
    """The weekly DM: the owner's KRs with their last value and confidence (and the data's, its age as of `now`), and
    Check in / Skip this week buttons."""
    text = f"Time for your weekly OKR check-in: {plural(len(rows), 'key result')}."
    out = [section(":wave: *Time for your weekly OKR check-in.*\n"
                    "For each key result: the current value, how confident you are, and a short note. "
                    "Amber or red? Say what changes before next week, or what help you need.")]
    shown = 0
    size = block_text(out) + SUMMARY_ROOM
    for row in rows[: MESSAGE_BLOCKS - 4]:
        last = latest.get(row.kr.id)
        data = "\n".join(line for line in (observed_line(row, last, now=now), source_failed_line(row)) if line)
        block = section(f"*{escape(row.kr.title)}*  ({kr_range(row)})\n"
                        f"{last_checkin_line(row, last)}" + (f"\n{data}" if data else ""))
        size += block_text([block])
        if size > MESSAGE_TEXT_CHARS:
            break
        out.append(block)
        shown += 1
    if len(rows) > shown:
        out.append(context(f"…and {plural(len(rows) - shown, 'more key result')} in the check-in form."))
    out.append({"type": "actions", "block_id": ids.prompt_block(prompt_id), "elements": [
        button(ids.OPEN_CHECKIN, "Check in", str(prompt_id), style="primary"),
        # On leave, say: a skipped week is not counted as missed and gets no reminder.
        button(ids.SKIP_WEEK, "Skip this week", str(prompt_id)),
    ]})
    return text, out


def prompt_preview(rows: Sequence[ActiveKR], latest: dict[int, CheckIn]) -> tuple[str, list[dict]]:
    """The weekly DM as an owner gets it, for someone who owns none of these KRs: no buttons, and says so."""
    _, blocks = prompt_message(rows, latest, prompt_id=0)
    note = context("Preview of the weekly check-in prompt. You own none of these key results, so there is nothing "
                   "to check in: each owner gets their own, with a *Check in* button.")
    return "Preview of the weekly OKR check-in prompt.", [note, *blocks[:-1]]


def checkin_modal(rows: Sequence[ActiveKR], latest: dict[int, CheckIn], *, for_user: str,
                  caller: str, current: dict[int, CheckIn] | None = None) -> dict:
    """The check-in modal: per KR its range and last check-in, then value, confidence and note inputs.

    `current` holds this week's check-ins already made: their fields are filled in, and saving replaces them.
    """
    current = current or {}
    shown = list(rows[:MODAL_KRS])
    intro = ("Fill in the key results you have news on; leave the others blank."
             if len(shown) > 1 else "What is the current value, and how confident are you?")
    if any(row.kr.id in current for row in shown):
        intro = ("You checked in this week already: change what you need, and saving replaces that check-in "
                 "(the first version is kept in the history). " + intro)
    if for_user != caller:
        intro = f"Checking in on behalf of <@{for_user}>. " + intro
    body: list[dict] = [section(intro)]
    for row in shown:
        kr = row.kr
        last = latest.get(kr.id)
        unit = f" ({kr.unit})" if kr.unit else ""
        data = observed_line(row, last)
        failed = source_failed_line(row)
        body.append(section(f"*{escape(kr.title)}*\n{kr_range(row)} · {last_checkin_line(row, last)}"
                            + "".join(f"\n{line}" for line in (data, failed) if line)))
        mine = current.get(kr.id)
        value_input = {"type": "plain_text_input", "action_id": ids.VALUE_ACTION, "max_length": 64,
                       "placeholder": plain(format_value(last.value if last else kr.baseline, kr.unit))}
        options = [{"text": plain(f"{CONFIDENCE_EMOJI[c]} {label}"), "value": c} for c, label in
                   (("green", "On track"), ("amber", "At risk"), ("red", "Off track, needs help"))]
        confidence_input = {"type": "radio_buttons", "action_id": ids.CONFIDENCE_ACTION, "options": options}
        if mine:
            # Editing this week's check-in: the form holds what was submitted.
            value_input["initial_value"] = format_value(mine.value, kr.unit)
            chosen = [o for o in options if o["value"] == mine.confidence]
            if chosen:
                confidence_input["initial_option"] = chosen[0]
        elif data:
            # The data's value, ready to confirm: with last week's confidence kept, a green week is open + Save.
            # The bare number (no unit): the label names the unit, and every format_value number reads back.
            value_input["initial_value"] = format_value(kr.observed_value)
            if last is not None:
                confidence_input["initial_option"] = next(o for o in options if o["value"] == last.confidence)
        body.append({
            "type": "input", "block_id": ids.kr_block(ids.VALUE_BLOCK, kr.id), "optional": True,
            "label": plain(f"Current value{unit}"),
            "hint": plain("e.g. 35, 35%, 1,200, 3.5k or 12 min"),
            "element": value_input,
        })
        body.append({
            "type": "input", "block_id": ids.kr_block(ids.CONFIDENCE_BLOCK, kr.id), "optional": True,
            "label": plain("Confidence"),
            "element": confidence_input,
        })
        note_input = {"type": "plain_text_input", "action_id": ids.NOTE_ACTION, "multiline": True, "max_length": 3000}
        body.append({
            "type": "input", "block_id": ids.kr_block(ids.NOTE_BLOCK, kr.id), "optional": True,
            "label": plain("Note"),
            "hint": plain("Amber or red: what changes before next week, or what help do you need?"),
            "element": note_input | ({"initial_value": mine.note} if mine and mine.note else {}),
        })
        body.append({"type": "divider"})
    if len(rows) > len(shown):
        body.append(context(f"{plural(len(rows) - len(shown), 'more key result')} did not fit; check in again for them."))
    base = {str(r.kr.id): current[r.kr.id].id for r in shown if r.kr.id in current}
    metadata = json.dumps({"for": for_user, "krs": [r.kr.id for r in shown]} | ({"base": base} if base else {}))
    return {
        "type": "modal", "callback_id": ids.CHECKIN_VIEW, "title": plain("Weekly check-in"),
        "submit": plain("Save"), "close": plain("Cancel"), "private_metadata": metadata, "blocks": body,
    }


def checkin_done_view(saved: Sequence[tuple[ActiveKR, CheckIn, CheckIn | None]], *, for_user: str | None = None
                      ) -> dict:
    """The modal after a check-in: each KR's new value and score (and the score it had before), and an Edit button
    that brings the form back filled in while the week is open."""
    lines = []
    for row, new, old in saved:
        score = kr_score(row.kr.baseline, row.kr.target, new.value)
        was = ""
        if old is not None:
            was = f" (was {kr_score(row.kr.baseline, row.kr.target, old.value):.2f})"
        line = (f"*{escape(row.kr.title)}*\n{value_text(new.value, row.kr.unit)} · score "
                f"*{score:.2f}*{was} · {confidence_label(new.confidence)}")
        kr = row.kr
        if observed_is_newer(kr, old, now=new.created_at) and round(kr.observed_value, 2) != round(new.value, 2):
            # Typed over the data's value: the owner's number is the check-in; the data's stays in its history.
            name = origin_name(kr.observed_origin)
            line += (f"\n_Yours is kept; {name} said {value_text(kr.observed_value, kr.unit)} "
                     f"({kr.observed_at:%b %-d})._")
        lines.append(line)
    body = [section(":white_check_mark: *Check-in saved.* Thank you!")]
    body += [section(line) for line in lines[: MODAL_BLOCKS - 3]]
    if for_user:
        body.append({"type": "actions", "elements": [button(ids.EDIT_CHECKIN, "Edit", for_user)]})
    return {"type": "modal", "callback_id": ids.CHECKIN_DONE_VIEW, "title": plain("Weekly check-in"),
            "close": plain("Done"), "blocks": body}
