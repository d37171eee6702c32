"""Slack's permanent errors, end to end on both databases: a message that needs a person is held for an hour, the
person who can fix it is told once, and fixing it sends the message, once."""

import logging
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.jobs.sending import Message, Sender
from bot.slack.workspaces import may_send
from storage import keys
from storage.models import Delivery, Person, Problem, Team, TeamLead
from storage.people import find_person
from tests.conftest import TOKEN
from tests.flows import wait_for

PROBLEM_TEXT = ("I can't post Growth's digest to <#C0GROWTH>: I'm not in that channel. "
                "Type `/invite @okrbot` there.")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def digests(okr):
    return okr.fake.messages("C0GROWTH")


def problem_dms(okr, user="U0LEAD"):
    """The DMs okrbot sent `user` about problems (told once: the outbox key problem:<id>:<user>)."""
    with okr.session() as s:
        rows = s.exec(select(Delivery).where(Delivery.kind == "problem")).all()
    return [r for r in rows if r.key.endswith(f":{user}") and r.sent_at is not None]


def posts_to(okr, channel):
    return [c for c in okr.fake.calls_to("chat.postMessage") if c.params.get("channel") == channel]


def team_answer(okr, user="U0LEAD"):
    resp = okr.slack.command(user, "team Growth")
    assert resp.status == 200, resp.body
    answer = resp.json()
    return answer["text"] + "\n" + "\n".join(b["text"]["text"] for b in answer["blocks"] if b.get("text"))


@pytest.fixture
def settled(okr):
    """Growth mid-week: last week's digest posted, and Friday's prompts sent."""
    okr.tick(at("2026-11-26T12:00"))
    okr.tick(at("2026-11-27T09:00"))
    okr.tick(at("2026-11-27T15:00"))
    okr.fake.clear_messages()
    okr.fake.reset_calls()
    return okr



def sent_at(okr, key: str):
    """When the outbox recorded this message as sent (None while it is not)."""
    with okr.session() as s:
        row = s.exec(select(Delivery).where(Delivery.key == key)).first()
        return row.sent_at if row else None

def test_a_channel_okrbot_is_not_in_is_tried_hourly_told_once_and_resumes_on_invite(settled):
    okr = settled
    okr.fake.add_channel("C0GROWTH", name="growth", member=False)
    okr.tick(at("2026-11-30T09:00"))
    assert digests(okr) == [] and [c.error for c in posts_to(okr, "C0GROWTH")] == ["not_in_channel"]
    # The lead hears of it in the same tick, in words they can act on.
    (told,) = problem_dms(okr)
    dm = okr.fake.dms_to("U0LEAD")[-1]
    assert dm["text"] == PROBLEM_TEXT
    assert "try again every hour" in okr.fake.render(dm)
    # The next minutes neither try the channel again nor tell anyone twice.
    okr.fake.reset_calls()
    for minute in range(1, 6):
        okr.tick(at(f"2026-11-30T09:0{minute}"))
    assert posts_to(okr, "C0GROWTH") == [] and len(problem_dms(okr)) == 1
    assert "okrbot is not in <#C0GROWTH> since Mon 30 Nov 09:00" in team_answer(okr)
    # Someone else joining the channel changes nothing; okrbot being invited releases the digest at once.
    okr.slack.event({"type": "member_joined_channel", "user": "U0ALICE", "channel": "C0GROWTH"})
    okr.tick(at("2026-11-30T09:06"))
    assert posts_to(okr, "C0GROWTH") == []
    okr.fake.set_member("C0GROWTH")
    okr.clock.set(at("2026-11-30T09:06:30"))
    assert okr.slack.event({"type": "member_joined_channel", "user": "U0BOT", "channel": "C0GROWTH"}).status == 200
    # At once, not at the next tick (the event's listener posts it after answering Slack).
    (digest,) = wait_for(lambda: digests(okr))
    # The listener records the send after Slack answered it: wait for that too, or the next tick races it.
    key = keys.digest(growth_id(okr), at("2026-11-30").date())
    assert wait_for(lambda: sent_at(okr, key)) == at("2026-11-30T09:06:30")
    okr.tick(at("2026-11-30T09:07"))
    assert len(digests(okr)) == 1
    # Exactly once: neither the next minute nor the hourly try posts it again, and the lead is not told again.
    okr.tick(at("2026-11-30T09:08"))
    okr.tick(at("2026-11-30T10:00"))
    assert len(digests(okr)) == 1 and len(problem_dms(okr)) == 1
    assert "okrbot is not in" not in team_answer(okr)
    with okr.session() as s:
        assert s.exec(select(Problem)).all() == []
    # Next week's digest goes out as usual.
    okr.tick(at("2026-12-07T09:00"))
    assert len(digests(okr)) == 2


def test_an_archived_channel_is_told_and_resumes_when_unarchived(settled):
    okr = settled
    okr.fake.add_channel("C0GROWTH", name="growth", is_archived=True)
    okr.tick(at("2026-11-30T09:00"))
    assert "that channel is archived" in okr.fake.dms_to("U0LEAD")[-1]["text"]
    assert "<#C0GROWTH> is archived since Mon 30 Nov 09:00" in team_answer(okr)
    okr.fake.set_archived("C0GROWTH", False)
    okr.clock.set(at("2026-11-30T09:00:40"))
    okr.slack.event({"type": "channel_unarchive", "channel": "C0GROWTH", "user": "U0LEAD"})
    wait_for(lambda: digests(okr))
    wait_for(lambda: sent_at(okr, keys.digest(growth_id(okr), at("2026-11-30").date())))
    okr.tick(at("2026-11-30T09:01"))
    assert len(digests(okr)) == 1 and len(problem_dms(okr)) == 1


def test_a_team_without_leads_has_an_admin_told(settled):
    okr = settled
    okr.fake.add_user("U0ADMIN", tz="UTC", name="ada", is_admin=True)
    with okr.session() as s:
        s.add(Person(user_id="U0ADMIN", is_admin=True, admin_checked_at=at("2026-11-27T00:00")))
        growth = s.exec(select(Team).where(Team.name == "Growth")).one()
        growth.channel = "C0GONE"  # deleted: Slack answers channel_not_found
    okr.tick(at("2026-11-30T09:00"))
    with okr.session() as s:
        for lead in s.exec(select(TeamLead)).all():
            s.delete(lead)
        s.exec(select(Problem)).one().told_at = None  # as if it had just happened, in a team without leads
    okr.tick(at("2026-11-30T09:01"))
    (dm,) = okr.fake.dms_to("U0ADMIN")
    assert dm["text"].startswith("I can't post Growth's digest to <#C0GONE>: I can't find that channel")


def test_a_deactivated_owner_is_named_to_the_leads_once_and_left_out(okr):
    okr.fake.set_user_deleted("U0BOB")
    okr.tick(at("2026-11-27T09:00"))  # Bob's prompt (10:00 in Berlin)
    okr.tick(at("2026-11-27T15:00"))  # Alice's (10:00 in New York)
    assert [c.error for c in posts_to(okr, "U0BOB")] == ["user_not_found"]
    with okr.session() as s:
        assert find_person("U0BOB", session=s).deactivated_at == at("2026-11-27T09:00")
    (dm,) = [m for m in okr.fake.dms_to("U0LEAD") if "deactivated" in m["text"]]
    rendered = okr.fake.render(dm)
    assert "<@U0BOB>'s Slack account is deactivated" in dm["text"]
    assert "Reduce median time-to-first-value" in rendered and "/okr edit" in rendered
    # No more tries for Bob, and he is not listed as not checked in.
    okr.fake.reset_calls()
    okr.tick(at("2026-11-30T09:00"))
    okr.tick(at("2026-12-04T09:00"))
    assert posts_to(okr, "U0BOB") == [] and posts_to(okr, "DU0BOB") == []
    digest = digests(okr)[-1]  # this Monday's (the first tick also posted last week's, late)
    late = [b["text"]["text"] for b in digest["blocks"] if "Not checked in" in b.get("text", {}).get("text", "")]
    assert late and "<@U0ALICE>" in late[0] and "<@U0BOB>" not in late[0]
    assert len([m for m in okr.fake.dms_to("U0LEAD") if "deactivated" in m["text"]]) == 1


def test_user_change_deactivates_and_reactivates_an_owner(okr):
    okr.tick(at("2026-11-27T09:00"))
    okr.slack.event({"type": "user_change", "user": {"id": "U0BOB", "tz": "Europe/Berlin", "deleted": True}})
    with okr.session() as s:
        assert find_person("U0BOB", session=s).deactivated_at is not None
    okr.tick(at("2026-11-27T09:01"))
    assert len([m for m in okr.fake.dms_to("U0LEAD") if "deactivated" in m["text"]]) == 1
    okr.tick(at("2026-12-04T09:00"))
    assert len(okr.fake.dms_to("U0BOB")) == 1  # last week's prompt only
    okr.slack.event({"type": "user_change", "user": {"id": "U0BOB", "tz": "Europe/Berlin", "deleted": False}})
    okr.tick(at("2026-12-04T09:01"))
    assert len(okr.fake.dms_to("U0BOB")) == 2
    with okr.session() as s:
        assert find_person("U0BOB", session=s).deactivated_at is None and s.exec(select(Problem)).all() == []


def test_a_revoked_token_stops_the_workspace_after_one_refusal(okr, caplog):
    okr.fake.revoke(TOKEN)
    with caplog.at_level(logging.WARNING):
        okr.tick(at("2026-11-27T15:00"))  # both owners are due
    assert [c.error for c in okr.fake.calls_to("chat.postMessage")] == ["token_revoked"]
    with okr.session() as s:
        assert not may_send("", TOKEN, session=s)
        assert s.exec(select(Problem.subject, Problem.error)).all() == [("token", "token_revoked")]
    assert "stops sending to this workspace until it is installed again" in caplog.text


def test_a_tick_logs_one_line_per_failed_message_and_its_counts(settled, caplog):
    okr = settled
    okr.fake.add_channel("C0GROWTH", name="growth", member=False)
    with caplog.at_level(logging.INFO, logger="bot"):
        okr.tick(at("2026-11-30T09:00"))
    failures = [r for r in caplog.records if "chat.postMessage failed" in r.getMessage()]
    assert [r.getMessage() for r in failures] == [
        f"digest {keys.digest(growth_id(okr), at('2026-11-30').date())} to C0GROWTH: chat.postMessage failed with "
        "not_in_channel (I'm not in that channel); held, next try in 1 h"]
    assert failures[0].exc_info is None and "Traceback" not in caplog.text
    counts = [r.getMessage() for r in caplog.records if r.name == "bot.jobs.tick"]
    assert "digests: 0 sent, 1 failed (retry in 1 h: not_in_channel x1)" in counts
    assert "problems: 1 sent, 0 failed" in counts
    # An idle minute logs nothing.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="bot"):
        okr.tick(at("2026-11-30T09:01"))
    assert caplog.records == []


def test_a_transient_failure_is_retried_next_tick_and_only_a_bug_gets_a_traceback(okr, caplog):
    okr.fake.fail_next("chat.postMessage", status=200, error="internal_error")
    with caplog.at_level(logging.INFO, logger="bot"):
        okr.tick(at("2026-11-27T09:00"))
    assert "1 failed (retry next tick: internal_error x1)" in caplog.text
    assert all(r.exc_info is None for r in caplog.records)
    caplog.clear()

    def broken():
        raise ValueError("a bug in a view")

    with okr.session() as s, caplog.at_level(logging.INFO, logger="bot"):
        sender = Sender(now=at("2026-11-27T09:01"), session=s, client=okr.client)
        report = sender.send_all([Message("test:bug", "test", "bug", broken, to_user="U0ALICE")])
    assert report.summary("test") == "test: 0 sent, 1 failed (retry next tick: unexpected x1)"
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is not None and "failed unexpectedly; retried on the next tick" in record.getMessage()


def growth_id(okr):
    with okr.session() as s:
        return s.exec(select(Team).where(Team.name == "Growth")).one().id


def test_moving_the_digest_to_another_channel_sends_the_held_digest_there(settled):
    okr = settled
    okr.fake.add_channel("C0GROWTH", name="growth", is_archived=True)
    okr.fake.add_channel("C0NEW", name="growth-okrs")
    okr.tick(at("2026-11-30T09:00"))
    assert "`/okr team channel Growth #channel`" in okr.fake.dms_to("U0LEAD")[-1]["text"]
    resp = okr.slack.command("U0ALICE", "team channel Growth <#C0NEW|growth-okrs>")
    assert resp.json()["text"] == "Only Growth's leads and workspace admins can change its digest channel."
    resp = okr.slack.command("U0LEAD", "team channel Growth <#C0NEW|growth-okrs>")
    assert resp.json()["text"].startswith("Growth's digest now goes to <#C0NEW>.")
    okr.tick(at("2026-11-30T09:01"))
    okr.tick(at("2026-11-30T10:00"))
    assert len(okr.fake.messages("C0NEW")) == 1 and digests(okr) == []
    assert "is archived" not in team_answer(okr)


def test_a_held_digest_is_not_built_again_until_its_hour(settled):
    from bot.jobs.digests import send_due_digests
    from storage.db import count_statements

    okr = settled
    okr.fake.add_channel("C0GROWTH", name="growth", member=False)
    okr.tick(at("2026-11-30T09:00"))
    okr.fake.reset_calls()
    with okr.session() as s, count_statements(okr.engine) as statements:
        report = send_due_digests(now=at("2026-11-30T09:01"), session=s, client=okr.client)
    # The teams due, and the outbox's one look-up that finds the digest held: nothing built, nothing sent.
    assert len(statements) == 2 and report.skipped == 1 and okr.fake.calls == []
    # The hourly try claims the row it knows of without a failing insert (whose rollback would reload everything).
    with okr.session() as s, count_statements(okr.engine) as statements:
        report = send_due_digests(now=at("2026-11-30T10:00"), session=s, client=okr.client)
    assert report.failures == [("retry in 1 h", "not_in_channel")]
    assert not [q for q in statements if q.lstrip().upper().startswith("INSERT")]
