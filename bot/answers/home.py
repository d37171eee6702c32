"""The App Home tab: the user's key results, and a line per team they lead; republished after check-ins."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from bot.answers.answer import Answer
from bot.reports.status import statuses, user_status
from bot.views.home import home_view
from storage.teams import led_team_ids, teams_by_id

logger = logging.getLogger(__name__)


def home_for(user_id: str, *, session: Session, now: datetime) -> Answer:
    """The Home tab of one user: their live KRs (value, confidence, score, pace) and the status of teams they lead."""
    mine = user_status(user_id, session=session, now=now)
    led = teams_by_id(led_team_ids(user_id, session=session), session=session)
    led.sort(key=lambda team: team.name.casefold())
    # The Home tab's line per led team shows no participation: it is not worth two more queries per publish.
    led_status = statuses(led, session=session, now=now, participation=False) if led else []
    return Answer.show(home_view(mine, led_status, now=now))


def publish_homes(user_ids: Iterable[str], *, session: Session, client, now: datetime) -> None:
    """Republish these users' Home tabs (after a check-in); a failure is logged, never raised."""
    for user_id in sorted(set(u for u in user_ids if u)):
        try:
            client.views_publish(user_id=user_id, view=home_for(user_id, session=session, now=now).view)
        except Exception:
            # A stale Home tab is harmless: it is rebuilt the next time the user opens it.
            logger.exception("views.publish failed for %s", user_id)
