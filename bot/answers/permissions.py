"""Who may do what: workspace admins and a team's leads manage the team; owners check in; everyone reads.

Admins (Slack's is_admin or is_owner) manage every team, including a team that has no leads; a team's leads manage
that team's OKRs and settings; only admins create teams and cycles. Every answer that changes something checks
here itself, so a forged request changes nothing whatever the view showed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.slack.people import remember_user
from bot.views.kit import escape
from storage.models import Team
from storage.people import find_person, get_person
from storage.teams import all_teams, is_lead, led_team_ids

logger = logging.getLogger(__name__)

# A "yes" is trusted for a day (user_change events refresh it sooner); a "no" is asked again after a few minutes,
# so someone just made admin is not refused for a day, while a refused caller costs at most one users.info per window.
ADMIN_TRUSTED_FOR = timedelta(hours=24)
NON_ADMIN_TRUSTED_FOR = timedelta(minutes=10)


def is_workspace_admin(user_id: str, *, session: Session, client, now: datetime) -> bool:
    """Whether Slack says the user is a workspace admin or owner: cached on Person, users.info when stale."""
    person = find_person(user_id, session=session)
    if person is not None and person.is_admin is not None and person.admin_checked_at is not None:
        age = now - person.admin_checked_at
        if age < (ADMIN_TRUSTED_FOR if person.is_admin else NON_ADMIN_TRUSTED_FOR):
            return person.is_admin
    if client is None:
        return bool(person is not None and person.is_admin)
    try:
        user = client.users_info(user=user_id)["user"]
    except Exception:
        # Slack is unreachable or said no: fall back to what was known, which for a stranger is "not an admin".
        logger.warning("users.info failed for %s; using the cached admin flag", user_id, exc_info=True)
        return bool(person is not None and person.is_admin)
    person = person or get_person(user_id, session=session)
    remember_user(person, user if isinstance(user, dict) else {}, now=now)
    return bool(person.is_admin)


def can_manage(user_id: str, team: Team, *, session: Session, client, now: datetime) -> bool:
    """Whether the user leads the team or is a workspace admin (asked of Slack only when they are not a lead)."""
    if is_lead(user_id, team.id, session=session):
        return True
    return is_workspace_admin(user_id, session=session, client=client, now=now)


def manageable_teams(user_id: str, *, session: Session, client, now: datetime) -> list[Team]:
    """The teams the user may manage, by name: every team for an admin, else the teams they lead."""
    teams = all_teams(session=session)
    if not teams:
        return []
    if is_workspace_admin(user_id, session=session, client=client, now=now):
        return teams
    led = led_team_ids(user_id, session=session)
    return [team for team in teams if team.id in led]


def manage_refusal(team: Team, what: str) -> str:
    """One sentence: only the team's leads and workspace admins can do `what`."""
    return f"Only {escape(team.name)}'s leads and workspace admins can {what}."


def admin_refusal(what: str) -> str:
    """One sentence: only workspace admins can do `what`."""
    return f"Only workspace admins can {what}; ask one of them."
