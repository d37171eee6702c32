"""Block Kit for the App Home tab: pure functions of TeamStatus, within the Home tab's 100 blocks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot import ids
from bot.blocks import MODAL_BLOCKS, confidence_label, context, escape, plain, section
from bot.blocks_status import ago, pace_label, pack_lines, plural, team_line
from bot.scoring import progress_bar
from bot.values import format_value

if TYPE_CHECKING:
    from bot.status import KRStatus, TeamStatus

# KR lines shown in full before the rest are summed up.
HOME_KR_LINES = 60


def home_kr_line(kr: KRStatus, now: datetime) -> str:
    """A KR on Home: title, then bar, value vs target, confidence, score, pace and the last check-in."""
    target = format_value(kr.target, kr.unit)
    value = "no check-in yet" if kr.value is None else f"{format_value(kr.value, kr.unit)} of {target}"
    parts = [f"{progress_bar(kr.score)} {value}"]
    if kr.value is not None:
        parts.append(confidence_label(kr.confidence))
    parts.append(f"score {kr.score:.2f}")
    parts.append(pace_label(kr))
    if kr.value is not None:
        parts.append(ago(kr.last_at, now))
    return f"• *{escape(kr.title)}*\n      " + " · ".join(p for p in parts if p)


def home_view(mine: Sequence[TeamStatus], led: Sequence[TeamStatus], *, now: datetime) -> dict:
    """The Home tab: the user's KRs with a Check in button, then a line per team they lead."""
    body: list[dict] = [{"type": "header", "text": plain("Your key results")}]
    krs = [(team, obj, kr) for team in mine for obj in team.objectives for kr in obj.krs]
    if not krs:
        body.append(section("You own no key results this cycle. Type `/okr help` to see what okrbot does."))
    else:
        lines: list[str] = []
        heading = None
        for team, obj, kr in krs[:HOME_KR_LINES]:
            if (team.id, obj.id) != heading:
                lines.append(f"*{escape(obj.title)}* · {escape(team.name)}")
                heading = (team.id, obj.id)
            lines.append(home_kr_line(kr, now))
        if len(krs) > HOME_KR_LINES:
            lines.append(f"…and {plural(len(krs) - HOME_KR_LINES, 'more key result')}: `/okr status me` lists all.")
        body += pack_lines(lines, max_sections=MODAL_BLOCKS // 3,
                           more=lambda n: f"…and {n} more lines: `/okr status me` lists them all.")
        body.append({"type": "actions", "elements": [
            {"type": "button", "action_id": ids.OPEN_CHECKIN, "text": plain("Check in"), "style": "primary",
             "value": "home"}]})
    if led:
        body.append({"type": "divider"})
        body.append({"type": "header", "text": plain("Teams you lead")})
        # A section per team, its status button beside it: action ids must be unique within a block.
        room = MODAL_BLOCKS - len(body) - 2
        shown = led if len(led) <= room else led[: room - 1]
        for team in shown:
            block = section(team_line(team))
            block["accessory"] = {"type": "button", "action_id": ids.OPEN_STATUS, "text": plain("Status"),
                                  "value": f"team:{team.id}"}
            body.append(block)
        if len(led) > len(shown):
            body.append(context(f"…and {plural(len(led) - len(shown), 'more team')}: `/okr status` shows them."))
        body.append({"type": "actions", "elements": [
            {"type": "button", "action_id": ids.OPEN_NEW_OBJECTIVE, "text": plain("New objective"), "value": "home"}]})
        body.append(context("`/okr edit` changes an objective; `/okr team` shows the teams' settings."))
    return {"type": "home", "blocks": body[:MODAL_BLOCKS]}
