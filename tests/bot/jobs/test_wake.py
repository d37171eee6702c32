"""The idle minute (storage.wake): a workspace's tick sleeps until its jobs' next due instant, and any write to
their inputs wakes it at once; what a job says is "nothing before T" must really have nothing before T."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.jobs.tick import JOBS, WAKE_AT_LEAST_EVERY, run_tick, run_workspace, served
from bot.okr_files.importer import import_file
from bot.rules.next_due import next_reminder, next_weekly, next_working_time
from bot.settings import Settings
from bot.slack.client import make_client
from bot.slack.people import refresh_from_event, refresh_zones
from bot.slack.workspaces import Installed
from storage import wake
from storage.absences import set_away
from storage.db import count_statements, session_scope
from storage.models import CheckIn, KeyResult, ObservedValue, Person, Team, Wake
from storage.observed import record_observed
from storage.pushes import krs_named, push_value
from tests.conftest import FIXTURES, TOKEN

# Friday 27 Nov, 23:00 UTC: every Growth owner's 10:00 prompt is due (Alice in New York, Bob in Berlin).
DUE = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
# Bob's reminder: 09:00 Berlin on the next working morning, Monday 30 Nov (08:00 UTC); the earliest work after DUE.
BOBS_REMINDER = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
TARGET = Installed("", TOKEN)


@pytest.fixture
def growth(engine, fake_slack):
    with session_scope(engine) as session:
        import_file(str(FIXTURES / "growth.yaml"), session=session)
    client = make_client(TOKEN, fake_slack.url, backoff=0.0, jitter=0.0)
    return engine, client, fake_slack


def tick(engine, client, now):
    return run_workspace(TARGET, now=now, engine=engine, client_for=lambda _target: client)


def row(engine) -> Wake | None:
    with session_scope(engine) as session:
        return session.get(Wake, "")


def sent(results) -> list[str]:
    return [label for name, _ in JOBS for label in results[name].sent]


def settle(engine, client, now=DUE) -> datetime:
    """The week's prompts out at `now`, then the minute after that stores the next wake; returns it."""
    assert sent(tick(engine, client, now))
    assert sent(tick(engine, client, now + timedelta(minutes=1))) == []
    wake_at = row(engine).wake_at
    assert wake_at is not None and wake_at > now
    return wake_at


def test_an_idle_minute_reads_one_row_and_wakes_for_the_first_reminder(growth):
    engine, client, fake = growth
    tick(engine, client, DUE)
    results = tick(engine, client, DUE + timedelta(minutes=1))
    assert min(results[name].next_due for name, _ in JOBS) == BOBS_REMINDER
    # A workspace computes again at least once a day, whatever its jobs said.
    assert row(engine).wake_at == DUE + timedelta(minutes=1) + WAKE_AT_LEAST_EVERY
    fake.reset_calls()
    with count_statements(engine) as statements:
        results = tick(engine, client, DUE + timedelta(minutes=2))
    assert len(statements) <= 2, statements
    assert sent(results) == [] and fake.calls == []
    # Computed in full a minute before it, nothing is due: the wake was not too late...
    just_before = run_tick(now=BOBS_REMINDER - timedelta(minutes=1), engine=engine, client=client)
    assert sent(just_before) == []
    # ... and at it, Bob's reminder goes out.
    assert sent(tick(engine, client, BOBS_REMINDER)) == [f"reminder:{p}" for p in _prompt_ids(engine, "U0BOB")]


def _prompt_ids(engine, user_id) -> list[int]:
    from storage.models import Prompt

    with session_scope(engine) as session:
        return list(session.exec(sa.select(Prompt.id).where(Prompt.user_id == user_id)).scalars())


def written(growth, change):
    """Settle the week, then make `change` five minutes later: the wake row before and after it, and that instant."""
    engine, client, _ = growth
    settle(engine, client)
    before = row(engine)
    now = DUE + timedelta(minutes=5)
    with session_scope(engine) as session:
        change(session, now)
    return before, row(engine), now


def _reimport(session, now):
    import_file(str(FIXTURES / "coach_platform.yaml"), session=session)


def _author(session, now):
    kr = session.exec(sa.select(KeyResult)).scalars().first()
    session.add(KeyResult(objective_id=kr.objective_id, key="new-kr", title="Reach 5 new things", owner_id="U0EVE",
                          baseline=0, target=5))


def _user_change(session, now):
    assert refresh_from_event({"id": "U0BOB", "tz": "Asia/Tokyo"}, session=session, now=now)


def _schedule(session, now):
    team = session.exec(sa.select(Team)).scalars().one()
    team.checkin_day = 0
    session.add(team)


def _holiday(session, now):
    team = session.exec(sa.select(Team)).scalars().one()
    team.holidays = "GB"
    session.add(team)


def _away(session, now):
    set_away("U0ALICE", date(2026, 12, 4), date(2026, 12, 4), set_by="U0ALICE", session=session, now=now)


def _checkin(session, now):
    kr = session.exec(sa.select(KeyResult).where(KeyResult.owner_id == "U0BOB")).scalars().first()
    session.add(CheckIn(kr_id=kr.id, author_id="U0BOB", value=15, confidence="red", created_at=now))


@pytest.mark.parametrize("change", [_reimport, _author, _user_change, _schedule, _holiday, _away],
                         ids=lambda f: f.__name__.strip("_"))
def test_any_write_to_a_jobs_input_wakes_the_next_minute(growth, change):
    engine, client, _ = growth
    before, after, now = written(growth, change)
    assert after.wake_at is None and after.generation > before.generation
    # The next minute computes in full and stores a new wake.
    tick(engine, client, now + timedelta(minutes=1))
    assert row(engine).computed_at == now + timedelta(minutes=1)


def test_a_zone_change_from_users_list_wakes_the_next_minute(growth):
    engine, client, fake = growth
    settle(engine, client)
    fake.add_user("U0ALICE", tz="Asia/Kolkata", name="alice")
    later = DUE + timedelta(days=8)
    with session_scope(engine) as session:
        people = refresh_zones(["U0ALICE", "U0BOB"], session=session, client=client, now=later)
        assert people["U0ALICE"].tz == "Asia/Kolkata"
    assert row(engine).wake_at is None


def test_a_checkin_wakes_only_the_alerts_job(growth):
    engine, client, fake = growth
    with session_scope(engine) as session:
        # The lead is known already: a first DM to someone new adds their row, a write that wakes every job.
        session.add(Person(user_id="U0LEAD", tz="UTC", tz_fetched_at=DUE))
    wake_at = settle(engine, client)
    before = row(engine)
    now = DUE + timedelta(minutes=5)
    with session_scope(engine) as session:
        _checkin(session, now)
    after = row(engine)
    # The workspace's wake stays; the check-in is counted for the alerts job alone.
    assert (after.wake_at, after.generation) == (wake_at, before.generation)
    assert after.checkins == before.checkins + 1 != after.checkins_seen
    settings = Settings(bot_token=TOKEN, signing_secret="s", api_url="http://127.0.0.1:9", database_url="sqlite://",
                        scheduler=False)
    assert [t.workspace for t in served(settings, engine, due_at=now + timedelta(minutes=1))] == [""]
    fake.reset_calls()
    with count_statements(engine) as statements:
        results = tick(engine, client, now + timedelta(minutes=1))
    # Bob's first red reaches the lead; no other job computed (their queries would be dozens).
    assert sent(results) == results["alerts"].sent and len(results["alerts"].sent) == 1
    assert len(statements) <= 16, statements
    settled = row(engine)
    assert settled.checkins_seen == settled.checkins and settled.wake_at == wake_at
    # The minute after reads one row again.
    with count_statements(engine) as statements:
        assert sent(tick(engine, client, now + timedelta(minutes=2))) == []
    assert len(statements) <= 2, statements


def test_a_status_change_wakes_nothing(growth):
    engine, client, _ = growth
    settle(engine, client)
    before = row(engine)
    now = DUE + timedelta(minutes=5)
    with session_scope(engine) as session:
        # Bob's zone as cached, with a new status: nothing a job reads changes before his next week's slot.
        assert refresh_from_event({"id": "U0BOB", "tz": "Europe/Berlin",
                                   "profile": {"status_text": "In a workshop", "status_emoji": ":books:"}},
                                  session=session, now=now)
    after = row(engine)
    assert (after.wake_at, after.generation, after.checkins) == (before.wake_at, before.generation, before.checkins)


def _observed(session, now):
    kr = session.exec(sa.select(KeyResult).where(KeyResult.owner_id == "U0BOB")).scalars().first()
    record_observed(ObservedValue(kr_id=kr.id, value=12.0, observed_at=now, recorded_at=now, origin="api"),
                    session=session)


def _pushed(session, now):
    kr = session.exec(sa.select(KeyResult).where(KeyResult.owner_id == "U0ALICE")).scalars().first()
    target = krs_named(kr.ref, "", session=session, first_day=now.date())[0]
    push_value(target, value=30.0, observed_at=now, recorded_at=now, origin="api", note="", token_id=None,
               idempotency_key=None, session=session)


@pytest.mark.parametrize("change", [_observed, _pushed], ids=lambda f: f.__name__.strip("_"))
def test_an_observed_value_wakes_nothing_and_a_source_wakes_the_next_minute(growth, change):
    engine, _, _ = growth
    before, after, _ = written(growth, change)
    # Shown when a message is built; no job's work depends on it.
    assert (after.wake_at, after.generation, after.checkins) == (before.wake_at, before.generation, before.checkins)
    with session_scope(engine) as session:
        kr = session.exec(sa.select(KeyResult).where(KeyResult.owner_id == "U0BOB")).scalars().first()
        assert kr.observed_value == 12.0 or change is _pushed
        kr.source = {"type": "http", "url": "https://example.com/metric", "path": "$.value"}
        session.add(kr)
    assert row(engine).wake_at is None


def test_a_checkin_during_a_full_tick_runs_the_alerts_job_the_next_minute(growth):
    engine, client, _ = growth
    settle(engine, client)
    now = DUE + timedelta(minutes=5)
    due, state = wake.begin(engine, "", now=now + timedelta(days=2))
    assert due and state.only is None
    with session_scope(engine) as session:
        _checkin(session, now + timedelta(days=2))
    wake.finish(engine, state, now=now + timedelta(days=2), wake_at=now + timedelta(days=3))
    due, state = wake.begin(engine, "", now=now + timedelta(days=2, minutes=1))
    assert due and state.only == wake.CHECKIN_JOBS


def test_a_write_during_a_tick_keeps_the_tick_from_storing_a_late_wake(growth):
    engine, client, _ = growth
    settle(engine, client)
    now = DUE + timedelta(minutes=5)
    due, state = wake.begin(engine, "", now=now)
    with session_scope(engine) as session:
        _schedule(session, now)
    # A tick that began before the write and computed without it stores nothing.
    wake.finish(engine, state, now=now, wake_at=now + timedelta(days=1))
    assert row(engine).wake_at is None


def test_a_tick_for_an_earlier_instant_runs_in_full(growth):
    engine, client, _ = growth
    settle(engine, client)
    due, _ = wake.begin(engine, "", now=DUE - timedelta(hours=1))
    assert due


def test_served_lists_only_the_workspaces_with_something_due(growth):
    engine, client, _ = growth
    settings = Settings(bot_token=TOKEN, signing_secret="s", api_url="http://127.0.0.1:9", database_url="sqlite://",
                        scheduler=False)
    wake_at = settle(engine, client)
    assert served(settings, engine, due_at=DUE + timedelta(minutes=2)) == []
    assert [t.workspace for t in served(settings, engine, due_at=wake_at)] == [""]
    assert [t.workspace for t in served(settings, engine)] == [""]


def test_the_next_weekly_slot_follows_dst():
    new_york = ZoneInfo("America/New_York")
    # Friday 30 Oct 10:00 EDT has passed; the next Friday 10:00 is in EST (the US left DST on 1 Nov).
    now = datetime(2026, 10, 30, 15, 0, tzinfo=UTC)
    assert next_weekly(new_york, 4, time(10, 0), [], now=now) == datetime(2026, 11, 6, 15, 0, tzinfo=UTC)


def test_the_next_weekly_slot_moves_off_a_holiday():
    london = ZoneInfo("Europe/London")
    # Friday 25 Dec 2026 is Christmas and Monday 28 the Boxing Day holiday: the slot moves to Tuesday 29.
    now = datetime(2026, 12, 18, 11, 0, tzinfo=UTC)
    assert next_weekly(london, 4, time(10, 0), ["GB"], now=now) == datetime(2026, 12, 29, 10, 0, tzinfo=UTC)
    # Between Friday's unmoved slot and Tuesday, the moved one is still ahead.
    now = datetime(2026, 12, 26, 12, 0, tzinfo=UTC)
    assert next_weekly(london, 4, time(10, 0), ["GB"], now=now) == datetime(2026, 12, 29, 10, 0, tzinfo=UTC)


def test_the_next_reminder_is_the_next_working_morning_in_the_week():
    berlin = ZoneInfo("Europe/Berlin")
    delivered = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert next_reminder(now=DUE, due_at=delivered, delivered_at=delivered, tz=berlin) == BOBS_REMINDER
    # Past 18:00 on the reminder morning: the next morning; too close to the next prompt: none.
    evening = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
    assert next_reminder(now=evening, due_at=delivered, delivered_at=delivered,
                         tz=berlin) == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    late = datetime(2026, 12, 3, 17, 30, tzinfo=UTC)
    assert next_reminder(now=late, due_at=delivered, delivered_at=delivered, tz=berlin) is None


def test_the_next_working_time_skips_weekends_and_holidays():
    london = ZoneInfo("Europe/London")
    assert next_working_time(london, after=datetime(2026, 12, 24, 18, 0, tzinfo=UTC),
                             calendars=["GB"]) == datetime(2026, 12, 29, 9, 0, tzinfo=UTC)
    inside = datetime(2026, 12, 24, 12, 0, tzinfo=UTC)
    assert next_working_time(london, after=inside, calendars=["GB"]) == inside


def test_new_weeks_opened_together_belong_to_the_sessions_workspace(engine):
    from storage.models import Prompt, PromptItem
    from storage.prompts import open_week, open_weeks

    due, week = DUE.replace(hour=10), "2026-11-27@10:00"
    with session_scope(engine, "T2") as session:
        import_file(str(FIXTURES / "growth.yaml"), session=session)
    with session_scope(engine, "T1") as session:
        session.add(Prompt(user_id="U0ALICE", week_key=week, due_at=due))
    with session_scope(engine, "T2") as session:
        krs = {kr.owner_id: kr.id for kr in session.exec(sa.select(KeyResult)).scalars()}
        opened = open_weeks([("U0ALICE", week, due, [krs["U0ALICE"]], None),
                             ("U0BOB", week, due, [krs["U0BOB"]], "away")], session=session, now=DUE)
        assert {k: (p.workspace_id, p.away) for k, p in opened.items()} == {
            ("U0ALICE", week): ("T2", None), ("U0BOB", week): ("T2", "away")}
        items = session.exec(sa.select(PromptItem.kr_id, PromptItem.workspace_id)).all()
        assert sorted(items) == sorted([(krs["U0ALICE"], "T2"), (krs["U0BOB"], "T2")])
        # A week another process opened meanwhile: every week goes through open_week, which agrees on that row.
        again = open_weeks([("U0ALICE", week, due, [krs["U0ALICE"]], None),
                            ("U0EVE", week, due, [krs["U0BOB"]], None)], session=session, now=DUE)
        assert again[("U0ALICE", week)].id == opened[("U0ALICE", week)].id
        assert again[("U0EVE", week)].id == open_week("U0EVE", week, due, [], session=session).id
