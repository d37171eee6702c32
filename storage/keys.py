"""Every outbox key okrbot sends under (models.Delivery.key): one message per key, ever.

A key names what a message is about, so a repeated tick, a restart or a second process computes the same key for
the same message and the outbox refuses to send it twice.
"""

from __future__ import annotations

from datetime import date


def prompt(prompt_id: int) -> str:
    """An owner's weekly prompt DM (one per owner, check-in slot and week)."""
    return f"prompt:{prompt_id}"


def reminder(prompt_id: int) -> str:
    """The one reminder of a prompt's week."""
    return f"reminder:{prompt_id}"


def nudge(streak_start_prompt_id: int, owner_id: str) -> str:
    """An owner's nudge for the streak of missed weeks that began with that prompt's week."""
    return f"nudge:{streak_start_prompt_id}:{owner_id}:owner"


def lead_nudge(streak_start_prompt_id: int, owner_id: str, lead_id: str) -> str:
    """A lead's DM about an owner's streak of missed weeks."""
    return f"nudge:{streak_start_prompt_id}:{owner_id}:lead:{lead_id}"


def alert(checkin_id: int, lead_id: str) -> str:
    """One lead's confidence-drop alert about one check-in (for an edited one, its week's first version)."""
    return f"alert:{checkin_id}:{lead_id}"


def digest(team_id: int, week_of: date) -> str:
    """A team's digest for the week starting on its local digest date: its only message, or its last part."""
    return f"digest:{team_id}:{week_of.isoformat()}"


def digest_prefix(team_id: int) -> str:
    """What every digest key of a team starts with (all its weeks and parts)."""
    return f"digest:{team_id}:"


def digest_part(team_id: int, week_of: date, number: int, parts: int) -> str:
    """One part of a digest too long for one message.

    The last part keeps digest()'s key, so that "is this week's digest sent?" stays one look-up of one key per
    team (for digests of every size, and for digests sent before they were split); the earlier parts have keys of
    their own, so a restart between parts sends each part once.
    """
    return digest(team_id, week_of) if number == parts else f"{digest(team_id, week_of)}:part{number}"


def grading(team_id: int, cycle_id: int, lead_id: str) -> str:
    """A lead's DM asking to grade a team's cycle (one per team, cycle and lead, ever)."""
    return f"grading:{team_id}:{cycle_id}:{lead_id}"


def grading_reminder(team_id: int, cycle_id: int, lead_id: str) -> str:
    """The one reminder to grade a team's cycle, three working days after the first DM."""
    return f"grading:{team_id}:{cycle_id}:{lead_id}:reminder"


def cycle_report(grading_id: int) -> str:
    """The team channel's cycle report of one grading (a re-grade posts its own)."""
    return f"cycle-report:{grading_id}"

# --- problems only a person can fix (bot/jobs/problems.py) ---------------------------------------------------------

def problem(problem_id: int, recipient_id: str) -> str:
    """One person's DM about one problem (a channel okrbot cannot post to, a deactivated owner): told once."""
    return f"problem:{problem_id}:{recipient_id}"
