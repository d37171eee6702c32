"""bot.answers.permissions: admins from Slack (cached on Person), leads from the database, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.slack.people import refresh_from_event
from bot.answers.permissions import can_manage, is_workspace_admin, manageable_teams
from bot.slack.client import make_client
from storage.db import session_scope
from storage.models import Team, TeamLead
from storage.people import find_person

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(fake_slack):
    fake_slack.add_user("U0ADMIN", is_admin=True)
    return make_client("xoxb-test-token", fake_slack.url, backoff=0.0, jitter=0.0)


@pytest.fixture
def teams(engine):
    with session_scope(engine) as s:
        growth, platform = Team(name="Growth", channel="C1"), Team(name="platform", channel="C2")
        s.add_all([growth, platform])
        s.flush()
        s.add(TeamLead(team_id=growth.id, user_id="U0LEAD"))
    return engine


def admin(engine, user, client, now=NOW):
    with session_scope(engine) as s:
        return is_workspace_admin(user, session=s, client=client, now=now)


def test_admin_flag_is_asked_once_then_cached(teams, fake_slack, client):
    assert admin(teams, "U0ADMIN", client) is True
    assert admin(teams, "U0ADMIN", client, NOW + timedelta(hours=23)) is True
    assert len(fake_slack.calls_to("users.info")) == 1
    # A day later Slack is asked again, and a demotion is seen.
    fake_slack.add_user("U0ADMIN", is_admin=False)
    assert admin(teams, "U0ADMIN", client, NOW + timedelta(hours=25)) is False
    assert len(fake_slack.calls_to("users.info")) == 2


def test_a_no_is_asked_again_after_a_few_minutes(teams, fake_slack, client):
    assert admin(teams, "U0ALICE", client) is False
    assert admin(teams, "U0ALICE", client, NOW + timedelta(minutes=5)) is False
    assert len(fake_slack.calls_to("users.info")) == 1
    fake_slack.add_user("U0ALICE", is_admin=True)
    assert admin(teams, "U0ALICE", client, NOW + timedelta(minutes=11)) is True


def test_user_change_events_refresh_the_flag(teams, client):
    assert admin(teams, "U0ADMIN", client) is True
    with session_scope(teams) as s:
        refresh_from_event({"id": "U0ADMIN", "tz": "UTC", "is_admin": False, "is_owner": False}, session=s,
                           now=NOW + timedelta(minutes=1))
    assert admin(teams, "U0ADMIN", None, NOW + timedelta(minutes=2)) is False


def test_slack_failure_falls_back_to_not_admin(teams, fake_slack, client):
    # The fake answers user_not_found for someone it does not know, as Slack does.
    assert admin(teams, "U0NOBODY", client) is False
    with session_scope(teams) as s:
        assert find_person("U0NOBODY", session=s) is None


def test_leads_manage_their_team_without_asking_slack(teams, fake_slack, client):
    with session_scope(teams) as s:
        growth = s.get(Team, 1)
        platform = s.get(Team, 2)
        assert can_manage("U0LEAD", growth, session=s, client=client, now=NOW)
        assert not can_manage("U0LEAD", platform, session=s, client=client, now=NOW)
        assert [t.name for t in manageable_teams("U0LEAD", session=s, client=client, now=NOW)] == ["Growth"]
        assert [t.name for t in manageable_teams("U0ADMIN", session=s, client=client, now=NOW)] == [
            "Growth", "platform"]
        assert manageable_teams("U0ALICE", session=s, client=client, now=NOW) == []
    assert [c.params["user"] for c in fake_slack.calls_to("users.info")] == ["U0LEAD", "U0ADMIN", "U0ALICE"]
