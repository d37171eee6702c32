"""Public holidays end to end: signed /okr team holidays, real ticks, the fake Slack, SQLite and PostgreSQL."""

from sqlmodel import select

from bot.reports.weeks import kr_weeks
from storage.models import Prompt, Team
from tests.flows import NUDGE, PROMPT, REMINDER, at, deliveries, dms, kr_ids, lead_nudges

SPRING = """\
cycle: {name: 2027-spring, start: 2027-03-01, end: 2027-04-30}
teams:
  - name: Growth
    channel: C0GROWTH
    leads: [U0LEAD]
    timezone: Europe/London
    holidays: GB
objectives:
  - team: Growth
    id: onboarding
    title: Make self-serve onboarding effortless for mid-market customers
    key_results:
      - {id: ttfv, title: Reduce median time-to-first-value from 14 days to 7 days, owner: U0BOB, baseline: 14,
         target: 7, unit: days}
"""


def say(okr, user, text):
    resp = okr.slack.command(user, text)
    assert resp.status == 200, resp.body
    return resp.json()["text"]


def prompts_of(okr, user):
    with okr.session() as s:
        return [(p.week_key, p.due_at) for p in s.exec(select(Prompt).where(Prompt.user_id == user)
                                                       .order_by(Prompt.due_at))]


def import_text(okr, tmp_path, text):
    path = tmp_path / "okrs.yaml"
    path.write_text(text)
    okr.import_file(path)


def test_a_uk_bank_holiday_friday_moves_the_prompt_to_monday(okr, tmp_path):
    import_text(okr, tmp_path, SPRING)
    okr.tick(at("2027-03-19T12:00"))  # Friday: Bob's 10:00 in Berlin (UTC+1) has passed
    okr.tick(at("2027-03-26T12:00"))  # Good Friday, a UK bank holiday
    okr.tick(at("2027-03-28T12:00"))
    assert len(dms(okr, "U0BOB", PROMPT)) == 1
    okr.tick(at("2027-03-29T07:59"))  # Monday: Berlin is on summer time, 10:00 is 08:00Z
    assert len(dms(okr, "U0BOB", PROMPT)) == 1
    okr.tick(at("2027-03-29T08:00"))
    okr.tick(at("2027-03-29T08:01"))
    assert len(dms(okr, "U0BOB", PROMPT)) == 2
    okr.tick(at("2027-04-02T08:00"))  # the next Friday is a week of its own again, four days later
    assert prompts_of(okr, "U0BOB") == [("2027-03-19@10:00", at("2027-03-19T09:00")),
                                        ("2027-03-26@10:00", at("2027-03-29T08:00")),
                                        ("2027-04-02@10:00", at("2027-04-02T08:00"))]
    with okr.session() as s:
        weeks = kr_weeks(kr_ids(okr).values(), session=s, now=at("2027-04-02T12:00"))
    (bob,) = weeks.values()
    assert len(bob.weeks) == 3 and bob.missed_streak == 2  # the moved week is one week, not two


def test_a_us_only_holiday_does_not_move_a_uk_team(okr):
    assert "GB public holidays" in say(okr, "U0LEAD", "team holidays Growth gb")
    okr.tick(at("2026-11-27T09:00"))  # the day after Thanksgiving: a holiday in California, not in the UK
    assert len(dms(okr, "U0BOB", PROMPT)) == 1
    assert ("2026-11-27@10:00", at("2026-11-27T09:00")) in prompts_of(okr, "U0BOB")


def test_a_californian_team_is_prompted_after_thanksgiving(okr):
    okr.tick(at("2026-11-26T12:00"))  # last week's prompts, sent at import
    assert "US-CA public holidays" in say(okr, "U0LEAD", "team holidays Growth US-CA")
    okr.tick(at("2026-11-27T16:00"))
    assert len(dms(okr, "U0BOB", PROMPT)) == 1
    okr.tick(at("2026-11-30T09:00"))  # Monday, 10:00 in Berlin
    assert len(dms(okr, "U0BOB", PROMPT)) == 2
    assert ("2026-11-27@10:00", at("2026-11-30T09:00")) in prompts_of(okr, "U0BOB")


def test_team_holidays_command_checks_the_code_and_shows_it(okr):
    assert "not a holiday calendar" in say(okr, "U0LEAD", "team holidays Growth XX")
    assert "US has no subdivision 'ZZ'" in say(okr, "U0LEAD", "team holidays Growth US-ZZ")
    assert say(okr, "U0BOB", "team holidays Growth GB") == "Only Growth's leads and workspace admins can change its holidays."
    with okr.session() as s:
        assert s.exec(select(Team)).one().holidays is None
    say(okr, "U0LEAD", "team holidays Growth GB")
    assert "holidays GB" in str(okr.slack.command("U0ALICE", "team Growth").json()["blocks"])
    assert "no public-holiday calendar" in say(okr, "U0LEAD", "team holidays Growth none")
    with okr.session() as s:
        assert s.exec(select(Team)).one().holidays is None


def test_a_digest_due_on_a_bank_holiday_goes_out_the_next_working_day(okr):
    say(okr, "U0LEAD", "team holidays Growth GB")
    okr.tick(at("2026-12-22T12:00"))  # this week's digest (Monday Dec 21), sent late
    okr.fake.clear_messages()
    okr.tick(at("2026-12-28T09:00"))  # Monday: Boxing Day, observed
    assert okr.fake.messages("C0GROWTH") == []
    okr.tick(at("2026-12-29T08:59"))
    assert okr.fake.messages("C0GROWTH") == []
    okr.tick(at("2026-12-29T09:00"))
    okr.tick(at("2026-12-29T09:01"))
    assert len(okr.fake.messages("C0GROWTH")) == 1
    with okr.session() as s:
        team_id = s.exec(select(Team)).one().id
    assert [d.key for d in deliveries(okr, f"digest:{team_id}:2026-12-2")] == [
        f"digest:{team_id}:2026-12-21", f"digest:{team_id}:2026-12-28"]


WINTER = """\
cycle: {name: 2026-winter, start: 2026-12-01, end: 2027-02-28}
teams:
  - name: Moscow
    channel: C0GROWTH
    leads: [U0LEAD]
    timezone: Europe/Moscow
    holidays: RU
objectives:
  - team: Moscow
    id: onboarding
    title: Make self-serve onboarding effortless for mid-market customers
    key_results:
      - {id: ttfv, title: Reduce median time-to-first-value from 14 days to 7 days, owner: U0BOB, baseline: 14,
         target: 7, unit: days}
"""


def test_a_week_without_a_working_day_is_neither_prompted_nor_missed(okr, tmp_path):
    # Russia's New Year holidays run from January 1 to 8: the week of Friday January 1 holds no working day, and
    # Friday January 8 moves to Monday January 11.
    import_text(okr, tmp_path, WINTER)
    for day in ("2026-12-18", "2026-12-25", "2027-01-01", "2027-01-08", "2027-01-11"):
        okr.tick(at(f"{day}T12:00"))
    keys = [key for key, _ in prompts_of(okr, "U0BOB") if key >= "2026-12-18"]
    assert keys == ["2026-12-18@10:00", "2026-12-25@10:00", "2027-01-08@10:00"]
    # Three prompts, two ended weeks missed: no nudge yet (without the holidays, January 8 would have nudged).
    assert dms(okr, "U0BOB", NUDGE) == [] and lead_nudges(okr) == []
    okr.tick(at("2027-01-15T12:00"))
    assert len(dms(okr, "U0BOB", NUDGE)) == 1
    assert "3 weeks" in dms(okr, "U0BOB", NUDGE)[0]["text"]


def test_import_reads_and_export_writes_the_calendar(okr, tmp_path):
    import yaml

    from bot.okr_files.exporter import export_yaml
    import_text(okr, tmp_path, SPRING)
    with okr.session() as s:
        assert s.exec(select(Team)).one().holidays == "GB"
        exported = yaml.safe_load(export_yaml(session=s, cycle_name="2027-spring"))
    assert exported["teams"][0]["holidays"] == "GB"
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPRING.replace("holidays: GB", "holidays: Narnia"))
    try:
        okr.import_file(bad)
    except Exception as exc:
        assert "bad.yaml:7: teams[0].holidays: 'Narnia' is not a holiday calendar" in str(exc)
    else:
        raise AssertionError("import accepted an unknown calendar")



def test_a_reminder_never_lands_on_a_holiday(okr, tmp_path):
    # Prompted on the Thursday before Good Friday: the next working morning is Monday March 29 (in GB as a whole,
    # Easter Monday is a working day), not the Friday.
    import_text(okr, tmp_path, SPRING.replace("    holidays: GB\n",
                                              "    holidays: GB\n    checkin: {day: thursday, time: \"10:00\"}\n"))
    okr.tick(at("2027-03-25T09:00"))  # Thursday, 10:00 in Berlin
    assert len(dms(okr, "U0BOB", PROMPT)) == 1
    okr.tick(at("2027-03-26T08:00"))  # Good Friday, 09:00 in Berlin
    okr.tick(at("2027-03-26T12:00"))
    assert dms(okr, "U0BOB", REMINDER) == []
    okr.tick(at("2027-03-29T07:00"))  # Monday 09:00 in Berlin (summer time)
    assert len(dms(okr, "U0BOB", REMINDER)) == 1


SECOND_TEAM = """\
cycle: {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
teams:
  - name: Payments
    channel: C0GROWTH
    leads: [U0LEAD]
    timezone: America/Los_Angeles
    holidays: US-CA
objectives:
  - team: Payments
    id: payments
    title: Make paying us effortless
    key_results:
      - {id: failed, title: Reduce failed payments from 4.5% to 2%, owner: U0BOB, baseline: 4.5, target: 2, unit: "%"}
"""


def test_an_owner_in_several_teams_follows_any_of_their_calendars(okr, tmp_path):
    say(okr, "U0LEAD", "team holidays Growth GB")
    okr.tick(at("2026-11-26T12:00"))
    import_text(okr, tmp_path, SECOND_TEAM)  # Bob now owns a KR in a Californian team too
    okr.tick(at("2026-11-27T09:00"))  # the day after Thanksgiving: a holiday in one of Bob's calendars
    okr.tick(at("2026-11-27T16:00"))
    assert len(dms(okr, "U0BOB", PROMPT)) == 1 and len(dms(okr, "U0ALICE", PROMPT)) == 2  # Alice is only in Growth
    okr.tick(at("2026-11-30T09:00"))
    (moved,) = dms(okr, "U0BOB", PROMPT)[1:]
    assert "Reduce failed payments" in okr.fake.render(moved) and "time-to-first-value" in okr.fake.render(moved)
