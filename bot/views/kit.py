"""The Block Kit toolkit every view is built with: Slack's limits, the primitives, and shared ways of saying things.

Everything here is a pure function returning the dicts Slack renders; the views of each feature build on it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.rules.schedule import day_name
from bot.rules.scoring import CONFIDENCE_EMOJI, CONFIDENCE_WORDS, whole_percent
from bot.rules.text import plural
from bot.rules.values import format_value

# Slack's limits: 50 blocks per message, 100 per modal or Home tab, 3000 characters per section text.
MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
SECTION_CHARS = 3000
HEADER_CHARS = 150
MODAL_TITLE_CHARS = 24
OPTION_CHARS = 75
SELECT_OPTIONS = 100
# Slack's limit for a message's fallback text is far higher, but a notification only shows the start.
FALLBACK_CHARS = 3000
# Room kept at the end of a section for a "…and N more" line, so a summary never pushes text past the limit.
SUMMARY_ROOM = 120


def plain(text: str) -> dict:
    """A plain_text object with emoji."""
    return {"type": "plain_text", "text": text, "emoji": True}


def section(text: str) -> dict:
    """A mrkdwn section, cut with an ellipsis at Slack's 3000 characters (callers keep under it; this is a guard)."""
    if len(text) > SECTION_CHARS:
        text = text[: SECTION_CHARS - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> dict:
    """A mrkdwn context line, cut the same way."""
    if len(text) > SECTION_CHARS:
        text = text[: SECTION_CHARS - 1] + "…"
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def header(text: str) -> dict:
    """A header block, cut at Slack's 150 characters."""
    return {"type": "header", "text": plain(text[:HEADER_CHARS])}


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def info_modal(title: str, text: str) -> dict:
    """A modal that only says something, e.g. that there is nothing to check in."""
    return {"type": "modal", "title": plain(title[:MODAL_TITLE_CHARS]), "close": plain("OK"),
            "blocks": [section(text)]}


def confidence_label(confidence: str | None) -> str:
    """':large_green_circle: on track' for a confidence, or a dash when there is none."""
    if not confidence:
        return "—"
    return f"{CONFIDENCE_EMOJI[confidence]} {CONFIDENCE_WORDS[confidence]}"


def percent(score: float) -> str:
    """A 0..1 score as a whole percent, halves rounded up."""
    return f"{whole_percent(score)}%"


def ago(then: datetime | None, *, now: datetime) -> str:
    """'just now', '5 hours ago', 'yesterday', '3 days ago', '2 weeks ago', or 'no check-in yet'."""
    if then is None:
        return "no check-in yet"
    seconds = (now - then).total_seconds()
    if seconds < 3600:
        return "just now"
    hours = int(seconds // 3600)
    if hours < 24:
        return f"{plural(hours, 'hour')} ago"
    days = hours // 24
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    return f"{days // 7} weeks ago"


def signed(delta: float, unit: str) -> str:
    """A change with its sign and unit: '+2.5%', '-3 days', 'no change'."""
    if round(delta, 2) == 0:
        return "no change"
    return ("+" if delta > 0 else "") + format_value(delta, unit)


def schedule_text(day: int, at: str, *, every: bool = False) -> str:
    """A weekly slot: 'Friday 10:00', or with every=True 'Fridays at 10:00'."""
    return f"{day_name(day)}s at {at}" if every else f"{day_name(day)} {at}"


def fair_caps(sizes: Sequence[int], budget: int) -> list[int]:
    """How many items each group shows in full so the total stays within budget, sharing it evenly (at least 1)."""
    if sum(sizes) <= budget:
        return list(sizes)
    cap = 1
    while sum(min(s, cap + 1) for s in sizes) <= budget:
        cap += 1
    caps = [min(s, cap) for s in sizes]
    spare = budget - sum(caps)
    for i, size in enumerate(sizes):
        # Whatever the even share leaves over goes to the first groups that have more to show.
        if spare <= 0:
            break
        if size > caps[i]:
            caps[i] += 1
            spare -= 1
    return caps


def pack_lines(lines: Sequence[str], *, max_sections: int, more: Callable[[int], str]) -> list[dict]:
    """Lines in as few sections as fit; when max_sections run out, the rest become one `more(count)` line."""
    chunks: list[list[str]] = [[]]
    size = 0
    for i, text in enumerate(lines):
        if chunks[-1] and size + 1 + len(text) > SECTION_CHARS - SUMMARY_ROOM:
            if len(chunks) >= max_sections:
                chunks[-1].append(more(len(lines) - i))
                break
            chunks.append([])
            size = 0
        chunks[-1].append(text)
        size += 1 + len(text)
    return [section("\n".join(chunk)) for chunk in chunks if chunk]


def button(action_id: str, text: str, value: str, *, style: str | None = None) -> dict:
    """A button; `style` is "primary" or "danger"."""
    element = {"type": "button", "action_id": action_id, "text": plain(text), "value": value}
    if style:
        element["style"] = style
    return element
