"""Block Kit builders for nudges, reminders, confidence-drop alerts and skipped weeks: pure functions to dicts."""

from __future__ import annotations

from collections.abc import Sequence

from bot import ids
from bot.blocks import MESSAGE_BLOCKS, confidence_label, context, escape, plain, section
from bot.values import format_value
from storage.models import CheckIn
from storage.queries import ActiveKR

# Room for the intro, a footer and the buttons; long lists are cut with a "…and N more" line.
_LISTED = MESSAGE_BLOCKS - 5


def _kr_lines(rows: Sequence[ActiveKR], *, with_team: bool = False) -> str:
    shown = rows[:_LISTED]
    lines = [f"• *{escape(r.kr.title)}*" + (f" ({escape(r.team.name)})" if with_team else "") for r in shown]
    if len(rows) > len(shown):
        lines.append(f"…and {len(rows) - len(shown)} more")
    return "\n".join(lines)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _checkin_button(value: str) -> dict:
    return {"type": "button", "action_id": ids.OPEN_CHECKIN, "text": plain("Check in"), "style": "primary",
            "value": value}


def nudge_message(rows: Sequence[ActiveKR], *, weeks: int) -> tuple[str, list[dict]]:
    """The owner's nudge after `weeks` missed check-ins in a row: friendly, one DM for all these KRs."""
    what = "this key result" if len(rows) == 1 else "these key results"
    text = f"No check-in for {weeks} weeks on {_plural(len(rows), 'key result')}: a quick update helps your team."
    blocks = [
        section(f":seedling: *Haven't heard from you in a while.* The last {weeks} weekly check-ins on {what} "
                 "didn't happen. No worries, weeks get busy. A two-minute update keeps your team in the loop:"),
        section(_kr_lines(rows)),
        context("Away? Press *Skip this week* on the weekly prompt and the week won't count as missed."),
        {"type": "actions", "elements": [_checkin_button("nudge")]},
    ]
    return text, blocks


def lead_nudge_message(owner_id: str, rows: Sequence[ActiveKR], *, weeks: int) -> tuple[str, list[dict]]:
    """A team lead's note that an owner missed `weeks` check-ins in a row, naming the owner and the KRs."""
    text = f"<@{owner_id}> has not checked in for {weeks} weeks in a row on {_plural(len(rows), 'key result')}."
    blocks = [
        section(f":bell: <@{owner_id}> has not checked in for *{weeks} weeks in a row* on:"),
        section(_kr_lines(rows, with_team=True)),
        context("okrbot has sent them a friendly nudge. A word from you may help, or they may simply be away."),
    ]
    return text, blocks


def reminder_message(rows: Sequence[ActiveKR], *, prompt_id: int) -> tuple[str, list[dict]]:
    """The one reminder of a week: which KRs still wait for this week's check-in, and a Check in button."""
    text = f"Reminder: this week's OKR check-in is still open for {_plural(len(rows), 'key result')}."
    blocks = [
        section(":alarm_clock: *A gentle reminder:* this week's check-in is still open for:"),
        section(_kr_lines(rows)),
        {"type": "actions", "elements": [_checkin_button(str(prompt_id))]},
    ]
    return text, blocks


def alert_message(row: ActiveKR, checkin: CheckIn, previous: CheckIn | None) -> tuple[str, list[dict]]:
    """A team lead's alert on a sharp confidence drop: KR, old and new confidence, value, note, status button."""
    kr = row.kr
    old = previous.confidence if previous else None
    text = (f"Confidence drop on {kr.title}: {confidence_label(old) if old else 'first check-in'} → "
            f"{confidence_label(checkin.confidence)} (<@{kr.owner_id}>)")
    was = confidence_label(old) if old else "— (first check-in)"
    note = "\n".join(f"> {line}" for line in escape(checkin.note).splitlines()) if checkin.note else "_No note._"
    blocks = [
        section(f":rotating_light: *Confidence drop* on *{escape(kr.title)}* ({escape(row.team.name)}), "
                 f"owned by <@{kr.owner_id}>"),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Was*\n{was}"},
            {"type": "mrkdwn", "text": f"*Now*\n{confidence_label(checkin.confidence)}"},
            {"type": "mrkdwn", "text": f"*Value*\n{format_value(checkin.value, kr.unit)}"},
            {"type": "mrkdwn", "text": f"*Target*\n{format_value(kr.target, kr.unit)}"},
        ]},
        section(f"*Note*\n{note}"),
    ]
    if checkin.author_id != kr.owner_id:
        blocks.append(context(f"Checked in by <@{checkin.author_id}> on behalf of <@{kr.owner_id}>."))
    blocks.append({"type": "actions", "elements": [
        {"type": "button", "action_id": ids.OPEN_STATUS, "text": plain("Open team status"),
         "value": f"team:{row.team.id}"}]})
    return text, blocks


def skipped_prompt_message(prompt_id: int) -> tuple[str, list[dict]]:
    """The weekly prompt once its owner skipped the week, with an Undo button."""
    text = "You skipped this week's OKR check-in."
    blocks = [
        section(":palm_tree: *You skipped this week's check-in.* It won't count as missed and you won't get a "
                 "reminder. See you next week!"),
        {"type": "actions", "block_id": f"prompt:{prompt_id}", "elements": [
            {"type": "button", "action_id": ids.UNDO_SKIP, "text": plain("Undo"), "value": str(prompt_id)}]},
    ]
    return text, blocks
