"""/okr team and /okr cycle end to end: signed slash commands into the running app, answered to the caller only."""

from datetime import date

import pytest
from sqlmodel import select

from storage.models import Cycle, Team, TeamLead
from storage.people import find_person

ADMIN = "U0ADMIN"


@pytest.fixture
def admin(okr):
    """A workspace admin who leads no team."""
    okr.fake.add_user(ADMIN, tz="UTC", name="ada", is_admin=True)
    return ADMIN


def say(okr, user, text):
    resp = okr.slack.command(user, text)
    assert resp.status == 200, resp.body
    answer = resp.json()
    assert answer["response_type"] == "ephemeral"
    assert "Traceback" not in resp.body
    return answer["text"], answer.get("blocks")


def team(okr, name="Growth"):
    with okr.session() as s:
        return s.exec(select(Team).where(Team.name == name)).one()


def leads(okr, name="Growth"):
    with okr.session() as s:
        found = s.exec(select(Team).where(Team.name == name)).one()
        return sorted(s.exec(select(TeamLead.user_id).where(TeamLead.team_id == found.id)).all())


def test_team_lists_channel_leads_zone_and_schedules(okr):
    text, blocks = say(okr, "U0ALICE", "team")
    shown = str(blocks)
    assert "*Growth*" in shown and "<#C0GROWTH>" in shown and "<@U0LEAD>" in shown
    assert "Europe/London" in shown and "check-in Friday 10:00" in shown and "digest Monday 09:00" in shown
    assert "Growth" in text
    # One team by name, ignoring case.
    _, blocks = say(okr, "U0ALICE", "team growth")
    assert "<#C0GROWTH>" in str(blocks)


def test_unknown_team_names_the_teams_there_are(okr):
    text, blocks = say(okr, "U0ALICE", "team Grwth")
    assert blocks is None
    assert text.startswith("There is no team called “Grwth”. Did you mean *Growth*?")
    assert "Teams: Growth." in text


def test_admin_adds_a_team_with_an_escaped_channel_mention(okr, admin):
    text, _ = say(okr, admin, "team add Platform Reliability <#C0PLAT|platform>")
    assert text.startswith("Created team *Platform Reliability*, with its weekly digest in <#C0PLAT>")
    created = team(okr, "Platform Reliability")
    assert (created.channel, created.timezone, created.checkin_day, created.checkin_time,
            created.digest_day, created.digest_time) == ("C0PLAT", "UTC", 4, "10:00", 0, "09:00")
    text, _ = say(okr, admin, "team add platform reliability <#C0OTHER>")
    assert text == ("There is already a team called *Platform Reliability*; see it with "
                    "`/okr team Platform Reliability`.")
    # The admin flag was asked of Slack once and cached on the person.
    assert len(okr.fake.calls_to("users.info")) == 1
    with okr.session() as s:
        assert find_person(admin, session=s).is_admin is True


@pytest.mark.parametrize("user", ["U0LEAD", "U0ALICE"])
def test_only_admins_create_teams(okr, user):
    text, _ = say(okr, user, "team add Platform <#C0PLAT|platform>")
    assert text == "Only workspace admins can create teams; ask one of them."
    with okr.session() as s:
        assert s.exec(select(Team).where(Team.name == "Platform")).first() is None


@pytest.mark.parametrize("args, expected", [
    ("team add", "Say the team's name and its digest channel: `/okr team add Growth #growth`."),
    ("team add Platform", "Say the team's name and its digest channel: `/okr team add Growth #growth`."),
    ("team add Platform #platform", "I can't read `#platform` as a channel: pick it from Slack's # suggestions"),
    ("team add " + "x" * 81 + " <#C0PLAT>", "The team's name is 81 characters long; keep it to 80 at most."),
    ("team add <@U0BOB> <#C0PLAT>", "Start the team's name with a letter or digit, not a mention"),
])
def test_malformed_team_add(okr, admin, args, expected):
    text, _ = say(okr, admin, args)
    assert text.startswith(expected)
    with okr.session() as s:
        assert len(s.exec(select(Team)).all()) == 1



def test_a_new_digest_channel_typed_as_text_is_explained_and_changes_nothing(okr):
    text, _ = say(okr, "U0LEAD", "team channel Growth #growth-okrs")
    assert text.startswith("I can't read `#growth-okrs` as a channel: pick it from Slack's # suggestions")
    with okr.session() as s:
        assert s.exec(select(Team).where(Team.name == "Growth")).one().channel != "growth-okrs"

def test_lead_adds_and_removes_a_lead(okr):
    text, _ = say(okr, "U0LEAD", "team lead Growth <@U0BOB|bob>")
    assert text.startswith("<@U0BOB> now leads *Growth*")
    assert leads(okr) == ["U0BOB", "U0LEAD"]
    assert say(okr, "U0LEAD", "team lead growth <@U0BOB>")[0] == "<@U0BOB> already leads Growth."
    assert say(okr, "U0BOB", "team unlead Growth <@U0LEAD>")[0] == "<@U0LEAD> no longer leads *Growth*."
    text, _ = say(okr, "U0BOB", "team unlead Growth <@U0BOB>")
    assert text == ("<@U0BOB> no longer leads *Growth*. It has no leads now, so only workspace admins can "
                    "manage it.")
    assert leads(okr) == []
    assert say(okr, "U0BOB", "team unlead Growth <@U0BOB>")[0] == "Only Growth's leads and workspace admins can change who leads it."


def test_admin_manages_a_team_without_leads(okr, admin):
    with okr.session() as s:
        for row in s.exec(select(TeamLead)).all():
            s.delete(row)
    assert say(okr, admin, "team lead Growth <@U0EVE>")[0].startswith("<@U0EVE> now leads *Growth*")
    assert leads(okr) == ["U0EVE"]


def test_non_leads_cannot_change_a_team(okr):
    before = team(okr)
    for args in ("team lead Growth <@U0ALICE>", "team unlead Growth <@U0LEAD>",
                 "team schedule Growth checkin monday 08:00", "team zone Growth Asia/Tokyo"):
        text, _ = say(okr, "U0ALICE", args)
        assert text.startswith("Only Growth's leads and workspace admins can"), text
    assert team(okr) == before and leads(okr) == ["U0LEAD"]


@pytest.mark.parametrize("args, expected", [
    ("team lead Growth", "Say the team and mention the person: `/okr team lead Growth @someone`."),
    ("team lead Growth bob", "`bob` is not a person. Say the team and mention the person"),
    ("team lead Nope <@U0BOB>", "There is no team called “Nope”."),
    ("team unlead Growth <@U0BOB>", "<@U0BOB> does not lead Growth, so there is nothing to remove."),
])
def test_malformed_lead_commands(okr, args, expected):
    assert say(okr, "U0LEAD", args)[0].startswith(expected)
    assert leads(okr) == ["U0LEAD"]


def test_lead_changes_schedules_and_zone(okr):
    text, _ = say(okr, "U0LEAD", "team schedule Growth checkin thu 9:30")
    assert text.startswith("Growth's check-in prompt now goes out Thursday 09:30, in each owner's own time zone.")
    text, _ = say(okr, "U0LEAD", "team schedule Growth digest Tuesday 08:00")
    assert text == "Growth's digest now goes out Tuesday 08:00 Europe/London, in <#C0GROWTH>."
    text, _ = say(okr, "U0LEAD", "team zone Growth America/New_York")
    assert text.startswith("Growth's time zone is now America/New_York: its digest goes out Tuesday 08:00 there")
    changed = team(okr)
    assert (changed.checkin_day, changed.checkin_time, changed.digest_day, changed.digest_time,
            changed.timezone) == (3, "09:30", 1, "08:00", "America/New_York")
    # A lead's own team needs no admin check, so no Slack call.
    assert okr.fake.calls_to("users.info") == []


@pytest.mark.parametrize("args, expected", [
    ("team schedule Growth checkin frday 10:00",
     "'frday' is not a day of the week; use monday to sunday (did you mean 'friday'?)."),
    ("team schedule Growth checkin friday 25:00",
     "'25:00' is not a time of day; write it as \"HH:MM\" on a 24-hour clock, like \"09:30\"."),
    ("team schedule Growth checkin friday noon", "'noon' is not a time of day"),
    ("team schedule Growth lunch friday 10:00", "`lunch` is not a schedule: say `checkin` or `digest`"),
    ("team schedule Growth friday 10:00", "Say the team, which schedule, the day and the time"),
    ("team schedule Nope checkin friday 10:00", "There is no team called “Nope”.\nTeams: Growth."),
    ("team zone Growth Europe/Londn",
     "'Europe/Londn' is not a known IANA time zone (did you mean 'Europe/London'?); use a name like"),
    ("team zone Growth", "Say the team and an IANA time zone: `/okr team zone Growth Europe/London`."),
    ("team frobnicate", "There is no team called “frobnicate”."),
])
def test_malformed_schedule_and_zone(okr, args, expected):
    before = team(okr)
    text, _ = say(okr, "U0LEAD", args)
    assert text.startswith(expected), text
    assert team(okr) == before


def test_multi_word_team_names_work_unquoted_and_quoted(okr, admin):
    say(okr, admin, "team add Platform Reliability <#C0PLAT|platform>")
    assert say(okr, admin, "team zone Platform Reliability Asia/Tokyo")[0].startswith(
        "Platform Reliability's time zone is now Asia/Tokyo")
    assert say(okr, admin, 'team schedule "platform reliability" digest fri 16:00')[0].startswith(
        "Platform Reliability's digest now goes out Friday 16:00 Asia/Tokyo")


def test_cycles_list_and_admin_adds_one(okr, admin):
    okr.clock.set(okr.clock().replace(year=2026, month=11, day=23))
    assert say(okr, "U0ALICE", "cycle")[0] == "• *2026-Q4* · 2026-10-01 to 2026-12-31 (running)"
    text, _ = say(okr, admin, "cycle add 2027-Q1 2027-01-01 2027-03-31")
    assert text.startswith("Added cycle *2027-Q1*, 2027-01-01 to 2027-03-31.")
    with okr.session() as s:
        added = s.exec(select(Cycle).where(Cycle.name == "2027-Q1")).one()
    assert (added.start, added.end) == (date(2027, 1, 1), date(2027, 3, 31))
    assert "*2027-Q1* · 2027-01-01 to 2027-03-31 (upcoming)" in say(okr, "U0ALICE", "cycle")[0]


@pytest.mark.parametrize("args, expected", [
    ("cycle add 2027-Q1 2027-01-01", "Say the cycle's name, first day and last day"),
    ("cycle add 2027-Q1 2027-13-01 2027-03-31", "The first day '2027-13-01' is not a date; write it like 2026-10-01."),
    ("cycle add 2027-Q1 2027-03-31 2027-01-01",
     "The cycle ends on 2027-01-01, which is not after its start on 2027-03-31."),
    ("cycle add 2026-Q4 2027-01-01 2027-03-31", "There is already a cycle called *2026-Q4*"),
    ("cycle remove 2026-Q4", "Cycle commands:"),
])
def test_malformed_cycle_add(okr, admin, args, expected):
    assert say(okr, admin, args)[0].startswith(expected)
    with okr.session() as s:
        assert len(s.exec(select(Cycle)).all()) == 1


def test_only_admins_add_cycles(okr):
    assert say(okr, "U0LEAD", "cycle add 2027-Q1 2027-01-01 2027-03-31")[0] == (
        "Only workspace admins can add cycles; ask one of them.")
    with okr.session() as s:
        assert len(s.exec(select(Cycle)).all()) == 1
