"""The weekly prompt job end to end: real ticks against the fake Slack Web API and a real database."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.slack import ids
from bot.jobs.tick import run_tick
from bot.slack.client import make_client
from storage.models import Delivery, KeyResult, Objective, Prompt, PromptItem, Team
from storage.people import find_person


WEEK = "2026-11-27@10:00"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def dm_count(okr, user):
    return len(okr.fake.dms_to(user))


def prompt_count(okr, user):
    return sum(m["text"].startswith("Time for your weekly OKR check-in") for m in okr.fake.dms_to(user))


def prompt_calls(okr):
    """The Slack calls of the prompt job: everything but the weekly digest posted to Growth's channel."""
    return [c for c in okr.fake.calls if c.params.get("channel") != "C0GROWTH"]


@pytest.fixture
def settled(okr):
    """The Growth OKRs as they are mid-week: last week's prompts sent (import prompts the current week at once)."""
    okr.tick(at("2026-11-26T12:00"))
    assert dm_count(okr, "U0ALICE") == 1 and dm_count(okr, "U0BOB") == 1
    okr.fake.reset_calls()
    okr.fake.clear_messages()
    return okr


def test_import_mid_week_prompts_the_current_week_at_once(okr):
    okr.tick(at("2026-11-26T12:00"))
    with okr.session() as s:
        keys = {p.user_id: p.week_key for p in s.exec(select(Prompt))}
    assert keys == {"U0ALICE": "2026-11-20@10:00", "U0BOB": "2026-11-20@10:00"}


def test_owners_are_prompted_at_their_own_local_ten_oclock(settled):
    okr = settled
    # Friday 2026-11-27: Berlin is UTC+1 (10:00 = 09:00Z), New York UTC-5 (10:00 = 15:00Z).
    okr.tick(at("2026-11-27T08:59"))
    assert dm_count(okr, "U0BOB") == 0 and dm_count(okr, "U0ALICE") == 0
    okr.tick(at("2026-11-27T09:00"))
    assert dm_count(okr, "U0BOB") == 1 and dm_count(okr, "U0ALICE") == 0
    okr.tick(at("2026-11-27T14:59"))
    assert dm_count(okr, "U0ALICE") == 0
    okr.tick(at("2026-11-27T15:00"))
    assert dm_count(okr, "U0ALICE") == 1 and dm_count(okr, "U0BOB") == 1
    assert dm_count(okr, "U0LEAD") == 0  # leads own no KR here: no prompt


def test_one_prompt_lists_all_of_an_owners_key_results(settled):
    okr = settled
    okr.tick(at("2026-11-27T15:00"))
    (message,) = okr.fake.dms_to("U0ALICE")
    text = str(message["blocks"])
    assert "Increase Day-7 activation rate from 22% to 35%" in text
    assert "Reach 40% weekly active usage of analytics" in text
    assert "No check-in yet" in text
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [ids.OPEN_CHECKIN, ids.SKIP_WEEK]
    with okr.session() as s:
        prompt = s.exec(select(Prompt).where(Prompt.user_id == "U0ALICE", Prompt.week_key == "2026-11-27@10:00")).one()
        items = s.exec(select(PromptItem).where(PromptItem.prompt_id == prompt.id)).all()
    assert len(items) == 2
    assert prompt.week_key == "2026-11-27@10:00"
    assert prompt.due_at == at("2026-11-27T15:00")
    sent = delivery_of(okr, prompt)
    assert sent.sent_at == at("2026-11-27T15:00") and sent.ts == message["ts"] and sent.kind == "prompt"


def test_repeated_ticks_never_send_twice_in_a_week(settled):
    okr = settled
    for minute in range(0, 180, 20):
        okr.tick(at("2026-11-27T15:00") + timedelta(minutes=minute))
    okr.tick(at("2026-11-27T15:00"))  # the same instant again, as a restart might do
    okr.tick(at("2026-12-03T23:59"))  # the last minute of the week
    assert dm_count(okr, "U0ALICE") == 1
    assert dm_count(okr, "U0BOB") == 1
    okr.tick(at("2026-12-04T15:00"))  # next Friday: a new week
    assert dm_count(okr, "U0ALICE") == 2


def test_catch_up_after_downtime_sends_late_within_the_week(okr):
    # Down all Friday; back on Sunday: the prompt goes out late, once.
    okr.tick(at("2026-11-29T12:00"))
    assert dm_count(okr, "U0ALICE") == 1 and dm_count(okr, "U0BOB") == 1
    with okr.session() as s:
        prompt = s.exec(select(Prompt).where(Prompt.user_id == "U0BOB")).one()
    assert prompt.due_at == at("2026-11-27T09:00")
    assert delivery_of(okr, prompt).sent_at == at("2026-11-29T12:00")


def test_weeks_that_are_over_are_never_prompted(okr):
    # Down for three weeks: only the current week's prompt is sent, not a backlog.
    okr.tick(at("2026-11-06T09:30"))
    okr.tick(at("2026-11-29T12:00"))
    assert dm_count(okr, "U0BOB") == 2
    with okr.session() as s:
        keys = sorted(p.week_key for p in s.exec(select(Prompt).where(Prompt.user_id == "U0BOB")))
    assert keys == ["2026-11-06@10:00", "2026-11-27@10:00"]


def test_no_prompt_outside_the_cycle(okr):
    okr.tick(at("2026-09-25T12:00"))  # before 2026-Q4 starts
    okr.tick(at("2027-01-08T12:00"))  # after it ends
    # The only message after the end is the lead's request to grade the cycle (tests/bot/jobs/test_grading.py).
    sent = [c.params["text"] for c in okr.fake.calls_to("chat.postMessage")]
    assert sent == ["Time to grade 2026-Q4 for Growth"]


def delivery_of(okr, prompt):
    with okr.session() as s:
        return s.exec(select(Delivery).where(Delivery.key == f"prompt:{prompt.id}")).one()


def week_keys(okr, user):
    with okr.session() as s:
        return {p.week_key for p in s.exec(select(Prompt).where(Prompt.user_id == user))}


def test_dst_change_keeps_local_ten_oclock(okr):
    # Berlin leaves summer time on 2026-10-25: 10:00 is 08:00Z before and 09:00Z after.
    okr.tick(at("2026-10-23T07:59"))
    assert "2026-10-23@10:00" not in week_keys(okr, "U0BOB")
    okr.tick(at("2026-10-23T08:00"))
    assert "2026-10-23@10:00" in week_keys(okr, "U0BOB")
    okr.tick(at("2026-10-30T08:30"))
    assert "2026-10-30@10:00" not in week_keys(okr, "U0BOB")
    okr.tick(at("2026-10-30T09:00"))
    assert "2026-10-30@10:00" in week_keys(okr, "U0BOB")
    # New York leaves summer time on 2026-11-01: 10:00 is 14:00Z on Oct 30 and 15:00Z on Nov 6.
    okr.tick(at("2026-10-30T13:59"))
    assert "2026-10-30@10:00" not in week_keys(okr, "U0ALICE")
    okr.tick(at("2026-10-30T14:00"))
    assert "2026-10-30@10:00" in week_keys(okr, "U0ALICE")
    okr.tick(at("2026-11-06T14:30"))
    assert "2026-11-06@10:00" not in week_keys(okr, "U0ALICE")
    okr.tick(at("2026-11-06T15:00"))
    assert "2026-11-06@10:00" in week_keys(okr, "U0ALICE")
    # Exactly one prompt DM per prompted week (the third missed week also brings a nudge, which is no prompt).
    assert prompt_count(okr, "U0ALICE") == len(week_keys(okr, "U0ALICE"))
    assert prompt_count(okr, "U0BOB") == len(week_keys(okr, "U0BOB"))


def test_first_prompt_learns_the_zone_and_the_dm_channel(okr):
    okr.tick(at("2026-11-26T12:00"))
    methods = sorted(c.method for c in prompt_calls(okr))
    # Posting to the user id opens the DM; its channel id comes back in the answer and is kept.
    assert methods == ["chat.postMessage"] * 2 + ["users.info"] * 2


def test_steady_state_prompt_costs_one_slack_call(settled):
    okr = settled
    okr.tick(at("2026-11-27T09:00"))
    assert [c.method for c in prompt_calls(okr)] == ["chat.postMessage"]
    okr.tick(at("2026-11-27T15:00"))
    okr.fake.reset_calls()
    okr.tick(at("2026-12-04T09:00"))
    # A week on, zones are refreshed by one users.list page for everyone, not a users.info each.
    assert sorted(c.method for c in prompt_calls(okr)) == ["chat.postMessage", "users.list"]
    okr.fake.reset_calls()
    okr.tick(at("2026-12-04T15:00"))
    assert [c.method for c in prompt_calls(okr)] == ["chat.postMessage"]


def test_zone_falls_back_to_the_team_zone_when_slack_cannot_tell(okr):
    okr.fake.fail_next("users.info", status=200, error="user_not_found", count=10)
    okr.tick(at("2026-11-27T10:00"))  # Growth's zone is Europe/London: 10:00 = 10:00Z in November
    assert dm_count(okr, "U0ALICE") == 1 and dm_count(okr, "U0BOB") == 1


def test_failed_send_is_retried_on_the_next_tick(settled):
    okr = settled
    okr.fake.fail_next("chat.postMessage", status=200, error="internal_error")
    okr.tick(at("2026-11-27T09:00"))
    assert dm_count(okr, "U0BOB") == 0
    with okr.session() as s:
        prompt = s.exec(select(Prompt).where(Prompt.user_id == "U0BOB", Prompt.week_key == WEEK)).one()
    failed = delivery_of(okr, prompt)
    assert failed.sent_at is None and failed.claimed_at is None and failed.last_error == "internal_error"
    okr.tick(at("2026-11-27T09:01"))
    assert dm_count(okr, "U0BOB") == 1
    with okr.session() as s:
        prompt = s.exec(select(Prompt).where(Prompt.user_id == "U0BOB", Prompt.week_key == WEEK)).one()
    sent = delivery_of(okr, prompt)
    assert sent.attempts == 2 and sent.last_error is None and sent.sent_at == at("2026-11-27T09:01")


def test_rate_limited_send_honours_retry_after(settled):
    okr = settled
    okr.fake.fail_next("chat.postMessage", status=429, retry_after=0)
    okr.tick(at("2026-11-27T09:00"))
    assert dm_count(okr, "U0BOB") == 1
    assert [c.status for c in okr.fake.calls_to("chat.postMessage")] == [429, 200]


def test_stale_claim_of_a_dead_process_is_taken_over(settled):
    okr = settled
    with okr.session() as s:
        prompt = Prompt(user_id="U0BOB", week_key=WEEK, due_at=at("2026-11-27T09:00"))
        s.add(prompt)
        s.flush()
        s.add(Delivery(key=f"prompt:{prompt.id}", kind="prompt", claimed_at=at("2026-11-27T09:00"), attempts=1))
    okr.tick(at("2026-11-27T09:02"))  # the claim is fresh: its owner may still be sending
    assert dm_count(okr, "U0BOB") == 0
    okr.tick(at("2026-11-27T09:06"))  # the lease has run out: the process is presumed dead
    assert dm_count(okr, "U0BOB") == 1


def test_concurrent_ticks_send_each_prompt_once(settled):
    okr = settled
    clients = [make_client("xoxb-test-token", okr.fake.url) for _ in range(4)]
    now = at("2026-11-27T15:00")
    barrier = threading.Barrier(len(clients))
    errors = []

    def worker(client):
        try:
            barrier.wait()
            run_tick(now=now, engine=okr.engine, client=client)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert dm_count(okr, "U0ALICE") == 1 and dm_count(okr, "U0BOB") == 1


def test_user_zone_is_cached_and_refreshed_after_a_week(okr):
    okr.tick(at("2026-11-27T09:00"))
    with okr.session() as s:
        bob = find_person("U0BOB", session=s)
    assert bob.tz == "Europe/Berlin" and bob.dm_channel
    okr.fake.set_user_tz("U0BOB", "Asia/Tokyo")
    okr.tick(at("2026-12-10T12:00"))  # more than a week later: refreshed
    with okr.session() as s:
        assert find_person("U0BOB", session=s).tz == "Asia/Tokyo"


def test_moving_the_checkin_slot_mid_week_does_not_prompt_twice(settled):
    okr = settled
    okr.tick(at("2026-11-27T15:00"))  # Friday 10:00 in New York: Alice is prompted
    assert dm_count(okr, "U0ALICE") == 1
    with okr.session() as s:
        team = s.exec(select(Team)).one()
        team.checkin_day = 3  # a lead moves check-ins to Thursday 09:00 on Friday afternoon
        team.checkin_time = "09:00"
        s.add(team)
    okr.tick(at("2026-11-27T16:00"))  # Thursday 09:00 has passed this week: no second prompt
    assert dm_count(okr, "U0ALICE") == 1
    okr.tick(at("2026-12-03T14:00"))  # next Thursday 09:00 New York: the new schedule takes over
    assert dm_count(okr, "U0ALICE") == 2
    assert "2026-12-03@09:00" in week_keys(okr, "U0ALICE")


def test_an_owner_in_two_teams_with_different_slots_gets_both_prompts(settled):
    okr = settled
    with okr.session() as s:
        growth = s.exec(select(Team)).one()
        other = Team(name="Platform", channel="C0PLAT", checkin_day=2, checkin_time="10:00")
        s.add(other)
        s.flush()
        objective = Objective(team_id=other.id, cycle_id=s.exec(select(Objective)).first().cycle_id, key="p",
                              title="Keep the platform boring")
        s.add(objective)
        s.flush()
        s.add(KeyResult(objective_id=objective.id, key="k", title="Cut p95 latency from 800 ms to 300 ms",
                        owner_id="U0ALICE", baseline=800, target=300, unit="ms"))
        assert growth.checkin_day == 4
    okr.tick(at("2026-12-02T15:00"))  # Wednesday 10:00 New York: the Platform slot
    okr.tick(at("2026-12-04T15:00"))  # Friday 10:00 New York: the Growth slot
    assert {"2026-12-02@10:00", "2026-12-04@10:00"} <= week_keys(okr, "U0ALICE")
