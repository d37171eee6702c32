"""Check-ins end to end: signed slash commands, button clicks and modal submissions into the running app."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.slack import ids
from storage.models import CheckIn, KeyResult, Prompt
from storage.people import find_person

NOW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def kr_ids(okr):
    with okr.session() as s:
        return {kr.key: kr.id for kr in s.exec(select(KeyResult))}


def opened_view(okr):
    return okr.fake.calls_to("views.open")[-1].params["view"]


def checkins(okr):
    with okr.session() as s:
        return s.exec(select(CheckIn).order_by(CheckIn.id)).all()


def open_modal(okr, user="U0ALICE", text="checkin"):
    okr.clock.set(NOW)
    resp = okr.slack.command(user, text)
    assert resp.status == 200
    return opened_view(okr)


def test_slash_checkin_opens_a_modal_with_the_callers_key_results(okr):
    view = open_modal(okr)
    assert view["callback_id"] == ids.CHECKIN_VIEW
    k = kr_ids(okr)
    block_ids = {b.get("block_id") for b in view["blocks"]}
    for key in ("d7-activation", "wau"):
        for prefix in (ids.VALUE_BLOCK, ids.CONFIDENCE_BLOCK, ids.NOTE_BLOCK):
            assert ids.kr_block(prefix, k[key]) in block_ids
    assert ids.kr_block(ids.VALUE_BLOCK, k["ttfv"]) not in block_ids  # Bob's KR
    text = str(view["blocks"])
    assert "22% → 35%" in text and "No check-in yet" in text


def test_prompt_button_opens_the_same_modal(okr):
    okr.tick(NOW.replace(hour=15))
    okr.fake.reset_calls()
    resp = okr.slack.click("U0ALICE", ids.OPEN_CHECKIN, "1")
    assert resp.status == 200
    view = opened_view(okr)
    assert view["callback_id"] == ids.CHECKIN_VIEW
    assert ids.kr_block(ids.VALUE_BLOCK, kr_ids(okr)["d7-activation"]) in {b.get("block_id") for b in view["blocks"]}


def test_submission_stores_a_checkin_and_confirms_with_the_score(okr):
    okr.tick(NOW.replace(hour=15))
    view = open_modal(okr)
    k = kr_ids(okr)
    resp = okr.slack.submit("U0ALICE", view, {k["d7-activation"]: ("28.5%", "green", "New tour shipped")})
    assert resp.status == 200
    answer = resp.json()
    assert answer["response_action"] == "update"
    assert "score *0.50*" in str(answer["view"]["blocks"])
    (stored,) = checkins(okr)
    assert (stored.kr_id, stored.value, stored.confidence, stored.note) == (k["d7-activation"], 28.5, "green",
                                                                          "New tour shipped")
    assert stored.author_id == "U0ALICE" and stored.created_at == NOW
    with okr.session() as s:
        prompt = s.exec(select(Prompt).where(Prompt.user_id == "U0ALICE")).one()
    assert stored.prompt_id == prompt.id  # counts for the owner's most recent prompted week


def test_decreasing_target_scores_correctly(okr):
    okr.clock.set(NOW)
    okr.slack.command("U0BOB", "checkin")
    view = opened_view(okr)
    k = kr_ids(okr)
    resp = okr.slack.submit("U0BOB", view, {k["ttfv"]: ("10.5 days", "green", "")})
    assert "score *0.50*" in str(resp.json()["view"]["blocks"])


def test_resubmitting_the_same_view_stores_once(okr):
    view = open_modal(okr)
    k = kr_ids(okr)
    answers = {k["d7-activation"]: ("30", "green", "")}
    first = okr.slack.submit("U0ALICE", view, answers, view_id="V0DOUBLE")
    again = okr.slack.submit("U0ALICE", view, answers, view_id="V0DOUBLE",
                             headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "timeout"})
    assert first.status == again.status == 200
    assert again.json()["response_action"] == "update"
    assert len(checkins(okr)) == 1


@pytest.mark.parametrize("value", ["abc", "NaN", "1e400", "1,5", "99999999999999", "3 4"])
def test_bad_values_are_refused_on_the_field_with_an_example(okr, value):
    view = open_modal(okr)
    k = kr_ids(okr)
    resp = okr.slack.submit("U0ALICE", view, {k["d7-activation"]: (value, "green", "")})
    answer = resp.json()
    assert answer["response_action"] == "errors"
    message = answer["errors"][ids.kr_block(ids.VALUE_BLOCK, k["d7-activation"])]
    assert "35%" in message  # names an example that works
    assert checkins(okr) == []


@pytest.mark.parametrize("value", ["35", "35%", "1,200", "3.5k", "12 min", "-4.5"])
def test_accepted_value_forms(okr, value):
    view = open_modal(okr)
    k = kr_ids(okr)
    resp = okr.slack.submit("U0ALICE", view, {k["wau"]: (value, "green", "")})
    assert resp.json()["response_action"] == "update"
    assert len(checkins(okr)) == 1


@pytest.mark.parametrize("confidence", ["amber", "red"])
def test_amber_or_red_needs_a_decision_note(okr, confidence):
    view = open_modal(okr)
    k = kr_ids(okr)
    resp = okr.slack.submit("U0ALICE", view, {k["wau"]: ("12", confidence, "")})
    answer = resp.json()
    assert answer["response_action"] == "errors"
    assert "what changes before next week" in answer["errors"][ids.kr_block(ids.NOTE_BLOCK, k["wau"])]
    assert checkins(okr) == []
    resp = okr.slack.submit("U0ALICE", view, {k["wau"]: ("12", confidence, "Asking design for help")})
    assert resp.json()["response_action"] == "update"
    assert checkins(okr)[0].confidence == confidence


def test_missing_confidence_and_missing_value_are_field_errors(okr):
    view = open_modal(okr)
    k = kr_ids(okr)
    answer = okr.slack.submit("U0ALICE", view, {k["wau"]: ("12", None, ""),
                                                k["d7-activation"]: ("", "green", "")}).json()
    assert answer["response_action"] == "errors"
    assert "confidence" in answer["errors"][ids.kr_block(ids.CONFIDENCE_BLOCK, k["wau"])].lower()
    assert "current value" in answer["errors"][ids.kr_block(ids.VALUE_BLOCK, k["d7-activation"])]
    assert checkins(okr) == []


def test_an_empty_form_asks_for_at_least_one_answer(okr):
    view = open_modal(okr)
    k = kr_ids(okr)
    answer = okr.slack.submit("U0ALICE", view, {k["wau"]: ("", None, ""), k["d7-activation"]: ("", None, "")}).json()
    assert answer["response_action"] == "errors"
    assert "at least one" in " ".join(answer["errors"].values())


def test_a_non_owner_cannot_check_in_and_nothing_is_stored(okr):
    view = open_modal(okr)  # Alice's modal...
    k = kr_ids(okr)
    # ...submitted by Eve, as a forged or forwarded submission would be.
    answer = okr.slack.submit("U0EVE", view, {k["d7-activation"]: ("35", "green", ""),
                                              k["wau"]: ("20", "green", "")}).json()
    assert answer["response_action"] == "errors"
    assert "Only the owner (<@U0ALICE>)" in answer["errors"][ids.kr_block(ids.VALUE_BLOCK, k["d7-activation"])]
    assert checkins(okr) == []


def test_lead_can_check_in_on_behalf_of_an_owner(okr):
    view = open_modal(okr, user="U0LEAD", text="checkin <@U0BOB|bob>")
    assert "on behalf of <@U0BOB>" in str(view["blocks"])
    k = kr_ids(okr)
    answer = okr.slack.submit("U0LEAD", view, {k["ttfv"]: ("12", "amber", "Bob is out; hiring help")}).json()
    assert answer["response_action"] == "update"
    (stored,) = checkins(okr)
    assert stored.author_id == "U0LEAD" and stored.kr_id == k["ttfv"]


def test_non_lead_cannot_open_someone_elses_checkin(okr):
    view = open_modal(okr, user="U0EVE", text="checkin <@U0BOB|bob>")
    assert view.get("callback_id") != ids.CHECKIN_VIEW
    assert "teams you lead" in str(view["blocks"])


def test_person_without_key_results_is_told_so(okr):
    view = open_modal(okr, user="U0EVE")
    assert "own no key results" in str(view["blocks"])


def test_help_and_unknown_subcommands_answer_with_help(okr):
    for text in ("help", "", "frobnicate"):
        resp = okr.slack.command("U0ALICE", text)
        assert resp.status == 200
        body = resp.json()
        assert body["response_type"] == "ephemeral"
        assert "/okr checkin" in body["text"]
    assert "I don't know `/okr frobnicate`" in okr.slack.command("U0ALICE", "frobnicate").json()["text"]


def test_checkin_with_a_non_person_argument_is_explained(okr):
    body = okr.slack.command("U0LEAD", "checkin bob").json()
    assert "is not a person" in body["text"]


@pytest.mark.parametrize("mangle", ["bad-signature", "stale", "unsigned"])
def test_requests_that_slack_did_not_sign_are_refused(okr, mangle):
    import time

    if mangle == "bad-signature":
        resp = okr.slack.command("U0ALICE", "checkin", headers={"X-Slack-Signature": "v0=deadbeef"})
    elif mangle == "stale":
        resp = okr.slack.command("U0ALICE", "checkin", timestamp=str(int(time.time()) - 600))
    else:
        resp = okr.slack.command("U0ALICE", "checkin", signed=False)
    assert resp.status == 401
    assert okr.fake.calls_to("views.open") == []


def test_user_change_event_refreshes_the_cached_zone(okr):
    okr.tick(NOW.replace(hour=15))
    resp = okr.slack.event({"type": "user_change", "user": {"id": "U0ALICE", "tz": "Asia/Tokyo"}})
    assert resp.status == 200

    with okr.session() as s:
        assert find_person("U0ALICE", session=s).tz == "Asia/Tokyo"


def test_app_home_shows_the_users_key_results(okr):
    okr.clock.set(NOW)
    resp = okr.slack.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home", "channel": "D0ALICE"})
    assert resp.status == 200
    (call,) = okr.fake.calls_to("views.publish")
    assert call.params["user_id"] == "U0ALICE"
    text = str(call.params["view"]["blocks"])
    assert "Increase Day-7 activation rate" in text and ids.OPEN_CHECKIN in text
