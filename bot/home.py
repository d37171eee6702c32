"""The App Home tab."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot import blocks
from bot.checkin import live_key_results
from storage.queries import latest_checkins


def home_for(user_id: str, *, session: Session, now: datetime) -> dict:
    """The Home view of one user: their live KRs with latest value, confidence and score."""
    rows = live_key_results(session=session, now=now, owner_id=user_id)
    return blocks.home_view(rows, latest_checkins([r.kr.id for r in rows], session=session))
