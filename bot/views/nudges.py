"""Block Kit for nudges, reminders and skipped weeks: pure functions to dicts."""

from __future__ import annotations

from collections.abc import Sequence

from bot.rules.text import plural
from bot.slack import ids
from bot.views.kit import MESSAGE_BLOCKS, button, context, escape, section
from storage.okrs import ActiveKR

# Room for the intro, a footer and the buttons; long lists are cut with a "…and N more" line.
_LISTED = MESSAGE_BLOCKS - 5


def _kr_lines(rows: Sequence[ActiveKR], *, with_team: bool = False) -> str:
    shown = rows[:_LISTED]
    lines = [f"• *{escape(r.kr.title)}*" + (f" ({escape(r.team.name)})" if with_team else "") for r in shown]
    if len(rows) > len(shown):
        lines.append(f"…and {len(rows) - len(shown)} more")
    return "\n".join(lines)


def _checkin_button(value: str) -> dict:
    return button(ids.OPEN_CHECKIN, "Check in", value, style="primary")


def nudge_message(rows: Sequence[ActiveKR], *, weeks: int) -> tuple[str, list[dict]]:
    """The owner's nudge after `weeks` missed check-ins in a row: friendly, one DM for all these KRs."""
    what = "this key result" if len(rows) == 1 else "these key results"
    text = f"No check-in for {weeks} weeks on {plural(len(rows), 'key result')}: a quick update helps your team."
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
    text = f"<@{owner_id}> has not checked in for {weeks} weeks in a row on {plural(len(rows), 'key result')}."
    blocks = [
        section(f":bell: <@{owner_id}> has not checked in for *{weeks} weeks in a row* on:"),
        section(_kr_lines(rows, with_team=True)),
        context("okrbot has sent them a friendly nudge. A word from you may help, or they may simply be away."),
    ]
    return text, blocks


def reminder_message(rows: Sequence[ActiveKR], *, prompt_id: int) -> tuple[str, list[dict]]:
    """The one reminder of a week: which KRs still wait for this week's check-in, and a Check in button."""
    text = f"Reminder: this week's OKR check-in is still open for {plural(len(rows), 'key result')}."
    blocks = [
        section(":alarm_clock: *A gentle reminder:* this week's check-in is still open for:"),
        section(_kr_lines(rows)),
        {"type": "actions", "elements": [_checkin_button(str(prompt_id))]},
    ]
    return text, blocks


def skipped_prompt_message(prompt_id: int) -> tuple[str, list[dict]]:
    """The weekly prompt once its owner skipped the week, with an Undo button."""
    text = "You skipped this week's OKR check-in."
    blocks = [
        section(":palm_tree: *You skipped this week's check-in.* It won't count as missed and you won't get a "
                 "reminder. See you next week!"),
        {"type": "actions", "block_id": ids.prompt_block(prompt_id), "elements": [
            button(ids.UNDO_SKIP, "Undo", str(prompt_id))]},
    ]
    return text, blocks
