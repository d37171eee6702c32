"""/okr status and the Open status button end to end: signed requests into the running app, the fake Slack."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.slack import ids
from storage.models import Team
from tests.status_helpers import MODAL_BLOCKS, assert_within_limits, check_in, kr_ids

CHECKED = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)

PLATFORM = """
cycle: {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
teams:
  - name: Platform Reliability
    channel: C0PLAT
    leads: [U0EVE]
    timezone: UTC
objectives:
  - team: Platform Reliability
    title: Keep the lights on
    type: committed
    key_results:
      - id: uptime
        title: Raise uptime from 99.5% to 99.9%
        owner: U0EVE
        baseline: 99.5
        target: 99.9
        unit: "%"
"""


@pytest.fixture
def checked_in(okr):
    """Growth with check-ins: Alice's activation twice (for a trend), Bob's time-to-value once, at red."""
    k = kr_ids(okr)
    check_in(okr, "U0ALICE", datetime(2026, 11, 20, 16, 0, tzinfo=UTC), {k["d7-activation"]: ("25%", "green", "")})
    check_in(okr, "U0ALICE", CHECKED, {k["d7-activation"]: ("28.5%", "green", "Tour shipped")})
    check_in(okr, "U0BOB", CHECKED, {k["ttfv"]: ("12 days", "red", "Blocked on the data team")})
    okr.fake.reset_calls()
    okr.clock.set(NOW)
    return okr


@pytest.fixture
def two_teams(checked_in, tmp_path):
    """Growth, and a second team whose name has a space, led by Eve who owns its only KR."""
    path = tmp_path / "platform.yaml"
    path.write_text(PLATFORM)
    checked_in.import_file(path)
    return checked_in


def status(okr, user, text=""):
    resp = okr.slack.command(user, f"status {text}".strip())
    assert resp.status == 200
    body = resp.json()
    assert body["response_type"] == "ephemeral"
    if body.get("blocks"):
        assert_within_limits(body["blocks"])
    return body


def shown(body):
    return str(body.get("blocks") or "") + body["text"]


def test_team_status_shows_every_objective_and_key_result(checked_in):
    body = status(checked_in, "U0EVE", "growth")  # any case
    text = shown(body)
    assert "Make self-serve onboarding effortless" in text
    # Objective: type and mean score (0.50 + 0.29 + 0.00) / 3, against aspirational's 0.70.
    assert "_aspirational_ · score *0.26* · success at 0.70" in text
    # Day-7 activation: bar, value vs target, confidence, pace, trend with unit, owner, age.
    # Its weekly trend beside it: the baseline until the 25% of last week, then this week's 28.5%.
    assert "▓▓▓▓▓░░░░░ 28.5% of 35% `▁▁▁▁▁▁▃▅`" in text
    assert ":large_green_circle: on track · on pace · +3.5% since the previous check-in · 3 days ago" in text
    assert "<@U0ALICE>" in text and "<@U0BOB>" in text
    # Each KR's reference, the name scripts push its values to.
    assert "*Increase Day-7 activation rate from 22% to 35%* · `KR-1` · <@U0ALICE>" in text
    # Time to first value (a decreasing target): 12 days is 29% of the way, 66% of the cycle has passed.
    assert "12 days of 7 days `▁▁▁▁▁▁▁▃` · :red_circle: off track · behind: 29% of the way, 66% expected by now · 3 days ago" in text
    # Weekly active usage has never been checked in.
    assert "no check-in yet · target 40% · behind: 66% expected by now" in text
    assert "Lead: <@U0LEAD>" in text
    assert body["text"].startswith("Growth: 1 objective, 3 key results")
    # Answered in the HTTP response itself, not through the Web API.
    assert checked_in.fake.calls_to("chat.postEphemeral") == [] and checked_in.fake.calls_to("views.open") == []


def test_status_of_a_person_shows_only_their_key_results(checked_in):
    text = shown(status(checked_in, "U0LEAD", "<@U0BOB|bob>"))
    assert "Key results of <@U0BOB>" in text
    assert "Reduce median time-to-first-value" in text
    assert "Increase Day-7 activation rate" not in text and "weekly active usage" not in text
    # The objective's score still counts every key result, not only Bob's.
    assert "score *0.26*" in text


def test_status_me_shows_the_callers_key_results(checked_in):
    text = shown(status(checked_in, "U0ALICE", "me"))
    assert "Key results of <@U0ALICE>" in text
    assert "Increase Day-7 activation rate" in text and "weekly active usage" in text
    assert "time-to-first-value" not in text


def test_a_person_without_key_results_is_told_so(checked_in):
    assert status(checked_in, "U0LEAD", "me")["text"] == "You own no key results in the current cycle."
    assert status(checked_in, "U0ALICE", "<@U0EVE|eve>")["text"] == "<@U0EVE> owns no key results in the current cycle."


def test_an_unknown_team_is_named_and_the_existing_teams_listed(two_teams):
    checked_in = two_teams
    body = status(checked_in, "U0ALICE", "NoSuchTeam")
    assert "blocks" not in body
    assert body["text"].startswith("There is no team called “NoSuchTeam”.")
    assert "Teams: Growth, Platform Reliability." in body["text"]
    assert "Did you mean *Growth*?" in status(checked_in, "U0ALICE", "grwoth")["text"]


def test_team_names_with_spaces_work_quoted_or_not(two_teams):
    checked_in = two_teams
    for text in ('"Platform Reliability"', "platform reliability", "PLATFORM   Reliability"):
        body = status(checked_in, "U0ALICE", text)
        assert "Keep the lights on" in shown(body), text
        assert "_committed_" in shown(body)


def test_without_an_argument_the_callers_teams_are_shown(two_teams):
    checked_in = two_teams
    alice = shown(status(checked_in, "U0ALICE"))  # owns KRs in Growth only
    assert "Make self-serve onboarding" in alice and "Keep the lights on" not in alice
    lead = shown(status(checked_in, "U0LEAD"))  # leads Growth, owns nothing
    assert "Make self-serve onboarding" in lead and "Keep the lights on" not in lead
    eve = shown(status(checked_in, "U0EVE"))  # leads and owns in Platform Reliability
    assert "Keep the lights on" in eve and "Make self-serve onboarding" not in eve


def test_without_an_argument_or_a_team_everyone_is_shown(two_teams):
    checked_in = two_teams
    text = shown(status(checked_in, "U0STRANGER"))
    assert "You lead no team and own no key results, so here is every team." in text
    assert "Make self-serve onboarding" in text and "Keep the lights on" in text


def test_open_status_button_opens_the_team_status_in_a_modal(checked_in):
    with checked_in.session() as s:
        growth = s.exec(select(Team).where(Team.name == "Growth")).one()
    resp = checked_in.slack.click("U0BOB", ids.OPEN_STATUS, f"team:{growth.id}")
    assert resp.status == 200
    (call,) = checked_in.fake.calls_to("views.open")
    view = call.params["view"]
    assert view["type"] == "modal" and view["callback_id"] == ids.STATUS_VIEW
    assert view["title"]["text"] == "Growth"
    assert_within_limits(view["blocks"], max_blocks=MODAL_BLOCKS)
    text = str(view["blocks"])
    assert "Make self-serve onboarding" in text and "28.5% of 35%" in text


@pytest.mark.parametrize("value", ["team:99999", "team:", "nonsense", ""])
def test_open_status_for_a_team_that_is_gone_says_so(checked_in, value):
    resp = checked_in.slack.click("U0BOB", ids.OPEN_STATUS, value)
    assert resp.status == 200
    view = checked_in.fake.calls_to("views.open")[-1].params["view"]
    assert "That team no longer exists" in str(view["blocks"])


def test_help_lists_status(okr):
    text = okr.slack.command("U0ALICE", "help").json()["text"]
    assert "• `/okr status` — your teams' objectives and key results" in text
    assert "`/okr status TEAM`, `/okr status @someone`, `/okr status me`" in text
