"""Confidence-drop alerts end to end: check-ins through the modal, the lead's DM sent right after, retried by tick."""

import time

from sqlmodel import select

from bot.slack import ids
from storage.models import Team
from tests.flows import ALERT, at, buttons, check_in, checkins, deliveries, dms, kr_ids, wait_for


def alerts(okr, lead="U0LEAD"):
    return dms(okr, lead, ALERT)


def growth_id(okr):
    with okr.session() as s:
        return s.exec(select(Team).where(Team.name == "Growth")).one().id


def settle(okr, when):
    """Run the tick at `when`: it sends any alert still due, so a missing alert afterwards is really not due."""
    okr.tick(when)


def test_green_to_red_alerts_the_lead_at_once_with_the_details(okr):
    check_in(okr, "U0ALICE", at("2026-11-20T15:00"), {"wau": ("18%", "green", "")})
    check_in(okr, "U0ALICE", at("2026-11-27T15:00"),
             {"wau": ("12%", "red", "Analytics launch slipped to January; need a data engineer")})
    # No tick: the check-in listener sends the alert itself, just after answering Slack.
    (alert,) = wait_for(lambda: alerts(okr))
    text = okr.fake.render(alert)
    assert "Reach 40% weekly active usage of analytics" in text
    assert ":large_green_circle: on track" in text and ":red_circle: off track" in text  # old and new
    assert "12%" in text
    assert "Analytics launch slipped to January; need a data engineer" in text
    assert "alice" in text  # the owner, by name
    (button,) = buttons(alert)
    assert (button["action_id"], button["value"]) == (ids.OPEN_STATUS, f"team:{growth_id(okr)}")
    red = checkins(okr)[-1]
    # Slack answers before the outbox row is marked sent: wait for that write too.
    (sent,) = wait_for(lambda: [d for d in deliveries(okr, "alert:") if d.sent_at])
    assert sent.key == f"alert:{red.id}:U0LEAD" and sent.kind == "alert" and sent.sent_at is not None

    # Repeated ticks (and a restart) send nothing more.
    for instant in ("2026-11-27T15:01", "2026-11-27T15:01", "2026-11-28T10:00", "2026-12-01T10:00"):
        okr.tick(at(instant))
    assert len(alerts(okr)) == 1


def test_first_red_alerts_even_from_amber(okr):
    check_in(okr, "U0BOB", at("2026-11-20T09:30"), {"ttfv": ("13 days", "amber", "Slow week")})
    settle(okr, at("2026-11-20T09:31"))
    assert deliveries(okr, "alert:") == []  # amber is no alert
    check_in(okr, "U0BOB", at("2026-11-24T09:30"), {"ttfv": ("14 days", "red", "Blocked on the SDK")})
    (alert,) = wait_for(lambda: alerts(okr))
    text = okr.fake.render(alert)
    assert ":large_orange_circle: at risk" in text and ":red_circle: off track" in text
    assert "Blocked on the SDK" in text and "14 days" in text


def test_a_first_check_in_at_red_alerts(okr):
    check_in(okr, "U0BOB", at("2026-11-20T09:30"), {"ttfv": ("14 days", "red", "Not started")})
    (alert,) = wait_for(lambda: alerts(okr))
    assert "first check-in" in okr.fake.render(alert)


def test_a_later_red_alerts_only_when_it_drops_two_levels(okr):
    check_in(okr, "U0BOB", at("2026-11-02T09:30"), {"ttfv": ("13 days", "amber", "Slow")})
    check_in(okr, "U0BOB", at("2026-11-09T09:30"), {"ttfv": ("14 days", "red", "Blocked")})
    wait_for(lambda: alerts(okr))
    check_in(okr, "U0BOB", at("2026-11-16T09:30"), {"ttfv": ("13 days", "amber", "Unblocked, slowly")})
    check_in(okr, "U0BOB", at("2026-11-23T09:30"), {"ttfv": ("14 days", "red", "Blocked again")})
    settle(okr, at("2026-11-23T09:31"))
    second_red = checkins(okr)[-1]
    assert deliveries(okr, f"alert:{second_red.id}:") == []  # amber -> red, not the first red: no alert
    assert len(alerts(okr)) == 1
    check_in(okr, "U0BOB", at("2026-11-30T09:30"), {"ttfv": ("11 days", "green", "Fixed")})
    check_in(okr, "U0BOB", at("2026-12-07T09:30"), {"ttfv": ("14 days", "red", "Regressed")})
    wait_for(lambda: len(alerts(okr)) == 2)
    assert len(alerts(okr)) == 2  # green -> red: two levels
    assert "Regressed" in okr.fake.render(alerts(okr)[-1])


def test_small_drops_and_rises_do_not_alert(okr):
    check_in(okr, "U0ALICE", at("2026-11-20T15:00"), {"wau": ("18%", "green", ""),
                                                      "d7-activation": ("25%", "amber", "Slow")})
    check_in(okr, "U0ALICE", at("2026-11-27T15:00"), {"wau": ("17%", "amber", "Dipped"),
                                                      "d7-activation": ("27%", "green", "")})
    settle(okr, at("2026-11-27T15:01"))
    assert deliveries(okr, "alert:") == [] and alerts(okr) == []


def test_a_lead_checking_in_on_behalf_is_not_alerted_about_their_own_entry(okr):
    check_in(okr, "U0BOB", at("2026-11-20T09:30"), {"ttfv": ("12 days", "green", "")})
    okr.clock.set(at("2026-11-27T10:00"))
    okr.slack.command("U0LEAD", "checkin <@U0BOB|bob>")
    view = okr.fake.calls_to("views.open")[-1].params["view"]
    resp = okr.slack.submit("U0LEAD", view, {kr_ids(okr)["ttfv"]: ("14", "red", "Bob is out sick")},
                            view_id="VLEAD0001")
    assert resp.json()["response_action"] == "update"
    settle(okr, at("2026-11-27T10:01"))
    assert deliveries(okr, "alert:") == [] and alerts(okr) == []


def test_a_failed_alert_is_retried_by_the_tick(okr):
    check_in(okr, "U0ALICE", at("2026-11-20T15:00"), {"wau": ("18%", "green", "")})
    okr.fake.fail_next("chat.postMessage", status=200, error="internal_error")
    check_in(okr, "U0ALICE", at("2026-11-27T15:00"), {"wau": ("12%", "red", "Launch slipped")})
    failed = wait_for(lambda: [d for d in deliveries(okr, "alert:") if d.last_error])
    assert [(d.sent_at, d.claimed_at, d.last_error) for d in failed] == [(None, None, "internal_error")]
    assert alerts(okr) == []
    okr.tick(at("2026-11-27T15:01"))
    (alert,) = alerts(okr)
    assert "Launch slipped" in okr.fake.render(alert)
    (sent,) = deliveries(okr, "alert:")
    assert sent.attempts == 2 and sent.sent_at == at("2026-11-27T15:01")
    okr.tick(at("2026-11-27T15:02"))
    assert len(alerts(okr)) == 1


def test_the_check_in_answer_does_not_wait_for_the_alert(okr):
    check_in(okr, "U0BOB", at("2026-11-20T09:30"), {"ttfv": ("12 days", "green", "")})
    okr.clock.set(at("2026-11-27T10:00"))
    okr.slack.command("U0BOB", "checkin")
    view = okr.fake.calls_to("views.open")[-1].params["view"]
    okr.fake.latency(2.0)  # Slack is slow today: every Web API call takes two seconds
    started = time.monotonic()
    resp = okr.slack.submit("U0BOB", view, {kr_ids(okr)["ttfv"]: ("14", "red", "Blocked")}, view_id="VSLOW0001")
    answered = time.monotonic() - started
    assert resp.json()["response_action"] == "update"
    assert answered < 1.5  # the modal is answered at once; the alert follows
    (alert,) = wait_for(lambda: alerts(okr), timeout=10)
    assert "Blocked" in okr.fake.render(alert)
