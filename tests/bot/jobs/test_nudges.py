"""Nudges after three missed weeks and the weekly reminder, end to end: real ticks, real check-ins, the fake Slack."""

from datetime import timedelta

import pytest

from bot.slack import ids
from bot.rules.cadence import QUIET_BEFORE_NEXT, is_working_time, reminder_at
from bot.rules.schedule import zone
from storage import okrs
from tests.flows import (NUDGE, PROMPT, REMINDER, at, buttons, check_in, deliveries, dms, lead_nudges,
                         prompt_of)

# Fridays of 2026-Q4: the Growth team checks in at 10:00 local (Berlin 08:00Z, New York 14:00Z in October).
FRIDAYS = ["2026-10-02", "2026-10-09", "2026-10-16", "2026-10-23", "2026-10-30", "2026-11-06", "2026-11-13",
           "2026-11-20"]


def friday(okr, n: int):
    """Tick on the n-th Friday (0-based) after both owners' prompts are due."""
    okr.tick(at(f"{FRIDAYS[n]}T16:00"))


def nudges(okr, user):
    return dms(okr, user, NUDGE)


@pytest.fixture(params=[None, 1], ids=["one-batch", "owner-batches"])
def batched(request, okr, monkeypatch):
    """okr, with the jobs planning every owner in one batch, or each in a batch of its own (Alice's two KRs are
    more than one batch holds), as a large workspace is planned."""
    if request.param:
        monkeypatch.setattr(okrs, "OWNER_BATCH", request.param)
    return okr


def test_no_nudge_after_two_missed_weeks(okr):
    for n in range(3):  # prompts of weeks 1-3: weeks 1 and 2 have ended unanswered
        friday(okr, n)
    assert len(dms(okr, "U0ALICE", PROMPT)) == 3
    assert nudges(okr, "U0ALICE") == [] and nudges(okr, "U0BOB") == []
    assert okr.fake.dms_to("U0LEAD") == []


def test_nudge_after_exactly_three_missed_weeks_once_per_streak(batched):
    okr = batched
    for n in range(3):
        friday(okr, n)
    friday(okr, 3)  # the 4th prompt ends the third missed week
    (alice,) = nudges(okr, "U0ALICE")
    text = okr.fake.render(alice)
    # One friendly DM listing both of Alice's KRs, with the Check in button.
    assert "Increase Day-7 activation rate" in text and "Reach 40% weekly active usage" in text
    assert "3 weeks" in alice["text"]
    assert [b["action_id"] for b in buttons(alice)] == [ids.OPEN_CHECKIN]
    (bob,) = nudges(okr, "U0BOB")
    assert "Reduce median time-to-first-value" in okr.fake.render(bob)

    # The lead hears once per owner, naming the owner and the KRs.
    about = {m["text"].split(">")[0].removeprefix("<@"): okr.fake.render(m) for m in lead_nudges(okr)}
    assert set(about) == {"U0ALICE", "U0BOB"}
    assert "Increase Day-7 activation rate" in about["U0ALICE"] and "Growth" in about["U0ALICE"]
    assert "Reduce median time-to-first-value" in about["U0BOB"]
    assert "Reduce median" not in about["U0ALICE"]

    # Same streak: later ticks, a restart at the same instant, and a fourth missed week send nothing more.
    friday(okr, 3)
    okr.tick(at("2026-10-23T18:00"))
    friday(okr, 4)
    friday(okr, 5)
    assert len(nudges(okr, "U0ALICE")) == 1 and len(nudges(okr, "U0BOB")) == 1
    assert len(lead_nudges(okr)) == 2
    keys = {d.key for d in deliveries(okr, "nudge:")}
    first = prompt_of(okr, "U0ALICE", "2026-10-02@10:00").id
    assert f"nudge:{first}:U0ALICE:owner" in keys and f"nudge:{first}:U0ALICE:lead:U0LEAD" in keys
    assert len(keys) == 4


def test_owner_who_checks_in_is_not_nudged_and_a_check_in_resets_the_streak(okr):
    friday(okr, 0)
    friday(okr, 1)
    friday(okr, 2)
    # Bob checks in during week 3 (Tuesday); Alice does not.
    check_in(okr, "U0BOB", at("2026-10-20T10:00"), {"ttfv": ("12 days", "green", "")})
    friday(okr, 3)
    assert len(nudges(okr, "U0ALICE")) == 1
    assert nudges(okr, "U0BOB") == []
    assert [okr.fake.render(m).count("Reduce median") for m in lead_nudges(okr)] == [0]

    # Alice checks in during week 4: the streak ends. Weeks 5, 6 and 7 go unanswered: a new streak.
    check_in(okr, "U0ALICE", at("2026-10-27T15:00"), {"wau": ("14%", "green", ""),
                                                     "d7-activation": ("24%", "green", "")})
    for n in (4, 5, 6):
        friday(okr, n)
    assert len(nudges(okr, "U0ALICE")) == 1  # two missed weeks of the new streak: not yet
    friday(okr, 7)
    assert len(nudges(okr, "U0ALICE")) == 2  # three: nudged again, as a new streak
    second = prompt_of(okr, "U0ALICE", "2026-10-30@10:00").id
    assert {d.key for d in deliveries(okr, f"nudge:{second}:")} == {
        f"nudge:{second}:U0ALICE:owner", f"nudge:{second}:U0ALICE:lead:U0LEAD"}


def test_a_check_in_in_the_open_week_before_the_nudge_goes_out_prevents_it(okr):
    for n in range(3):
        friday(okr, n)
    # Slack fails every DM on the 4th Friday: the 4th prompt is recorded, but neither it nor any nudge is sent.
    okr.fake.fail_next("chat.postMessage", status=200, error="internal_error", count=6)
    friday(okr, 3)
    assert nudges(okr, "U0BOB") == [] and nudges(okr, "U0ALICE") == []
    # Bob checks in on Saturday (against the open 4th week): he is back, so the retried nudge is dropped.
    check_in(okr, "U0BOB", at("2026-10-24T10:00"), {"ttfv": ("12 days", "green", "")})
    okr.tick(at("2026-10-26T09:00"))
    assert nudges(okr, "U0BOB") == []
    assert len(nudges(okr, "U0ALICE")) == 1
    assert ["U0ALICE" in m["text"] for m in lead_nudges(okr)] == [True]


def test_a_failed_nudge_is_retried_on_the_next_tick(okr):
    for n in range(3):
        friday(okr, n)
    okr.fake.fail_next("chat.postMessage", status=200, error="internal_error", count=10)
    # Prompts and nudges fail alike; the next tick sends each exactly once.
    friday(okr, 3)
    assert nudges(okr, "U0ALICE") == []
    okr.fake.clear_faults()
    okr.tick(at("2026-10-23T16:01"))
    assert len(nudges(okr, "U0ALICE")) == 1 and len(nudges(okr, "U0BOB")) == 1 and len(lead_nudges(okr)) == 2


# --- Reminders ------------------------------------------------------------------------------------------------

def prompted(okr):
    """Friday 2026-11-27: both owners prompted on time (Bob 09:00Z = 10:00 Berlin, Alice 15:00Z = 10:00 New York)."""
    okr.tick(at("2026-11-27T09:00"))
    okr.tick(at("2026-11-27T15:00"))
    # (Alice's first tick, at 04:00 in New York, also prompted last week's check-in late.)
    assert prompt_of(okr, "U0ALICE", "2026-11-27@10:00").due_at == at("2026-11-27T15:00")
    assert prompt_of(okr, "U0BOB", "2026-11-27@10:00").due_at == at("2026-11-27T09:00")
    return okr


def reminders(okr, user):
    return dms(okr, user, REMINDER)


def test_friday_prompt_is_reminded_on_monday_at_nine_local_not_at_the_weekend_or_at_night(batched):
    okr = batched
    prompted(okr)
    for instant in ("2026-11-27T17:00", "2026-11-28T09:00", "2026-11-28T14:00", "2026-11-29T10:00",
                    "2026-11-29T15:00",            # Saturday and Sunday, in working hours by the clock
                    "2026-11-30T02:00",            # Monday 03:00 in Berlin
                    "2026-11-30T07:59"):           # Monday 08:59 in Berlin
        okr.tick(at(instant))
        assert reminders(okr, "U0BOB") == [] and reminders(okr, "U0ALICE") == [], instant
    okr.tick(at("2026-11-30T08:00"))  # Monday 09:00 in Berlin, 03:00 in New York
    (bob,) = reminders(okr, "U0BOB")
    assert "Reduce median time-to-first-value" in okr.fake.render(bob)
    assert reminders(okr, "U0ALICE") == []
    okr.tick(at("2026-11-30T13:59"))
    assert reminders(okr, "U0ALICE") == []
    okr.tick(at("2026-11-30T14:00"))  # Monday 09:00 in New York
    (alice,) = reminders(okr, "U0ALICE")
    text = okr.fake.render(alice)
    assert "Increase Day-7 activation rate" in text and "Reach 40% weekly active usage" in text
    prompt = prompt_of(okr, "U0ALICE", "2026-11-27@10:00")
    assert [(b["action_id"], b["value"]) for b in buttons(alice)] == [(ids.OPEN_CHECKIN, str(prompt.id))]
    (sent,) = deliveries(okr, f"reminder:{prompt.id}")
    assert sent.kind == "reminder" and sent.sent_at == at("2026-11-30T14:00")

    # Not twice: later ticks of the week, a restart at the same instant, the rest of the week.
    for instant in ("2026-11-30T14:00", "2026-11-30T16:00", "2026-12-01T09:00", "2026-12-03T15:00"):
        okr.tick(at(instant))
    assert len(reminders(okr, "U0ALICE")) == 1 and len(reminders(okr, "U0BOB")) == 1


def test_no_reminder_once_checked_in_and_only_the_missing_krs_otherwise(okr):
    prompted(okr)
    check_in(okr, "U0BOB", at("2026-11-28T10:00"), {"ttfv": ("11 days", "green", "")})
    check_in(okr, "U0ALICE", at("2026-11-28T10:00"), {"wau": ("15%", "green", "")})
    okr.tick(at("2026-11-30T08:00"))
    okr.tick(at("2026-11-30T14:00"))
    assert reminders(okr, "U0BOB") == []
    (alice,) = reminders(okr, "U0ALICE")
    text = okr.fake.render(alice)
    assert "Increase Day-7 activation rate" in text and "weekly active usage" not in text


def test_no_reminder_for_a_skipped_week(okr):
    prompted(okr)
    okr.clock.set(at("2026-11-27T12:00"))
    prompt = prompt_of(okr, "U0BOB", "2026-11-27@10:00")
    assert okr.slack.click("U0BOB", ids.SKIP_WEEK, str(prompt.id)).status == 200
    okr.tick(at("2026-11-30T08:00"))
    okr.tick(at("2026-12-01T10:00"))
    assert reminders(okr, "U0BOB") == []


def test_catch_up_after_downtime_within_the_week_but_only_in_working_hours(okr):
    prompted(okr)
    # Down all Monday; back at 20:00 Berlin: too late in the day. Tuesday 08:00 Berlin: too early.
    okr.tick(at("2026-11-30T19:00"))
    okr.tick(at("2026-12-01T07:00"))
    assert reminders(okr, "U0BOB") == []
    okr.tick(at("2026-12-01T08:00"))  # Tuesday 09:00 Berlin
    assert len(reminders(okr, "U0BOB")) == 1
    okr.tick(at("2026-12-02T10:00"))
    assert len(reminders(okr, "U0BOB")) == 1


def test_no_reminder_once_the_week_has_ended(okr):
    prompted(okr)
    # Down from Friday to the next Friday: the old week's reminder is never sent, and the new week is just prompted.
    okr.tick(at("2026-12-04T09:00"))
    okr.tick(at("2026-12-04T15:00"))
    assert reminders(okr, "U0BOB") == [] and reminders(okr, "U0ALICE") == []
    assert len(dms(okr, "U0BOB", PROMPT)) == 2


def test_no_reminder_right_before_the_next_prompt(okr):
    prompted(okr)
    # Down from Friday until the next Friday 09:30 in Berlin: half an hour before the next prompt is no time to remind.
    okr.tick(at("2026-12-04T08:30"))
    assert reminders(okr, "U0BOB") == []


def test_a_prompt_sent_late_is_not_chased_by_its_reminder_the_same_day(okr):
    # First tick on Thursday: the week of Friday the 20th is prompted late, eighteen hours before it ends.
    okr.tick(at("2026-11-26T12:00"))
    okr.tick(at("2026-11-26T16:00"))
    okr.tick(at("2026-11-27T08:30"))  # Friday 09:30 Berlin
    assert reminders(okr, "U0BOB") == [] and reminders(okr, "U0ALICE") == []


def test_reminder_time_rules():
    berlin = zone("Europe/Berlin")
    assert reminder_at(at("2026-11-27T09:00"), berlin) == at("2026-11-30T08:00")  # Friday -> Monday 09:00
    assert reminder_at(at("2026-11-24T09:00"), berlin) == at("2026-11-25T08:00")  # Tuesday -> Wednesday
    assert reminder_at(at("2026-11-28T23:30"), berlin) == at("2026-11-30T08:00")  # Sunday 00:30 local -> Monday
    assert is_working_time(berlin, now=at("2026-11-30T08:00"))
    assert not is_working_time(berlin, now=at("2026-11-30T17:00"))  # 18:00
    assert not is_working_time(berlin, now=at("2026-11-28T10:00"))  # Saturday
    assert QUIET_BEFORE_NEXT == timedelta(hours=12)
