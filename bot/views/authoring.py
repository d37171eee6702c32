"""Block Kit for writing and editing objectives: the form, the coach's review, the confirmation, the edit picker."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from bot.rules.coach.table import Finding
from bot.rules.scoring import SUCCESS_THRESHOLDS
from bot.rules.text import plural
from bot.rules.validation import TITLE_MAX, UNIT_MAX
from bot.rules.values import MAX_INPUT_LENGTH
from bot.slack import ids
from bot.slack.payloads import KRRow, ObjectiveDraft
from bot.views.kit import (MODAL_BLOCKS, OPTION_CHARS, SECTION_CHARS, SELECT_OPTIONS, button, context, escape, plain,
                           section)

# Blocks kept free in a form for the team, cycle, title, type, archive and notes around the KR rows.
FORM_OVERHEAD = 8
ROW_BLOCKS = 8


@dataclass(frozen=True)
class FormContext:
    """What the form needs besides the draft: choices for a new objective, or what an edited one belongs to."""

    teams: Sequence[tuple[int, str]] = ()
    cycles: Sequence[tuple[int, str]] = ()
    # Editing: "Growth · 2026-Q4", and each existing KR's current title by row key.
    fixed: str = ""
    kr_titles: dict[str, str] | None = None
    hidden_krs: int = 0
    # The end of last cycle: (team, cycle, "what we change next cycle" lessons) of the teams the form is for.
    lessons: Sequence[tuple[str, str, Sequence[str]]] = ()


def _lessons_block(lessons: Sequence[tuple[str, str, Sequence[str]]]) -> dict:
    lines = []
    for team, cycle, items in lessons:
        lines.append(f":bulb: *What {escape(team)} said it changes this cycle* (the {escape(cycle)} retrospective)")
        lines += [f"• {escape(item)}" for item in items]
    return section("\n".join(lines))


def _option(text: str, value: str) -> dict:
    if len(text) > OPTION_CHARS:
        text = text[: OPTION_CHARS - 1] + "…"
    return {"text": plain(text), "value": value}


def _input(block_id: str, label: str, element: dict, *, optional: bool = True, hint: str | None = None) -> dict:
    block = {"type": "input", "block_id": block_id, "optional": optional, "label": plain(label), "element": element}
    if hint:
        block["hint"] = plain(hint)
    return block


def _text_input(value: str, *, max_length: int, placeholder: str | None = None) -> dict:
    element = {"type": "plain_text_input", "action_id": ids.FIELD_ACTION, "max_length": max_length}
    if value:
        element["initial_value"] = value[:max_length]
    if placeholder:
        element["placeholder"] = plain(placeholder)
    return element


def _checkbox(text: str, checked: bool) -> dict:
    option = {"text": {"type": "mrkdwn", "text": text}, "value": ids.ARCHIVE_VALUE}
    element = {"type": "checkboxes", "action_id": ids.FIELD_ACTION, "options": [option]}
    if checked:
        element["initial_options"] = [option]
    return element


def _select(options: list[dict], selected: str | None, placeholder: str) -> dict:
    element = {"type": "static_select", "action_id": ids.FIELD_ACTION, "placeholder": plain(placeholder),
               "options": options[:SELECT_OPTIONS]}
    initial = next((o for o in element["options"] if o["value"] == selected), None)
    if initial is not None:
        element["initial_option"] = initial
    return element


def _type_options() -> list[dict]:
    return [
        {"text": plain("Aspirational"), "value": "aspirational",
         "description": plain(f"A stretch: a score of {SUCCESS_THRESHOLDS['aspirational']:.1f} counts as success")},
        {"text": plain("Committed"), "value": "committed",
         "description": plain(f"A promise: success needs {SUCCESS_THRESHOLDS['committed']:.1f}, every KR hit")},
    ]


SOURCE_CHARS = 3000
SOURCE_HINT = ("Where okrbot reads the number, written as in the OKR file: http (url, path, headers), csv (url, "
               "cell), sql (database, query) or prometheus (url, query). Secrets only as ${VARIABLE}.")


def _row_blocks(row: KRRow, number: int, existing_title: str | None) -> list[dict]:
    block = lambda prefix: ids.row_block(prefix, row.row)  # noqa: E731 - this row's block ids
    heading = (f"*Key result {number}:* {escape(existing_title)}" if existing_title is not None
               else f"*Key result {number}*" + ("" if number > 1 else "  _(leave spare rows blank)_"))
    out = [section(heading)]
    out.append(_input(block(ids.KR_TITLE_BLOCK), "Key result", _text_input(
        row.title, max_length=TITLE_MAX, placeholder="Increase <metric> from <baseline> to <target> by <date>")))
    owner = {"type": "users_select", "action_id": ids.FIELD_ACTION, "placeholder": plain("Who checks in on it")}
    if row.owner:
        owner["initial_user"] = row.owner
    out.append(_input(block(ids.KR_OWNER_BLOCK), "Owner", owner))
    out.append(_input(block(ids.KR_BASELINE_BLOCK), "Baseline (where it starts)",
                      _text_input(row.baseline, max_length=MAX_INPUT_LENGTH, placeholder="e.g. 22")))
    out.append(_input(block(ids.KR_TARGET_BLOCK), "Target (where it should end)",
                      _text_input(row.target, max_length=MAX_INPUT_LENGTH, placeholder="e.g. 35")))
    out.append(_input(block(ids.KR_UNIT_BLOCK), "Unit",
                      _text_input(row.unit, max_length=UNIT_MAX, placeholder="e.g. %, days, $")))
    out.append(_input(block(ids.KR_SOURCE_BLOCK), "Source", _text_input(
        row.source, max_length=SOURCE_CHARS, placeholder='e.g. {type: http, url: "https://…", path: data.d7}'),
        hint=SOURCE_HINT if number == 1 else None))
    if existing_title is not None:
        out.append(_input(block(ids.KR_ARCHIVE_BLOCK), "Archive", _checkbox("Archive this key result", row.archive),
                          hint="It leaves prompts, status and digests; its check-ins are kept."))
    return out


def objective_form(draft: ObjectiveDraft, ctx: FormContext, *, problems: Sequence[str] = ()) -> dict:
    """The form for a new objective (team and cycle to choose) or an edited one (fixed), with its KR rows."""
    editing = draft.objective_id is not None
    body: list[dict] = []
    if problems:
        body.append(section(":warning: " + "\n".join(escape(p) for p in problems)))
    if ctx.lessons:
        body.append(_lessons_block(ctx.lessons))
    if editing:
        body.append(context(escape(ctx.fixed)))
    else:
        teams = [_option(name, str(team_id)) for team_id, name in ctx.teams]
        body.append(_input(ids.OBJ_TEAM_BLOCK, "Team", _select(teams, str(draft.team_id or ""), "Choose a team"),
                           optional=False,
                           hint=("Only teams you lead are listed; admins see them all."
                                 + (" Too many to list: type /okr new TEAM." if len(teams) > SELECT_OPTIONS else ""))))
        if len(ctx.cycles) > 1:
            cycles = [_option(name, str(cycle_id)) for cycle_id, name in ctx.cycles]
            body.append(_input(ids.OBJ_CYCLE_BLOCK, "Cycle", _select(cycles, str(draft.cycle_id or ""),
                                                                     "Choose a cycle"), optional=False))
        elif ctx.cycles:
            body.append(context(f"Cycle: {escape(ctx.cycles[0][1])}"))
    body.append(_input(ids.OBJ_TITLE_BLOCK, "Objective", _text_input(
        draft.title, max_length=TITLE_MAX, placeholder="What should be true, and for whom?"), optional=False,
        hint="A direction, not a number or a project: e.g. Make self-serve onboarding effortless for mid-market "
             "customers"))
    types = _type_options()
    radio = {"type": "radio_buttons", "action_id": ids.FIELD_ACTION, "options": types,
             "initial_option": next((o for o in types if o["value"] == draft.type), types[0])}
    body.append(_input(ids.OBJ_TYPE_BLOCK, "Type", radio, optional=False))
    titles = ctx.kr_titles or {}
    for number, row in enumerate(draft.rows, start=1):
        body += _row_blocks(row, number, titles.get(row.row))
    if ctx.hidden_krs:
        body.append(context(f"{plural(ctx.hidden_krs, 'more key result')} did not fit in this form; they stay as "
                            "they are."))
    if editing:
        body.append({"type": "divider"})
        body.append(_input(ids.OBJ_ARCHIVE_BLOCK, "Archive the objective",
                           _checkbox("Archive this objective and its key results", draft.archive),
                           hint="They leave prompts, status and digests; their check-ins are kept."))
    metadata = {"o": draft.objective_id, "t": draft.team_id if editing else None,
                "c": draft.cycle_id if len(ctx.cycles) <= 1 or editing else None, "r": [r.row for r in draft.rows]}
    return {
        "type": "modal", "callback_id": ids.OBJECTIVE_VIEW,
        "title": plain("Edit objective" if editing else "New objective"),
        "submit": plain("Save"), "close": plain("Cancel"),
        "private_metadata": json.dumps(metadata, separators=(",", ":")), "blocks": body[:MODAL_BLOCKS],
    }


def _finding_lines(findings: Sequence[Finding]) -> list[str]:
    """Each note as mrkdwn, grouped under what it is about."""
    lines: list[str] = []
    about = None
    for f in findings:
        subject = {"team": "Team", "objective": "Objective", "key_result": "Key result"}.get(f.kind, f.kind)
        heading = f"*{subject}:* {escape(f.title)}"
        if heading != about:
            lines.append(heading)
            about = heading
        lines.append(f"• `{f.rule}` {escape(f.message)}\n      _{escape(f.hint)}_")
    return lines


def review_view(draft: ObjectiveDraft, findings: Sequence[Finding], *, where: str) -> dict:
    """The coach's notes on a valid draft: go back to edit it, or save it anyway (the draft rides in the metadata)."""
    intro = (f":mag: *The coach has {plural(len(findings), 'note')}* on how “{escape(draft.title)}” ({escape(where)}) "
             "is written. Notes never stop you: go back and edit, or save it as it is.")
    body = [section(intro)]
    chunk = ""
    for line in _finding_lines(findings):
        if chunk and len(chunk) + 1 + len(line) > SECTION_CHARS:
            body.append(section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        body.append(section(chunk))
    body = body[: MODAL_BLOCKS - 1]
    body.append({"type": "actions", "elements": [button(ids.BACK_TO_FORM, "← Back to edit", "back")]})
    return {
        "type": "modal", "callback_id": ids.OBJECTIVE_REVIEW_VIEW, "title": plain("Coach's notes"),
        "submit": plain("Save anyway"), "close": plain("Cancel"), "private_metadata": draft.to_json(),
        "blocks": body,
    }


def saved_view(headline: str, lines: Sequence[str], notes: Sequence[Finding] = ()) -> dict:
    """The confirmation after saving: what was saved, and the coach's notes when they could not be shown before."""
    body = [section(f":white_check_mark: {headline}")]
    if lines:
        body.append(section("\n".join(lines)))
    if notes:
        body.append(section("*Coach's notes* (they did not stop the save; `/okr edit` changes it):\n"
                            + "\n".join(_finding_lines(notes))))
    return {"type": "modal", "callback_id": ids.OBJECTIVE_SAVED_VIEW, "title": plain("Objective saved"),
            "close": plain("Done"), "blocks": body[:MODAL_BLOCKS]}


def edit_picker(options: Sequence[tuple[int, str]], *, more: int = 0) -> dict:
    """A modal with a select of the objectives the caller may edit; picking one swaps in its form."""
    select = {"type": "static_select", "action_id": ids.PICK_OBJECTIVE, "placeholder": plain("Choose an objective"),
              "options": [_option(label, str(objective_id)) for objective_id, label in options[:SELECT_OPTIONS]]}
    body = [{"type": "section", "block_id": ids.OBJ_PICK_BLOCK, "text": {"type": "mrkdwn",
                                                                         "text": "Which objective do you want to edit?"},
             "accessory": select}]
    if more:
        body.append(context(f"{plural(more, 'more objective')} not listed: narrow it down with `/okr edit TEAM`."))
    return {"type": "modal", "callback_id": ids.EDIT_PICK_VIEW, "title": plain("Edit objective"),
            "close": plain("Cancel"), "blocks": body}
