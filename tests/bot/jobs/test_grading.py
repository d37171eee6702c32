"""The grading DM and its reminder, end to end through the tick and the outbox, on SQLite and PostgreSQL."""

import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

from tests.flows import at, dms
from tests.quarter_flows import GRADE_DM, GRADE_REMINDER, end_growth_cycle
from tests.test_processes import ROOT, env_for


def grading_dms(okr, lead="U0LEAD"):
    return dms(okr, lead, GRADE_DM)


def test_the_lead_is_asked_once_whatever_the_ticks_and_restarts(okr):
    end_growth_cycle(okr)
    okr.tick(at("2026-11-26T23:59"))
    okr.tick(at("2026-11-27T08:59"))
    assert grading_dms(okr) == []
    okr.tick(at("2026-11-27T09:00"))
    okr.tick(at("2026-11-27T09:00"))
    # A restart is a new process reading the same database: the outbox remembers.
    from bot.slack.client import make_client
    from bot.jobs.tick import run_tick
    run_tick(now=at("2026-11-27T11:00"), engine=okr.engine, client=make_client("xoxb-test-token", okr.fake.url))
    okr.tick(at("2026-11-30T09:00"))
    assert len(grading_dms(okr)) == 1
    # Nobody graded: one reminder three working mornings later (Wednesday), and only one.
    okr.tick(at("2026-12-01T09:30"))
    assert dms(okr, "U0LEAD", GRADE_REMINDER) == []
    okr.tick(at("2026-12-02T09:00"))
    okr.tick(at("2026-12-02T09:30"))
    okr.tick(at("2026-12-08T09:30"))
    (reminder,) = dms(okr, "U0LEAD", GRADE_REMINDER)
    assert "Grade" in okr.fake.render(reminder)
    assert len(grading_dms(okr)) == 1


def test_a_late_tick_waits_for_a_working_morning(okr):
    end_growth_cycle(okr)
    # Down all Friday: Saturday is no working day, Monday morning is.
    okr.tick(at("2026-11-28T10:00"))
    okr.tick(at("2026-11-30T08:30"))
    assert grading_dms(okr) == []
    okr.tick(at("2026-11-30T09:10"))
    assert len(grading_dms(okr)) == 1
    # The reminder counts its three working mornings from Monday's DM, not from Friday.
    okr.tick(at("2026-12-02T09:30"))
    assert dms(okr, "U0LEAD", GRADE_REMINDER) == []
    okr.tick(at("2026-12-03T09:30"))
    assert len(dms(okr, "U0LEAD", GRADE_REMINDER)) == 1


def test_a_cycle_long_over_is_not_chased(okr):
    end_growth_cycle(okr)
    okr.tick(at("2027-02-15T10:00"))
    assert grading_dms(okr) == []


def test_two_processes_ticking_at_once_ask_the_lead_once(okr, db_url, tmp_path):
    end_growth_cycle(okr)
    env = env_for(db_url, okr.fake)

    def tick():
        return subprocess.run([sys.executable, str(ROOT / "app.py"), "tick", "--now", "2026-11-27T09:00:00Z"],
                              env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: tick(), range(2)))
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert len(grading_dms(okr)) == 1


TWO_ZONES = textwrap.dedent("""\
    cycle: {name: 2026-Q4, start: 2026-10-01, end: 2026-11-26}
    teams:
      - {name: Kiwi, channel: C0KIWI, leads: [U0KIWI], timezone: Pacific/Auckland}
      - {name: Coast, channel: C0COAST, leads: [U0COAST], timezone: America/Los_Angeles}
    objectives:
      - team: Kiwi
        title: Make Kiwi customers successful
        key_results:
          - {title: Increase NPS from 30 to 40, owner: U0KIWI, baseline: 30, target: 40}
      - team: Coast
        title: Make Coast customers successful
        key_results:
          - {title: Increase NPS from 30 to 45, owner: U0COAST, baseline: 30, target: 45}
    """)


def test_auckland_and_los_angeles_are_asked_on_different_utc_days(okr, tmp_path):
    okr.fake.add_user("U0KIWI", tz="Pacific/Auckland", name="kiri")
    okr.fake.add_user("U0COAST", tz="America/Los_Angeles", name="cody")
    for channel in ("C0KIWI", "C0COAST"):
        okr.fake.add_channel(channel, name=channel.lower())
    path = tmp_path / "zones.yaml"
    path.write_text(TWO_ZONES)
    okr.import_file(path)
    okr.tick(at("2026-11-26T19:59"))
    assert dms(okr, "U0KIWI", GRADE_DM) == []
    okr.tick(at("2026-11-26T20:00"))  # Friday 09:00 in Auckland, Thursday noon in Los Angeles
    assert [m["text"] for m in dms(okr, "U0KIWI", GRADE_DM)] == ["Time to grade 2026-Q4 for Kiwi"]
    assert dms(okr, "U0COAST", GRADE_DM) == []
    okr.tick(at("2026-11-27T16:59"))
    assert dms(okr, "U0COAST", GRADE_DM) == []
    okr.tick(at("2026-11-27T17:00"))  # Friday 09:00 in Los Angeles
    assert [m["text"] for m in dms(okr, "U0COAST", GRADE_DM)] == ["Time to grade 2026-Q4 for Coast"]
    assert len(dms(okr, "U0KIWI", GRADE_DM)) == 1
