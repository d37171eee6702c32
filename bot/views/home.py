"""Block Kit for the App Home tab: pure functions of TeamStatus, within the Home tab's 100 blocks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from bot.reports.status import KRStatus, TeamStatus
from bot.rules.scoring import progress_bar
from bot.rules.text import plural
from bot.slack import ids
from bot.views.kit import (MODAL_BLOCKS, ago, button, context, escape, header, pack_lines, section,
                           value_text)
from bot.views.sparkline import trend_spark
from bot.views.status import confidence_and_pace, failed_label, origin_label, pace_label, ref_label, team_summary

# KR lines shown in full before the rest are summed up.
HOME_KR_LINES = 60


def home_kr_line(kr: KRStatus, *, now: datetime) -> str:
    """A KR on Home: title, then bar, value vs target, confidence, score, pace and the last check-in."""
    target = value_text(kr.target, kr.unit)
    value = "no check-in yet" if kr.value is None else f"{value_text(kr.value, kr.unit)} of {target}"
    parts = [f"{progress_bar(kr.score)} {value}"]
    if kr.value_origin is not None:
        parts.append(origin_label(kr, now=now))
    parts.append(failed_label(kr))
    if kr.value is not None and (kr.confidence or kr.value_origin is None):
        parts += confidence_and_pace(kr)
    else:
        parts.append(pace_label(kr))
    parts.append(f"score {kr.score:.2f} {trend_spark(kr)}".rstrip())
    if kr.value is not None and kr.value_origin is None:
        parts.append(ago(kr.last_at, now=now))
    return f"• *{escape(kr.title)}*{ref_label(kr)}\n      " + " · ".join(p for p in parts if p)


def home_view(mine: Sequence[TeamStatus], led: Sequence[TeamStatus], *, now: datetime) -> dict:
    """The Home tab: the user's KRs with a Check in button, then a line per team they lead."""
    body: list[dict] = [header("Your key results")]
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
            lines.append(home_kr_line(kr, now=now))
        if len(krs) > HOME_KR_LINES:
            lines.append(f"…and {plural(len(krs) - HOME_KR_LINES, 'more key result')}: `/okr status me` lists all.")
        body += pack_lines(lines, max_sections=MODAL_BLOCKS // 3,
                           more=lambda n: f"…and {n} more lines: `/okr status me` lists them all.", max_chars=None)
        body.append({"type": "actions", "elements": [button(ids.OPEN_CHECKIN, "Check in", "home", style="primary")]})
    if led:
        body.append({"type": "divider"})
        body.append(header("Teams you lead"))
        # A section per team, its status button beside it: action ids must be unique within a block.
        room = MODAL_BLOCKS - len(body) - 2
        shown = led if len(led) <= room else led[: room - 1]
        for team in shown:
            block = section(team_summary(team))
            block["accessory"] = button(ids.OPEN_STATUS, "Status", ids.team_value(team.id))
            body.append(block)
        if len(led) > len(shown):
            body.append(context(f"…and {plural(len(led) - len(shown), 'more team')}: `/okr status` shows them."))
        body.append({"type": "actions", "elements": [button(ids.OPEN_NEW_OBJECTIVE, "New objective", "home")]})
        body.append(context("`/okr edit` changes an objective; `/okr team` shows the teams' settings."))
    return {"type": "home", "blocks": body[:MODAL_BLOCKS]}
