"""Participation end to end: real ticks and check-ins through the modal, then signed /okr participation, /okr status
and the digest preview, on SQLite and PostgreSQL."""

from datetime import UTC, datetime

from tests.flows import REMINDER, at, check_in, dms


def answer(okr, user, text, when):
    okr.clock.set(when)
    resp = okr.slack.command(user, text)
    assert resp.status == 200, resp.body
    return resp.json()


def rows_of(okr, when):
    """The person rows of /okr participation Growth, rendered as people read them."""
    blocks = answer(okr, "U0EVE", "participation Growth", when)["blocks"]
    return okr.fake.render({"blocks": blocks})


ALICE = {"d7-activation": ("25%", "green", ""), "wau": ("12", "green", "")}
BOB = {"ttfv": ("13", "green", "")}


def three_weeks(okr):
    """Alice: on time, late (after Monday's reminder), not yet. Bob: missed, away (Slack status), on time."""
    okr.tick(at("2026-10-02T16:00"))
    check_in(okr, "U0ALICE", at("2026-10-02T17:00"), ALICE)
    okr.tick(at("2026-10-05T14:00"))  # Monday: Bob's reminder; Alice has checked in
    okr.fake.set_user_status("U0BOB", "Hiking", ":palm_tree:", int(datetime(2026, 10, 13, tzinfo=UTC).timestamp()))
    okr.slack.event({"type": "user_change", "user": {"id": "U0BOB", "tz": "Europe/Berlin", "profile": {
        "status_text": "Hiking", "status_emoji": ":palm_tree:",
        "status_expiration": int(datetime(2026, 10, 13, tzinfo=UTC).timestamp())}}})
    okr.tick(at("2026-10-09T16:00"))
    okr.tick(at("2026-10-12T14:00"))  # Monday 10:00 in New York: Alice's reminder
    assert len(dms(okr, "U0ALICE", REMINDER)) == 1 and len(dms(okr, "U0BOB", REMINDER)) == 1
    check_in(okr, "U0ALICE", at("2026-10-12T15:00"), ALICE)
    okr.tick(at("2026-10-16T16:00"))
    check_in(okr, "U0BOB", at("2026-10-16T17:00"), BOB)


def test_participation_rows_counts_and_the_team_rate_per_week(okr):
    three_weeks(okr)
    text = rows_of(okr, at("2026-10-16T18:00"))
    assert "Check-ins · Growth · 2026-Q4" in text
    assert "This cycle: 75% of the weeks asked were answered" in text
    assert "@alice `✓ ◐ ·` · 1 on time, 1 late · 100%" in text
    assert "@bob `✗ – ✓` · 1 on time, 1 away, 1 missed · 50%" in text
    assert "*Team, per week:* 10/02 50% · 10/09 100% (1 away or skipped) · 10/16 50%" in text


def test_a_late_check_in_updates_every_later_view(okr):
    three_weeks(okr)
    status = str(answer(okr, "U0LEAD", "status Growth", at("2026-10-16T18:00"))["blocks"])
    assert "*Check-ins this cycle:* 75% · *this week:* <@U0ALICE> missing, <@U0BOB> on time" in status
    okr.tick(at("2026-10-19T14:00"))  # Alice's reminder for the third week
    check_in(okr, "U0ALICE", at("2026-10-19T15:00"), ALICE)
    status = str(answer(okr, "U0LEAD", "status Growth", at("2026-10-19T16:00"))["blocks"])
    assert "*Check-ins this cycle:* 80% · *this week:* <@U0ALICE> late, <@U0BOB> on time" in status
    assert "@alice `✓ ◐ ◐` · 1 on time, 2 late · 100%" in rows_of(okr, at("2026-10-19T16:00"))
    preview = okr.fake.render({"blocks": answer(okr, "U0LEAD", "digest Growth preview",
                                                at("2026-10-19T16:00"))["blocks"]})
    assert "Everyone prompted has checked in this week." in preview
    assert "*this week:* @alice late, @bob on time" in preview


def test_participation_answers_for_the_callers_team_or_says_why_not(okr):
    three_weeks(okr)
    assert "Check-ins · Growth" in okr.fake.render(
        {"blocks": answer(okr, "U0BOB", "participation", at("2026-10-16T18:00"))["blocks"]})
    assert "There is no team called “Nope”" in answer(okr, "U0BOB", "participation Nope",
                                                      at("2026-10-16T18:00"))["text"]
    assert "no key results in a running cycle" in answer(okr, "U0BOB", "participation Growth",
                                                         at("2027-02-01T12:00"))["text"]
