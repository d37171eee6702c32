"""Away weeks end to end: signed /okr away and /okr back, Slack statuses from users.info and user_change, real ticks."""

from datetime import UTC, datetime

from sqlmodel import select

from bot.reports.weeks import kr_weeks
from storage.models import Absence
from storage.people import find_person
from tests.flows import NUDGE, PROMPT, REMINDER, at, dms, kr_ids, lead_nudges, prompt_of

# Fridays Bob (Berlin, UTC+1) is prompted on, at 10:00 local = 09:00Z.
FRIDAYS = ("2026-11-27", "2026-12-04", "2026-12-11", "2026-12-18")


def say(okr, user, text, when):
    okr.clock.set(when)
    resp = okr.slack.command(user, text)
    assert resp.status == 200, resp.body
    return resp.json()["text"]


def bob_prompts(okr):
    return len(dms(okr, "U0BOB", PROMPT))


def bob_week(okr, friday):
    return prompt_of(okr, "U0BOB", f"{friday}@10:00")


def status_event(okr, user, text="", emoji="", expiration=0):
    """Slack's user_change event after the user set their status (the fake's profile says the same)."""
    okr.fake.set_user_status(user, text, emoji, expiration)
    profile = {"status_text": text, "status_emoji": emoji, "status_expiration": expiration}
    resp = okr.slack.event({"type": "user_change", "user": {"id": user, "tz": "Europe/Berlin", "profile": profile}})
    assert resp.status == 200


def test_away_until_a_date_skips_those_weeks_unprompted(okr):
    okr.tick(at("2026-11-26T12:00"))
    okr.tick(at("2026-11-27T10:00"))
    assert bob_prompts(okr) == 2  # last week's at the first tick, then this Friday's
    answer = say(okr, "U0BOB", "away until 2026-12-08", at("2026-12-02T10:00"))
    assert answer.startswith("You are away from today until Tuesday 2026-12-08 (included)")
    # The week already prompted is skipped too: no reminder on Monday, not missed.
    assert bob_week(okr, "2026-11-27").away == "away"
    okr.tick(at("2026-12-04T09:00"))
    okr.tick(at("2026-12-07T09:00"))  # Monday: the digest, and when reminders would go
    assert bob_prompts(okr) == 2 and dms(okr, "U0BOB", REMINDER) == []
    week = bob_week(okr, "2026-12-04")
    assert week.away == "away" and week.skipped_at == at("2026-12-04T09:00")
    (digest,) = [m for m in okr.fake.messages("C0GROWTH") if "2026-12-07" in str(m) or "Dec 7" in str(m)]
    assert "this week:* @alice missing, @bob away" in okr.fake.render(digest)
    okr.tick(at("2026-12-11T09:00"))  # back after the Tuesday: prompted as usual
    assert bob_prompts(okr) == 3
    with okr.session() as s:
        (absence,) = s.exec(select(Absence)).all()
    assert (absence.user_id, absence.start.isoformat(), absence.until.isoformat(), absence.set_by) == (
        "U0BOB", "2026-12-02", "2026-12-08", "U0BOB")


def test_back_ends_the_absence_and_this_weeks_prompt_comes_after_all(okr):
    okr.tick(at("2026-11-26T12:00"))
    say(okr, "U0BOB", "away", at("2026-11-26T12:00"))
    okr.tick(at("2026-11-27T09:00"))
    okr.tick(at("2026-12-04T09:00"))
    assert bob_prompts(okr) == 1 and bob_week(okr, "2026-12-04").away == "away"
    assert say(okr, "U0BOB", "back", at("2026-12-04T12:00")) == (
        "Welcome back: the weekly check-in prompts resume. This week's check-in prompt is on its way.")
    okr.tick(at("2026-12-04T12:01"))
    assert bob_prompts(okr) == 2
    week = bob_week(okr, "2026-12-04")
    assert week.away is None and week.skipped_at is None
    with okr.session() as s:
        (absence,) = s.exec(select(Absence)).all()
    assert absence.until.isoformat() == "2026-12-03"
    assert say(okr, "U0BOB", "back", at("2026-12-04T12:02")) == "Nothing to do: okrbot had not marked you away."


def test_leads_mark_their_team_members_away_and_others_cannot(okr):
    okr.tick(at("2026-11-26T12:00"))
    refused = say(okr, "U0ALICE", "away <@U0BOB|bob> until 2026-12-08", at("2026-11-26T12:00"))
    assert refused.startswith("You can only mark someone away in a team you lead")
    done = say(okr, "U0LEAD", "away <@U0BOB|bob> until 2026-12-08", at("2026-11-26T12:00"))
    assert done.startswith("<@U0BOB> is away from today until Tuesday 2026-12-08")
    assert "2026-11-20 has passed" not in say(okr, "U0LEAD", "away <@U0BOB|bob> until 2026-12-09",
                                              at("2026-11-26T12:00"))
    assert "has passed" in say(okr, "U0BOB", "away until 2026-11-20", at("2026-11-26T12:00"))
    assert "is not a date" in say(okr, "U0BOB", "away until tomorrow", at("2026-11-26T12:00"))
    assert "<@U0BOB> is back" in say(okr, "U0LEAD", "back <@U0BOB|bob>", at("2026-11-26T12:00"))


def test_a_palm_tree_status_until_next_tuesday_is_an_away_week_never_missed(okr):
    # Bob misses two weeks, is away by his Slack status for the third, and misses the fourth: never three in a row.
    for friday in FRIDAYS[:2]:
        okr.tick(at(f"{friday}T09:00"))
    tuesday = int(datetime(2026, 12, 15, 23, 0, tzinfo=UTC).timestamp())
    status_event(okr, "U0BOB", "Back on the 15th", ":palm_tree:", tuesday)
    okr.tick(at(f"{FRIDAYS[2]}T09:00"))
    assert bob_prompts(okr) == 2  # Nov 27 and Dec 4; none on Dec 11
    assert bob_week(okr, FRIDAYS[2]).away == "status"
    okr.tick(at("2026-12-14T09:00"))  # Monday: the digest says why
    digest = okr.fake.render(okr.fake.messages("C0GROWTH")[-1])
    assert "@bob away (Slack status)" in digest
    answer = okr.slack.command("U0LEAD", "status Growth").json()
    assert "<@U0BOB> away (Slack status)" in str(answer["blocks"])
    okr.tick(at(f"{FRIDAYS[3]}T09:00"))  # the status has expired: prompted again
    assert bob_prompts(okr) == 3
    assert dms(okr, "U0BOB", NUDGE) == []
    # Alice missed all four weeks: she and her lead hear of it, which shows the nudge was due for everyone else.
    assert len(dms(okr, "U0ALICE", NUDGE)) == 1
    assert [m["text"].split(">")[0] for m in lead_nudges(okr)] == ["<@U0ALICE"]
    with okr.session() as s:
        (weeks,) = [w for k, w in kr_weeks([kr_ids(okr)["ttfv"]], session=s, now=at("2026-12-18T12:00")).items()]
    # Nov 27 and Dec 4 missed; the away week neither counts nor breaks the streak (missed, it would nudge now).
    assert weeks.missed_streak == 2 and len(weeks.weeks) == 4


def test_the_owner_can_still_check_in_in_an_away_week(okr):
    from tests.flows import check_in

    status_event(okr, "U0BOB", "", ":face_with_thermometer:")
    okr.tick(at("2026-11-27T09:00"))
    assert bob_week(okr, "2026-11-27").away == "status"
    check_in(okr, "U0BOB", at("2026-11-27T11:00"), {"ttfv": ("12", "green", "")})
    with okr.session() as s:
        (weeks,) = kr_weeks([kr_ids(okr)["ttfv"]], session=s, now=at("2026-11-27T12:00")).values()
    assert weeks.current.checked_in


def test_a_status_without_expiry_is_read_each_week_afresh(okr):
    okr.fake.set_user_status("U0BOB", "OOO", "")  # no expiry; users.info tells okrbot at the first tick
    okr.tick(at("2026-11-26T12:00"))
    okr.tick(at("2026-11-27T09:00"))
    assert bob_prompts(okr) == 0 and bob_week(okr, "2026-11-27").away == "status"
    okr.fake.set_user_status("U0BOB")  # cleared in Slack, and okrbot missed the user_change event
    okr.fake.reset_calls()
    okr.tick(at("2026-12-04T09:00"))
    assert [c.params["user"] for c in okr.fake.calls_to("users.info")] == ["U0BOB"]
    assert bob_prompts(okr) == 1
    with okr.session() as s:
        assert find_person("U0BOB", session=s).status_text == ""
    okr.fake.reset_calls()
    okr.tick(at("2026-12-11T09:00"))  # someone at work costs no extra call
    assert okr.fake.calls_to("users.info") == [] and bob_prompts(okr) == 2


def test_a_status_that_ends_before_the_slot_does_not_make_the_week_away(okr):
    okr.tick(at("2026-11-26T12:00"))
    thursday_night = int(datetime(2026, 11, 26, 23, 0, tzinfo=UTC).timestamp())
    status_event(okr, "U0BOB", "On vacation", ":airplane:", thursday_night)
    okr.tick(at("2026-11-27T09:00"))
    assert bob_prompts(okr) == 2 and bob_week(okr, "2026-11-27").away is None
    status_event(okr, "U0BOB", "In meetings all day", ":calendar:")
    okr.tick(at("2026-12-04T09:00"))
    assert bob_prompts(okr) == 3
