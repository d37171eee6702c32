"""The weekly digest: real ticks, real check-ins through the modal, the fake Slack, both databases."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.slack import ids
from bot.views.digest import digest_message, digest_messages
from bot.views.kit import MESSAGE_TEXT_CHARS, block_text
from bot.jobs.digests import send_due_digests
from bot.reports.digest import team_digest
from storage import keys
from bot.jobs.tick import run_tick
from bot.slack.client import make_client
from storage.db import count_statements, session_scope
from storage.models import Delivery, KeyResult, Team
from tests.status_helpers import (
    add_team,
    add_weeks,
    assert_within_limits,
    check_in,
    cycle,
    kr_ids,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def digests(okr):
    return okr.fake.messages("C0GROWTH")


def growth_id(okr):
    with okr.session() as s:
        return s.exec(select(Team).where(Team.name == "Growth")).one().id


@pytest.fixture
def settled(okr):
    """Growth mid-week: the digest of the week that began Monday Nov 23 was posted (late, at the first tick)."""
    okr.tick(at("2026-11-26T12:00"))
    assert len(digests(okr)) == 1
    okr.fake.clear_messages()
    okr.fake.reset_calls()
    return okr


@pytest.fixture
def four_weeks(okr):
    """Prompts on four Fridays (Nov 6 - 27). Alice checks in every week (wau turns red in the last); Bob never does."""
    k = kr_ids(okr)
    for n, day in enumerate(("06", "13", "20", "27")):
        okr.tick(at(f"2026-11-{day}T16:00"))
        wau = ("15%", "green", "") if n < 3 else ("15%", "red", "Analytics launch slipped a month")
        check_in(okr, "U0ALICE", at(f"2026-11-{day}T17:00"), {k["d7-activation"]: (f"{24 + 2 * n}%", "green", ""),
                                                             k["wau"]: wau})
    okr.fake.clear_messages()
    okr.fake.reset_calls()
    return okr


def test_digest_is_posted_at_the_teams_local_time_to_its_channel(settled):
    okr = settled
    # Growth is Europe/London: Monday 09:00 is 09:00Z in November.
    okr.tick(at("2026-11-30T08:59"))
    assert digests(okr) == []
    okr.tick(at("2026-11-30T09:00"))
    (message,) = digests(okr)
    assert message["blocks"][0]["text"]["text"] == "Weekly OKR digest · Growth"
    assert_within_limits(message["blocks"])
    with okr.session() as s:
        sent = s.exec(select(Delivery).where(Delivery.key == keys.digest(growth_id(okr), at("2026-11-30").date()))).one()
    assert sent.kind == "digest" and sent.sent_at == at("2026-11-30T09:00") and sent.ts == message["ts"]
    assert sent.channel == "C0GROWTH"


def test_digest_follows_the_teams_zone_across_summer_time(okr):
    # Monday Oct 19 2026 is still British Summer Time: 09:00 local is 08:00Z.
    okr.tick(at("2026-10-14T12:00"))
    okr.fake.clear_messages()
    okr.tick(at("2026-10-19T07:59"))
    assert digests(okr) == []
    okr.tick(at("2026-10-19T08:00"))
    assert len(digests(okr)) == 1


def test_repeated_ticks_post_once_a_week(settled):
    okr = settled
    for minute in (0, 0, 1, 30, 60 * 24, 60 * 24 * 6 + 60 * 14 + 59):  # ... up to Sunday Dec 6, 23:59
        okr.tick(at("2026-11-30T09:00") + timedelta(minutes=minute))
    assert len(digests(okr)) == 1
    okr.tick(at("2026-12-07T09:00"))  # the next Monday: a new week
    assert len(digests(okr)) == 2


def test_concurrent_ticks_post_once(settled):
    okr = settled
    clients = [make_client("xoxb-test-token", okr.fake.url) for _ in range(4)]
    barrier = threading.Barrier(len(clients))
    errors = []

    def worker(client):
        try:
            barrier.wait()
            run_tick(now=at("2026-11-30T09:00"), engine=okr.engine, client=client)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(digests(okr)) == 1
    assert len([c for c in okr.fake.calls_to("chat.postMessage") if c.params["channel"] == "C0GROWTH"]) == 1


def test_downtime_posts_late_within_the_week_and_never_for_a_week_that_is_over(settled):
    okr = settled
    okr.tick(at("2026-12-03T12:00"))  # down from before Monday 09:00 until Thursday: late, once
    assert len(digests(okr)) == 1
    with okr.session() as s:
        keys = sorted(d.key for d in s.exec(select(Delivery).where(Delivery.kind == "digest")))
    okr.fake.clear_messages()
    okr.tick(at("2026-12-21T10:00"))  # down for two whole weeks: only the current week's digest
    assert len(digests(okr)) == 1
    with okr.session() as s:
        later = sorted(d.key for d in s.exec(select(Delivery).where(Delivery.kind == "digest")))
    team = growth_id(okr)
    assert later == sorted([*keys, f"digest:{team}:2026-12-21"])
    assert f"digest:{team}:2026-11-30" in keys and f"digest:{team}:2026-12-14" not in later


def test_no_digest_outside_the_cycle(okr):
    okr.tick(at("2026-09-28T09:00"))  # the Monday before 2026-Q4 starts
    okr.tick(at("2027-01-04T09:00"))  # the Monday after it ends
    assert digests(okr) == []


def test_a_post_to_an_archived_channel_is_held_and_tried_again_an_hour_later(settled):
    okr = settled
    okr.fake.add_channel("C0GROWTH", name="growth", is_archived=True)
    okr.tick(at("2026-11-30T09:00"))
    with okr.session() as s:
        key = keys.digest(growth_id(okr), at("2026-11-30").date())
        failed = s.exec(select(Delivery).where(Delivery.key == key)).one()
    assert failed.sent_at is None and failed.claimed_at is None and failed.last_error == "is_archived"
    assert failed.next_try_at == at("2026-11-30T10:00")
    # Someone unarchives it without okrbot hearing of it: the minute-ticks leave it alone, the hourly try sends it.
    okr.fake.add_channel("C0GROWTH", name="growth")
    okr.fake.reset_calls()
    okr.tick(at("2026-11-30T09:01"))
    okr.tick(at("2026-11-30T09:59"))
    assert digests(okr) == [] and [c for c in okr.fake.calls if c.params.get("channel") == "C0GROWTH"] == []
    okr.tick(at("2026-11-30T10:00"))
    okr.tick(at("2026-11-30T10:01"))
    assert len(digests(okr)) == 1


def test_digest_says_who_has_not_checked_in_and_who_missed_three_weeks(four_weeks):
    okr = four_weeks
    okr.tick(at("2026-11-30T09:00"))
    (message,) = digests(okr)
    assert_within_limits(message["blocks"])
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    text = "\n".join(sections)
    # Every objective and KR, with value, confidence, score and pace.
    assert "Make self-serve onboarding effortless" in text
    assert "*Increase Day-7 activation rate from 22% to 35%* · 30% of 35% · :large_green_circle: · score 0.62" in text
    assert "*Reach 40% weekly active usage of analytics* · 15% of 40% · :red_circle: · score 0.17" in text
    assert "no check-in yet (target 7 days)" in text
    # Bob was prompted on four Fridays and never answered: not checked in this week, three ended weeks missed.
    (late,) = [s for s in sections if s.startswith("*Not checked in this week:*")]
    assert late == "*Not checked in this week:* <@U0BOB>"
    (missed,) = [s for s in sections if s.startswith("*Three or more missed weeks in a row:*")]
    assert "*Reduce median time-to-first-value from 14 days to 7 days* · <@U0BOB> · 3 weeks missed" in missed
    assert "U0ALICE" not in missed
    # What changed since last week: wau went from green to red; activation moved 28% -> 30%.
    (changes,) = [s for s in sections if s.startswith("*What changed since last week*")]
    assert ":large_green_circle: → :red_circle: *Reach 40% weekly active usage of analytics* · <@U0ALICE>" in changes
    assert "+0.15 *Increase Day-7 activation rate from 22% to 35%* (0.46 → 0.62)" in changes
    # The button opens the full status for whoever clicks it.
    (button,) = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == ids.OPEN_STATUS and button["value"] == f"team:{growth_id(okr)}"
    resp = okr.slack.click("U0EVE", ids.OPEN_STATUS, button["value"])
    assert resp.status == 200
    assert okr.fake.calls_to("views.open")[-1].params["view"]["callback_id"] == ids.STATUS_VIEW


def test_an_owner_who_checks_in_leaves_the_list(four_weeks):
    okr = four_weeks
    check_in(okr, "U0BOB", at("2026-11-29T10:00"), {kr_ids(okr)["ttfv"]: ("12 days", "amber", "Hiring help")})
    okr.tick(at("2026-11-30T09:00"))
    (message,) = digests(okr)
    text = str(message["blocks"])
    assert "Everyone prompted has checked in this week." in text
    # The ended weeks stay missed: the check-in counts for the open week only.
    assert "3 weeks missed" in text


# --- /okr digest preview ---------------------------------------------------------------------------------------


def command(okr, user, text):
    okr.clock.set(at("2026-11-30T12:00"))
    resp = okr.slack.command(user, text)
    assert resp.status == 200
    body = resp.json()
    assert body["response_type"] == "ephemeral"
    return body


def test_preview_shows_the_digest_to_the_caller_without_posting_it(four_weeks):
    okr = four_weeks
    for user, text in (("U0LEAD", "digest preview"), ("U0EVE", "digest growth preview"),
                       ("U0ALICE", "digest Growth PREVIEW")):
        body = command(okr, user, text)
        assert_within_limits(body["blocks"])
        shown = str(body["blocks"])
        assert "Weekly OKR digest · Growth" in shown and "Preview: only you can see this" in shown
        assert "Mondays at 09:00 (Europe/London)" in shown and "<#C0GROWTH>" in shown
        assert "*Not checked in this week:* <@U0BOB>" in shown
    assert digests(okr) == []
    assert [c for c in okr.fake.calls_to("chat.postMessage") if c.params["channel"] == "C0GROWTH"] == []


def test_digest_without_preview_explains_itself(okr):
    for text in ("digest", "digest Growth", "digest now"):
        body = command(okr, "U0LEAD", text)
        assert "`/okr digest preview`" in body["text"] and "blocks" not in body
    assert digests(okr) == []


def test_help_lists_the_digest_preview(okr):
    assert "• `/okr digest [TEAM] preview`" in okr.slack.command("U0ALICE", "help").json()["text"]


def test_preview_of_an_unknown_team_or_without_a_team(okr):
    assert "There is no team called “Nope”" in command(okr, "U0LEAD", "digest Nope preview")["text"]
    text = command(okr, "U0STRANGER", "digest preview")["text"]
    assert "You are in no team; name one" in text and "Growth" in text


# --- Efficiency and limits on a database of many teams -------------------------------------------------------


DUE = at("2026-11-30T09:00")  # Monday, 09:00 in London


@pytest.fixture
def many_teams(engine, fake_slack):
    """Eight teams of 3 objectives x 4 KRs, each KR with three check-ins and four weeks of prompts."""
    checkins = [(at("2026-11-13T12:00"), 20, "green"), (at("2026-11-20T12:00"), 30, "green"),
                (at("2026-11-27T12:00"), 35, "amber")]
    with session_scope(engine) as s:
        q4 = cycle(s)
        for n in range(8):
            fake_slack.add_channel(f"C0T{n}")
            add_team(s, q4, f"Team {n}", objectives=3, krs=4, owner=f"U{n}O", channel=f"C0T{n}", checkins=checkins)
        ids_by_owner: dict[str, list[int]] = {}
        for kr in s.exec(select(KeyResult)):
            ids_by_owner.setdefault(kr.owner_id, []).append(kr.id)
        for owner, owned in ids_by_owner.items():
            add_weeks(s, owned, owner, at("2026-11-06T10:00"), 4)
    return engine, make_client("xoxb-test-token", fake_slack.url), fake_slack


def test_digest_queries_per_team_stay_at_three_or_fewer(many_teams):
    engine, client, fake = many_teams
    with session_scope(engine) as s, count_statements(engine) as statements:
        report = send_due_digests(now=DUE, session=s, client=client)
    assert sorted(report.sent) == [f"Team {n}" for n in range(8)]
    # Per tick: the teams with live KRs, the sent keys, then one batch read of KRs, check-ins and weeks (one, with
    # their check-ins; the reminders of checked-in weeks would be one more, and these check-ins name no week) and
    # of deactivated owners; per team: the outbox claim and its mark as sent.
    READS = 6
    assert len(statements) == READS + 2 * 8, statements
    assert len(statements) / 8 <= 3
    reads = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    assert len(reads) == READS
    with session_scope(engine) as s, count_statements(engine) as statements:
        again = send_due_digests(now=DUE + timedelta(minutes=1), session=s, client=client)
    assert again.sent == [] and len(statements) == 2  # steady state: nothing due costs two reads per tick
    assert len([m for n in range(8) for m in fake.messages(f"C0T{n}")]) == 8


def test_a_big_team_digest_stays_within_slack_limits(sqlite_engine):
    with session_scope(sqlite_engine) as s:
        team = add_team(s, cycle(s), "Big", objectives=12, krs=5, title_length=190,
                        checkins=[(at("2026-11-20T12:00"), 50, "green"), (at("2026-11-27T12:00"), 10, "red")])
        digest = team_digest(team, session=s, now=DUE)
    parts = digest_messages(digest)
    # 12 objectives of 5 KRs with 190-character titles: 18 blocks and 18,101 characters of text in one message,
    # which Slack refuses (msg_blocks_too_long); split, each part is within every limit.
    assert len(parts) == 2, [block_text(blocks) for _, blocks in parts]
    for text, blocks in parts:
        assert_within_limits(blocks)
        assert block_text(blocks) <= MESSAGE_TEXT_CHARS
    assert parts[0][0] == digest_message(digest)[0] and parts[0][0].startswith("Weekly OKR digest for Big:")
    assert parts[1][0] == "Weekly OKR digest for Big, part 2 of 2."
    assert parts[1][1][0]["elements"][0]["text"] == "Weekly OKR digest · Big · part 2 of 2"
    shown = str([blocks for _, blocks in parts])
    positions = [shown.index(f"Big objective {n} ") for n in range(1, 13)]
    assert positions == sorted(positions)  # every objective, in order across the parts
    assert "more KRs:" in shown
    assert "…and 50 more confidence changes." in shown


@pytest.fixture
def big_team(engine, fake_slack):
    """A team whose digest needs two messages (12 objectives of 5 KRs with long titles), due at DUE."""
    fake_slack.add_channel("C0BIG")
    with session_scope(engine) as s:
        team = add_team(s, cycle(s), "Big", objectives=12, krs=5, title_length=190, channel="C0BIG",
                        checkins=[(at("2026-11-20T12:00"), 50, "green"), (at("2026-11-27T12:00"), 10, "red")])
        team_id = team.id
    return engine, make_client("xoxb-test-token", fake_slack.url, backoff=0.0, jitter=0.0), fake_slack, team_id


def test_a_long_digest_is_posted_as_parts_in_order_each_exactly_once(big_team):
    engine, client, fake, team_id = big_team
    with session_scope(engine) as s:
        send_due_digests(now=DUE, session=s, client=client)
    posted = fake.messages("C0BIG")
    assert [m["text"].split(":")[0] for m in posted] == ["Weekly OKR digest for Big", "Weekly OKR digest for Big, part 2 of 2."]
    assert not fake.violations
    with session_scope(engine) as s:
        rows = s.exec(select(Delivery).order_by(Delivery.id)).all()
        week = rows[-1].key.rsplit(":", 1)[-1]
        assert [r.key for r in rows] == [f"digest:{team_id}:{week}:part1", f"digest:{team_id}:{week}"]
        assert all(r.sent_at is not None for r in rows)
        again = send_due_digests(now=DUE + timedelta(minutes=1), session=s, client=client)
    assert again.sent == [] and len(fake.messages("C0BIG")) == 2


def test_a_restart_between_parts_sends_only_the_parts_not_yet_posted(big_team):
    engine, client, fake, team_id = big_team
    with session_scope(engine) as s:
        send_due_digests(now=DUE, session=s, client=client)
        # As if the process had died after posting part 1: part 2 was never claimed.
        last = s.exec(select(Delivery).where(~Delivery.key.endswith(":part1"))).one()
        s.delete(last)
    fake.clear_messages()
    with session_scope(engine) as s:
        report = send_due_digests(now=DUE + timedelta(minutes=1), session=s, client=client)
    assert report.sent == ["Big"]
    assert [m["text"] for m in fake.messages("C0BIG")] == ["Weekly OKR digest for Big, part 2 of 2."]


def test_a_part_that_fails_holds_back_the_parts_after_it(big_team):
    engine, client, fake, team_id = big_team
    fake.fail_next("chat.postMessage", status=200, error="internal_error")
    with session_scope(engine) as s:
        report = send_due_digests(now=DUE, session=s, client=client)
    assert report.failed == ["Big"] and fake.messages("C0BIG") == []
    with session_scope(engine) as s:
        report = send_due_digests(now=DUE + timedelta(minutes=1), session=s, client=client)
    assert report.sent == ["Big", "Big"]
    assert [m["text"].endswith("part 2 of 2.") for m in fake.messages("C0BIG")] == [False, True]
