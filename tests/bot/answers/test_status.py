"""Status: reports.status assembly, views.status wording, Slack's limits for big teams, and a constant query count."""

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.answers import status
from bot.reports.status import KRStatus
from bot.views import status as status_views
from bot.views.kit import ago, fair_caps, signed
from bot.views.status import more_krs_line
from bot.rules.scoring import Pace
from storage.db import session_scope
from storage.db import count_statements
from bot.views.kit import MESSAGE_TEXT_CHARS, block_text
from tests.status_helpers import MODAL_BLOCKS, add_team, assert_within_limits, cycle

NOW = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
CHECKINS = [(NOW - timedelta(days=10), 20, "green"), (NOW - timedelta(days=3), 30, "red")]


@pytest.mark.parametrize("delta, text", [
    (timedelta(minutes=5), "just now"),
    (timedelta(hours=1), "1 hour ago"),
    (timedelta(hours=23, minutes=59), "23 hours ago"),
    (timedelta(hours=30), "yesterday"),
    (timedelta(days=3), "3 days ago"),
    (timedelta(days=13, hours=23), "13 days ago"),
    (timedelta(days=21), "3 weeks ago"),
    (-timedelta(minutes=1), "just now"),
])
def test_ago(delta, text):
    assert ago(NOW - delta, now=NOW) == text


def test_ago_without_a_checkin():
    assert ago(None, now=NOW) == "no check-in yet"


@pytest.mark.parametrize("delta, unit, text", [
    (3.5, "%", "+3.5%"), (-2, "days", "-2 days"), (1200, "$", "+$1,200"), (0.001, "%", "no change"),
])
def test_signed(delta, unit, text):
    assert signed(delta, unit) == text


@pytest.mark.parametrize("sizes, budget, caps", [
    ([5, 5], 40, [5, 5]),
    ([5] * 12, 40, [4, 4, 4, 4] + [3] * 8),
    ([1, 9, 9], 10, [1, 5, 4]),
    ([5] * 60, 40, [1] * 60),  # never fewer than one KR an objective
])
def test_fair_caps_share_the_budget(sizes, budget, caps):
    assert fair_caps(sizes, budget) == caps


def kr(confidence, behind):
    return KRStatus(id=1, title="t", owner_id="U1", unit="%", baseline=0, target=1, value=0.5,
                    confidence=confidence, score=0.5, pace=Pace(0.5, 0.9 if behind else 0.5, behind, ""),
                    trend=None, last_at=NOW)


def test_more_krs_line_counts_behind_and_red():
    hidden = [kr("red", True)] * 2 + [kr("red", False)] + [kr("green", True)] + [kr("amber", False)] * 8
    assert more_krs_line(hidden) == "…and 12 more KRs: 3 behind, 3 red"


def _reply(*args, **kw):
    answer = status.status_reply(*args, **kw)
    return answer.text, answer.blocks


def build(engine, **kw):
    with session_scope(engine) as s:
        team = add_team(s, cycle(s), "Big", checkins=CHECKINS, lead="U0LEAD", **kw)
    return team


def test_a_team_of_12_objectives_by_5_krs_fits_in_a_message_and_names_every_objective(engine):
    build(engine, objectives=12, krs=5, title_length=190)
    with session_scope(engine) as s:
        text, blocks = _reply(["big"], "U0ANY", mentioned=None, session=s, now=NOW)
    assert_within_limits(blocks)
    shown = str(blocks)
    for n in range(1, 13):
        assert f"Big objective {n} " in shown
    # 60 KRs of long titles: 40 lines in full would be ~14,000 characters, which Slack refuses
    # (msg_blocks_too_long), so fewer KRs of each objective are shown in full and the rest summed up, none cut off.
    assert block_text(blocks) <= MESSAGE_TEXT_CHARS
    full = shown.count("since the previous check-in")
    assert 12 <= full < status_views.MESSAGE_KR_LINES
    assert shown.count("more KRs: ") + shown.count("more KR: ") == 12
    assert text.startswith("Big: 12 objectives, 60 key results · 60 behind · 60 red")


def test_the_modal_of_a_big_team_stays_within_100_blocks(engine):
    team = build(engine, objectives=12, krs=5, title_length=190)
    with session_scope(engine) as s:
        view = status.status_modal(f"team:{team.id}", session=s, now=NOW).view
    assert_within_limits(view["blocks"], max_blocks=MODAL_BLOCKS)
    assert str(view["blocks"]).count("since the previous check-in") == 60  # room for every KR in full


def test_more_objectives_than_blocks_are_listed_in_the_last_section(sqlite_engine):
    build(sqlite_engine, objectives=70, krs=1)
    with session_scope(sqlite_engine) as s:
        _, blocks = _reply(["Big"], "U0ANY", mentioned=None, session=s, now=NOW)
    assert_within_limits(blocks)
    shown = str(blocks)
    assert all(f"Big objective {n} " in shown for n in range(1, 71))


def test_many_teams_are_summarised_a_line_each(sqlite_engine):
    with session_scope(sqlite_engine) as s:
        q4 = cycle(s)
        for n in range(30):
            add_team(s, q4, f"Team {n}", objectives=2, krs=2, lead="U0BOSS", checkins=CHECKINS)
    with session_scope(sqlite_engine) as s:
        text, blocks = _reply([], "U0BOSS", mentioned=None, session=s, now=NOW)
    assert_within_limits(blocks)
    shown = str(blocks)
    assert "here is each team in a line" in shown
    assert all(f"*Team {n}* · 2 objectives · 4 key results · 4 behind · 4 red" in shown for n in range(30))


def test_a_caller_without_teams_gets_a_list_when_there_are_many(sqlite_engine):
    with session_scope(sqlite_engine) as s:
        q4 = cycle(s)
        for n in range(500):
            add_team(s, q4, f"Team {n:03d}", objectives=1, krs=1)
    with session_scope(sqlite_engine) as s:
        text, blocks = _reply([], "U0NEW", mentioned=None, session=s, now=NOW)
    assert_within_limits(blocks)
    assert text == "500 teams."
    # Listing all 500 would be ~20,000 characters, which Slack refuses (msg_blocks_too_long): the rest are counted.
    assert "*Team 000* · 1 objective · 1 key result" in str(blocks) and "Team 499" not in str(blocks)
    assert block_text(blocks) <= MESSAGE_TEXT_CHARS
    listed = str(blocks).count("· 1 objective · 1 key result")
    assert f"…and {500 - listed} more teams." in str(blocks)


def test_team_status_costs_the_same_few_queries_whatever_its_size(engine):
    with session_scope(engine) as s:
        q4 = cycle(s)
        add_team(s, q4, "Small", objectives=1, krs=1, checkins=CHECKINS, lead="U0LEAD")
        add_team(s, q4, "Large", objectives=12, krs=5, checkins=CHECKINS * 5, lead="U0LEAD")
    counts = {}
    for name in ("Small", "Large"):
        with session_scope(engine) as s, count_statements(engine) as statements:
            status.status_reply([name], "U0ANY", mentioned=None, session=s, now=NOW)
        counts[name] = len(statements)
    # The team by name, its KRs, their two latest check-ins, its leads, and its check-in weeks for participation
    # (no week was prompted yet, so there are no reminders to look up).
    assert counts == {"Small": 5, "Large": 5}


def test_only_the_cycle_running_on_the_teams_own_date_counts(sqlite_engine):
    with session_scope(sqlite_engine) as s:
        q3 = cycle(s, name="2026-Q3", start=date(2026, 7, 1), end=date(2026, 9, 30))
        add_team(s, q3, "Tokyo", objectives=1, krs=1, timezone="Asia/Tokyo")
    # 2026-09-30 20:00Z is already Oct 1 in Tokyo: Q3 is over there, so nothing is live.
    with session_scope(sqlite_engine) as s:
        text, blocks = _reply(["Tokyo"], "U0ANY", mentioned=None, session=s,
                                           now=datetime(2026, 9, 30, 20, tzinfo=UTC))
        assert "No live key results this cycle." in str(blocks)
        text, blocks = _reply(["Tokyo"], "U0ANY", mentioned=None, session=s,
                                           now=datetime(2026, 9, 30, 14, tzinfo=UTC))
        assert "Tokyo objective 1" in str(blocks)
