"""'Skip this week' end to end: signed button clicks into the running app, the prompt message rewritten in Slack."""

import pytest
from sqlmodel import select

from bot.slack import ids
from bot.reports.weeks import kr_weeks
from storage.models import Prompt
from tests.flows import NUDGE, PROMPT, at, buttons, deliveries, dms, kr_ids, lead_nudges, prompt_of

WEEK = "2026-11-27@10:00"


@pytest.fixture
def prompted(okr):
    """Bob's weekly prompt of Friday 2026-11-27 delivered at 10:00 Berlin; clicks come from the conversation D0ANY."""
    okr.fake.add_channel("D0ANY")  # where SignedSlack.click says the button was; ephemeral answers go there
    okr.tick(at("2026-11-27T09:00"))
    okr.clock.set(at("2026-11-27T12:00"))
    okr.fake.reset_calls()
    return okr


def the_prompt(okr):
    (message,) = okr.fake.dms_to("U0BOB")
    return message


def skipped_at(okr):
    with okr.session() as s:
        return s.exec(select(Prompt).where(Prompt.user_id == "U0BOB", Prompt.week_key == WEEK)).one().skipped_at


def test_the_prompt_offers_skip_beside_check_in(prompted):
    prompt = prompt_of(prompted, "U0BOB", WEEK)
    message = the_prompt(prompted)
    assert [(b["action_id"], b["value"]) for b in buttons(message)] == [
        (ids.OPEN_CHECKIN, str(prompt.id)), (ids.SKIP_WEEK, str(prompt.id))]


def test_owner_skips_the_week_and_the_prompt_says_so(prompted):
    okr = prompted
    prompt = prompt_of(okr, "U0BOB", WEEK)
    resp = okr.slack.click("U0BOB", ids.SKIP_WEEK, str(prompt.id))
    assert resp.status == 200
    assert skipped_at(okr) == at("2026-11-27T12:00")
    (update,) = okr.fake.calls_to("chat.update")
    (sent,) = deliveries(okr, f"prompt:{prompt.id}")
    assert (update.params["channel"], update.params["ts"]) == (sent.channel, sent.ts)
    (message,) = okr.fake.dms_to("U0BOB")  # the same message, rewritten
    assert "You skipped this week's check-in" in okr.fake.render(message)
    assert [b["action_id"] for b in buttons(message)] == [ids.UNDO_SKIP]
    assert okr.fake.ephemerals() == []


def test_double_click_is_harmless(prompted):
    okr = prompted
    prompt = prompt_of(okr, "U0BOB", WEEK)
    okr.slack.click("U0BOB", ids.SKIP_WEEK, str(prompt.id))
    okr.clock.set(at("2026-11-27T12:01"))
    assert okr.slack.click("U0BOB", ids.SKIP_WEEK, str(prompt.id)).status == 200
    assert skipped_at(okr) == at("2026-11-27T12:00")  # the first click's time stays
    assert "You skipped" in okr.fake.render(okr.fake.dms_to("U0BOB")[0])
    assert len(okr.fake.dms_to("U0BOB")) == 1


def test_someone_else_is_refused_with_a_sentence_and_nothing_changes(prompted):
    okr = prompted
    prompt = prompt_of(okr, "U0BOB", WEEK)
    resp = okr.slack.click("U0EVE", ids.SKIP_WEEK, str(prompt.id))
    assert resp.status == 200
    (refusal,) = okr.fake.ephemerals("U0EVE")
    assert refusal["text"] == "Only <@U0BOB> can skip this check-in week: it is their weekly prompt."
    assert skipped_at(okr) is None
    assert okr.fake.calls_to("chat.update") == []
    assert PROMPT in the_prompt(okr)["text"]


@pytest.mark.parametrize("value", ["", "abc", "99999999999999", "424242"])
def test_a_stale_or_forged_button_value_is_explained(prompted, value):
    okr = prompted
    assert okr.slack.click("U0BOB", ids.SKIP_WEEK, value).status == 200
    (answer,) = okr.fake.ephemerals("U0BOB")
    assert "out of date" in answer["text"]
    assert skipped_at(okr) is None


def test_undo_brings_the_prompt_back(prompted):
    okr = prompted
    prompt = prompt_of(okr, "U0BOB", WEEK)
    okr.slack.click("U0BOB", ids.SKIP_WEEK, str(prompt.id))
    assert okr.slack.click("U0BOB", ids.UNDO_SKIP, str(prompt.id)).status == 200
    assert skipped_at(okr) is None
    (message,) = okr.fake.dms_to("U0BOB")
    assert "Reduce median time-to-first-value" in okr.fake.render(message)
    assert [b["action_id"] for b in buttons(message)] == [ids.OPEN_CHECKIN, ids.SKIP_WEEK]


def test_a_week_that_is_over_cannot_be_skipped(prompted):
    okr = prompted
    prompt = prompt_of(okr, "U0BOB", WEEK)
    okr.tick(at("2026-12-04T09:00"))  # the next prompt ends the week
    okr.clock.set(at("2026-12-04T09:05"))
    okr.slack.click("U0BOB", ids.SKIP_WEEK, str(prompt.id))
    (answer,) = okr.fake.ephemerals("U0BOB")
    assert "That check-in week is over" in answer["text"]
    assert skipped_at(okr) is None


def test_a_skipped_week_is_not_counted_as_missed(okr):
    okr.fake.add_channel("D0ANY")
    fridays = ["2026-10-02", "2026-10-09", "2026-10-16", "2026-10-23", "2026-10-30"]
    okr.tick(at(f"{fridays[0]}T16:00"))
    okr.tick(at(f"{fridays[1]}T16:00"))
    # Bob is on leave in week 2 and says so from the prompt.
    okr.clock.set(at("2026-10-09T17:00"))
    okr.slack.click("U0BOB", ids.SKIP_WEEK, str(prompt_of(okr, "U0BOB", "2026-10-09@10:00").id))
    okr.tick(at(f"{fridays[2]}T16:00"))
    okr.tick(at(f"{fridays[3]}T16:00"))
    with okr.session() as s:
        weeks = kr_weeks([kr_ids(okr)["ttfv"]], session=s, now=at("2026-10-23T16:00"))[kr_ids(okr)["ttfv"]]
    assert [w.skipped for w in weeks.weeks] == [False, True, False, False]
    assert weeks.missed_streak == 2
    # Alice missed three weeks and is nudged; Bob missed two (the skipped one does not count) and is not.
    assert len(dms(okr, "U0ALICE", NUDGE)) == 1
    assert dms(okr, "U0BOB", NUDGE) == []
    assert [m["text"].startswith("<@U0ALICE>") for m in lead_nudges(okr)] == [True]
    okr.tick(at(f"{fridays[4]}T16:00"))  # a third unanswered week of Bob's: now he is nudged
    assert len(dms(okr, "U0BOB", NUDGE)) == 1
