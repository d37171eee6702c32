"""A KR's weekly trend beside its score, in the messages and the Home tab (rules/sparkline.py draws it)."""

from __future__ import annotations

import functools

from bot.reports.status import KRStatus
from bot.rules.sparkline import sparkline


def trend_spark(kr: KRStatus) -> str:
    """'`▁▂▃▄▅▆▇█`': inline code, so every character has the same width in Slack; '' without weekly scores."""
    return _code(kr.weekly) if kr.weekly else ""


# Remembered: KRs on the same path draw the same line, and every status draws each of them again.
@functools.lru_cache(maxsize=4096)
def _code(weekly: tuple[float | None, ...]) -> str:
    return f"`{sparkline(weekly)}`"
