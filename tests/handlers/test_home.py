"""App Home end to end: opening the tab, its buttons, and the refresh after each check-in."""

import json
from datetime import UTC, datetime

from bot.slack import ids
from tests.flows import check_in, kr_ids, wait_for

NOW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def open_home(okr, user):
    okr.fake.reset_calls()
    resp = okr.slack.event({"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"})
    assert resp.status == 200
    return wait_for(lambda: okr.fake.published_home(user))


def text_of(view):
    return json.dumps(view["blocks"], ensure_ascii=False)


def action_ids(view):
    found = []
    for block in view["blocks"]:
        elements = block.get("elements", []) if block["type"] == "actions" else [block.get("accessory") or {}]
        found += [(block.get("block_id"), e.get("action_id"), e.get("value")) for e in elements if e]
    return found


def test_home_shows_the_owners_krs_with_value_confidence_score_and_pace(okr):
    check_in(okr, "U0ALICE", datetime(2026, 11, 20, 16, 0, tzinfo=UTC),
             {"d7-activation": ("28.5%", "green", "")})
    okr.clock.set(NOW)
    home = open_home(okr, "U0ALICE")
    text = text_of(home)
    assert home["type"] == "home"
    assert "Make self-serve onboarding effortless for mid-market customers* · Growth" in text
    assert "*Increase Day-7 activation rate from 22% to 35%*" in text
    assert "28.5% of 35%" in text and "on track" in text and "score 0.50" in text and "on pace" in text
    assert "*Reach 40% weekly active usage of analytics* · `KR-3`" in text and "no check-in yet" in text
    assert "time-to-first-value" not in text  # Bob's KR
    assert "Teams you lead" not in text
    assert (None, ids.OPEN_CHECKIN, "home") in action_ids(home)
    assert len(home["blocks"]) <= 100


def test_leads_see_a_line_per_team_with_status_and_new_objective_buttons(okr):
    home = open_home(okr, "U0LEAD")
    text = text_of(home)
    assert "You own no key results this cycle." in text
    assert "Teams you lead" in text and "*Growth* · 1 objective · 3 key results" in text
    buttons = {a[1]: a[2] for a in action_ids(home)}
    assert buttons[ids.OPEN_NEW_OBJECTIVE] == "home"
    assert buttons[ids.OPEN_STATUS].startswith("team:")
    # The buttons work: a new-objective form, and the team's status.
    okr.fake.reset_calls()
    assert okr.slack.click("U0LEAD", ids.OPEN_NEW_OBJECTIVE, "home").status == 200
    assert okr.fake.views_opened()[-1]["callback_id"] == ids.OBJECTIVE_VIEW
    assert okr.slack.click("U0LEAD", ids.OPEN_STATUS, buttons[ids.OPEN_STATUS]).status == 200
    assert okr.fake.views_opened()[-1]["callback_id"] == ids.STATUS_VIEW


def test_new_objective_button_explains_when_the_caller_leads_no_team(okr):
    okr.fake.reset_calls()
    assert okr.slack.click("U0ALICE", ids.OPEN_NEW_OBJECTIVE, "home").status == 200
    assert "you lead no team" in text_of(okr.fake.views_opened()[-1])


def test_home_is_republished_after_a_checkin(okr):
    open_home(okr, "U0ALICE")
    okr.fake.reset_calls()
    check_in(okr, "U0ALICE", NOW, {"wau": ("25%", "amber", "Waiting on the data team")})
    published = wait_for(lambda: okr.fake.calls_to("views.publish"))
    assert [c.params["user_id"] for c in published] == ["U0ALICE"]
    text = text_of(okr.fake.published_home("U0ALICE"))
    assert "25% of 40%" in text and "at risk" in text and "score 0.50" in text


def test_a_lead_checking_in_for_someone_refreshes_both_homes(okr):
    okr.fake.reset_calls()
    okr.clock.set(NOW)
    assert okr.slack.command("U0LEAD", "checkin <@U0BOB|bob>").status == 200
    view = okr.fake.views_opened()[-1]
    resp = okr.slack.submit("U0LEAD", view, {kr_ids(okr)["ttfv"]: ("12 days", "green", "")}, view_id="VLEADBOB")
    assert resp.json()["response_action"] == "update"
    published = wait_for(lambda: len(okr.fake.calls_to("views.publish")) >= 2 and okr.fake.calls_to("views.publish"))
    assert sorted(c.params["user_id"] for c in published) == ["U0BOB", "U0LEAD"]
    assert "12 days of 7 days" in text_of(okr.fake.published_home("U0BOB"))
    assert "*Growth* · 1 objective · 3 key results" in text_of(okr.fake.published_home("U0LEAD"))


def test_refused_checkins_do_not_republish(okr):
    okr.clock.set(NOW)
    okr.fake.reset_calls()
    assert okr.slack.command("U0ALICE", "checkin").status == 200
    view = okr.fake.views_opened()[-1]
    resp = okr.slack.submit("U0ALICE", view, {kr_ids(okr)["wau"]: ("abc", "green", "")})
    assert resp.json()["response_action"] == "errors"
    assert wait_for(lambda: okr.fake.calls_to("views.publish"), timeout=0.5) == []
