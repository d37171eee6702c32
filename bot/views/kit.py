"""The Block Kit toolkit every view is built with: Slack's limits, the primitives, and shared ways of saying things.

Everything here is a pure function returning the dicts Slack renders; the views of each feature build on it.
"""

from __future__ import annotations

import functools
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
# Slack refuses a message with more than about 12,000 characters of text across its blocks (msg_blocks_too_long;
# bolt-js issues #2509 and #2867 found it undocumented and counted with some overhead per block), so okrbot keeps
# each message to 10,000 and splits or summarises what is longer.
MESSAGE_TEXT_CHARS = 10_000
# Slack's limit for a message's fallback text is far higher, but a notification only shows the start.
FALLBACK_CHARS = 3000
# Room kept at the end of a section for a "…and N more" line, so a summary never pushes text past the limit.
SUMMARY_ROOM = 120


def block_text(blocks: Sequence[dict]) -> int:
    """The characters of text across blocks, as Slack counts them for msg_blocks_too_long."""
    total = 0
    stack: list = list(blocks)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "text" and isinstance(value, str):
                    total += len(value)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return total


def split_blocks(blocks: Sequence[dict], *, max_blocks: int = 50, max_chars: int = MESSAGE_TEXT_CHARS,
                 room: int = 1) -> list[list[dict]]:
    """Blocks in order, cut into messages of at most max_blocks blocks and max_chars of text; every part after the
    first keeps `room` blocks (and a little text) free for a line saying it continues."""
    parts: list[list[dict]] = [[]]
    size = 0
    for block in blocks:
        chars = block_text([block])
        spare = room if len(parts) > 1 else 0
        if parts[-1] and (len(parts[-1]) + 1 + spare > max_blocks or size + chars + SUMMARY_ROOM * spare > max_chars):
            parts.append([])
            size = 0
        parts[-1].append(block)
        size += chars
    return parts


def trim_to_budget(blocks: list[dict], *, max_chars: int, more: Callable[[int], str]) -> list[dict]:
    """Blocks within max_chars of text: the last ones give way to one `more(count)` context line."""
    if block_text(blocks) <= max_chars:
        return blocks
    kept = list(blocks)
    dropped = 0
    while kept and block_text(kept) > max_chars - SUMMARY_ROOM:
        kept.pop()
        dropped += 1
    return [*kept, context(more(dropped))]


def plain(text: str) -> dict:
    """A plain_text object with emoji."""
    return {"type": "plain_text", "text": text, "emoji": True}


def section(text: str) -> dict:
    """A mrkdwn section, cut with an ellipsis at Slack's 3000 characters (callers keep under it; this is a guard)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_CHARS)}}


def context(text: str) -> dict:
    """A mrkdwn context line, cut the same way."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, SECTION_CHARS)}]}


def header(text: str) -> dict:
    """A header block, cut at Slack's 150 characters."""
    return {"type": "header", "text": plain(clip(text, HEADER_CHARS))}


# What people type must reach Slack as text, never as markup. &, < and > are escaped as Slack documents, so that no
# "<!channel>", "<@U…>" or link a person writes pings or links anything. The mrkdwn markers *, _, ~ and ` have no
# escape in Slack, and a zero-width space next to them is read differently by different clients (it is the usual
# trick to *force* bold mid-word), so each is replaced by the look-alike character Slack never reads as markup.
# The text keeps its length, so limits and cuts count the same, and a title with a "*" cannot unbalance the
# "*{title}*" around it.
_MRKDWN_LOOKALIKES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "*": "\u2217", "_": "\u02cd",
                                    "~": "\u223c", "`": "\u02cb"})


def escape(text: str) -> str:
    """Anything a person typed, made safe for mrkdwn and for a message's `text` fallback (see _MRKDWN_LOOKALIKES)."""
    return str(text).translate(_MRKDWN_LOOKALIKES)


def zone_text(zone: str) -> str:
    """An IANA zone name for mrkdwn. Zones are checked against the tz database, so they hold no &, < or >, and an _
    inside a word ("America/Port_of_Spain") is never italics in Slack: shown as it is, as people type it."""
    return zone.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: str) -> str:
    """Something a person typed, inside a `code span` they may copy: nothing is markup there but the backtick."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "\u02cb")


def cut(text: str, limit: int) -> str:
    """Text cut with an ellipsis to at most `limit` characters, never inside an &amp;-style escape or a mention."""
    if len(text) <= limit:
        return text
    text = text[: limit - 1]
    for opener, closer in (("&", ";"), ("<", ">")):
        start = text.rfind(opener)
        if start != -1 and closer not in text[start:]:
            text = text[:start]
    return text + "…"


def clip(text: str, limit: int) -> str:
    """Plain text (a header, a title, an option) cut with an ellipsis to at most `limit` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Remembered: a status writes each KR's value and target, the same few pairs over and over.
@functools.lru_cache(maxsize=4096)
def value_text(value: float, unit: str) -> str:
    """A value with its unit for mrkdwn: the unit is typed by people, so it is escaped."""
    return escape(format_value(value, unit))


def info_modal(title: str, text: str) -> dict:
    """A modal that only says something, e.g. that there is nothing to check in."""
    return {"type": "modal", "title": plain(clip(title, MODAL_TITLE_CHARS)), "close": plain("OK"),
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
    return ("+" if delta > 0 else "") + value_text(delta, unit)


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


def pack_lines(lines: Sequence[str], *, max_sections: int, more: Callable[[int], str],
               max_chars: int | None = MESSAGE_TEXT_CHARS) -> list[dict]:
    """Lines in as few sections as fit; when max_sections (or a message's text budget, max_chars) run out, the rest
    become one `more(count)` line."""
    chunks: list[list[str]] = [[]]
    size = 0
    total = 0
    for i, text in enumerate(lines):
        if max_chars is not None and total + 1 + len(text) > max_chars - SUMMARY_ROOM:
            chunks[-1].append(more(len(lines) - i))
            break
        total += 1 + len(text)
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
