"""Nothing people write pings anyone or breaks okrbot's formatting, in any builder's mrkdwn or fallback text."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.views.kit import escape
from tests.bot.views.builders import OWN_MENTIONS, Sizes, Texts, payloads

DANGEROUS = ["<!channel>", "<!here>", "<!everyone>", "<!subteam^S123>", "<@U123|x>", "<#C123>", "<http://x|y>",
             "*", "_", "~", "`", "&", ">", "<"]
MARKERS = "*_~`"
SMALL = Sizes(objectives=2, krs=2, teams=2, findings=2)


def user_text(most: int):
    piece = st.one_of(st.sampled_from(DANGEROUS), st.text(alphabet="ab ", min_size=1, max_size=3))
    return st.lists(piece, min_size=1, max_size=6).map("".join).map(lambda s: s[:most])


def mrkdwn_texts(kind: str, payload) -> list[str]:
    """The texts Slack reads as mrkdwn: mrkdwn text objects, and a message's top-level fallback."""
    found = [payload["text"]] if kind == "message" else []
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("type") == "mrkdwn" and isinstance(item.get("text"), str):
                found.append(item["text"])
            stack.extend(v for k, v in item.items() if isinstance(v, (dict, list)) and k != "text" or
                         k == "text" and isinstance(v, dict))
        elif isinstance(item, list):
            stack.extend(item)
    return found


def neutral(text: str) -> str:
    """The same text with every mrkdwn marker already swapped for its look-alike, as escape() would."""
    return "".join(escape(c) if c in MARKERS else c for c in text)


def texts_of(t: Texts) -> list[list[str]]:
    return [mrkdwn_texts(kind, payload) for _, kind, payload in payloads(t, SMALL)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=user_text(200), unit=user_text(24), team=user_text(80), cycle=user_text(64), note=user_text(3000))
def test_user_text_never_pings_nor_formats(title, unit, team, cycle, note):
    typed = Texts(title=title, unit=unit, team=team, cycle=cycle, note=note)
    seen = texts_of(typed)
    for texts in seen:
        for text in texts:
            # Every <…> left in mrkdwn is one of okrbot's own mentions; people's come out as &lt;…&gt;.
            assert set(re.findall(r"<[^<>]*>", text)) <= OWN_MENTIONS, text
    # Markers people typed never reach Slack as markers: the payloads are exactly those of the same texts with
    # every marker already neutral, so okrbot's own *bold* and _italics_ stay balanced around them.
    calm = Texts(*(neutral(getattr(typed, f)) for f in ("title", "unit", "team", "cycle", "note")))
    assert seen == texts_of(calm)


def test_the_property_can_fail():
    """The check above catches raw user text: a <!channel> put into mrkdwn unescaped is found."""
    text = "*Growth <!channel>*"
    assert set(re.findall(r"<[^<>]*>", text)) - OWN_MENTIONS == {"<!channel>"}
    assert neutral("a*b") != "a*b"
