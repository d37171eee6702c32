"""bot.home: the Home tab stays within Slack's limits however many KRs a person owns and teams they lead."""

from datetime import UTC, datetime

from bot.answers.home import home_for
from storage.db import session_scope
from tests.status_helpers import MODAL_BLOCKS, add_team, assert_within_limits, cycle

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CHECKINS = [(datetime(2026, 11, 20, 12, 0, tzinfo=UTC), 40.0, "red")]


def test_many_krs_and_many_teams_fit(engine):
    with session_scope(engine) as s:
        q4 = cycle(s)
        # U0OWN0 owns one KR in each of 80 objectives; U0LEAD leads 120 teams.
        add_team(s, q4, "Big", objectives=80, krs=2, checkins=CHECKINS, title_length=190)
        for i in range(120):
            add_team(s, q4, f"Team {i:03d}", objectives=1, krs=1, lead="U0LEAD", owner=f"U0T{i}")
    with session_scope(engine) as s:
        owner = home_for("U0OWN0", session=s, now=NOW).view
        lead = home_for("U0LEAD", session=s, now=NOW).view
    for view in (owner, lead):
        assert_within_limits(view["blocks"], max_blocks=MODAL_BLOCKS)
        for block in view["blocks"]:
            if block["type"] == "actions":
                action_ids = [e["action_id"] for e in block["elements"]]
                assert len(action_ids) == len(set(action_ids)) <= 25
    text = str(owner["blocks"])
    assert "…and" in text and "`/okr status me`" in text
    assert "more teams: `/okr status` shows them." in str(lead["blocks"])


def test_an_owner_without_krs_gets_a_pointer_to_help(engine):
    with session_scope(engine) as s:
        view = home_for("U0NOBODY", session=s, now=NOW).view
    assert view["blocks"][1]["text"]["text"].startswith("You own no key results this cycle.")
