"""A KR's weekly trend beside its score, in the messages and the Home tab (rules/sparkline.py draws it)."""

from __future__ import annotations

from bot.reports.status import KRStatus
from bot.rules.sparkline import sparkline


def trend_spark(kr: KRStatus) -> str:
    """'`▁▂▃▄▅▆▇█`': inline code, so every character has the same width in Slack; '' without weekly scores."""
    return f"`{sparkline(kr.weekly)}`" if kr.weekly else ""
