"""Text people type is cleaned where it enters: check-in notes, the objective form, /okr team commands and OKR
files lose control characters (but newline and tab) and bidirectional controls before anything stores them."""

from datetime import UTC, datetime

from sqlmodel import select

from bot import cli
from bot.slack import ids
from storage.models import KeyResult, Objective, Team
from tests.authoring_flows import fill_and_submit, kr_fields, last_opened
from tests.conftest import FIXTURES
from tests.flows import check_in, checkins

NUL_AND_RLO = "\x00\u202e\u2066\x1b"


def test_a_check_in_note_is_stored_without_control_or_bidi_characters(okr):
    check_in(okr, "U0ALICE", datetime(2026, 11, 27, 16, tzinfo=UTC),
             {"d7-activation": ("27", "green", f"on track{NUL_AND_RLO}\r\nnext: \u202eexe.gnp")})
    (saved,) = checkins(okr)
    assert saved.note == "on track\nnext: exe.gnp"


def test_the_objective_form_is_cleaned(okr):
    okr.fake.reset_calls()
    assert okr.slack.command("U0LEAD", "new").status == 200
    view = last_opened(okr)
    title = f"Make support{NUL_AND_RLO} feel instant for every customer"
    fields = {**kr_fields("n0", f"Reduce first response time{NUL_AND_RLO} from 4 hours to 1 hour", "U0BOB", "4", "1",
                          f"hours{NUL_AND_RLO}"),
              **kr_fields("n1", "Increase CSAT from 82% to 90%", "U0ALICE", "82%", "90", "%")}
    assert fill_and_submit(okr, "U0LEAD", view, **{ids.OBJ_TITLE_BLOCK: title}, **fields).status == 200
    with okr.session() as s:
        saved = s.exec(select(Objective).where(Objective.title.startswith("Make support"))).one()
        kr = s.exec(select(KeyResult).where(KeyResult.objective_id == saved.id, KeyResult.unit == "hours")).one()
        assert saved.title == "Make support feel instant for every customer"
        assert kr.title == "Reduce first response time from 4 hours to 1 hour"


def test_a_team_command_is_cleaned(okr):
    okr.fake.add_user("U0ADMIN", tz="UTC", name="ada", is_admin=True)
    answer = okr.slack.command("U0ADMIN", f"team add Plat\u202eform{NUL_AND_RLO} <#C0PLAT|platform>").json()
    assert answer["text"].startswith("Created team *Platform*")
    with okr.session() as s:
        assert s.exec(select(Team).where(Team.name == "Platform")).one()


def test_an_okr_file_is_cleaned_on_import(db_url, fake_slack, tmp_path, capsys):
    text = (FIXTURES / "growth.yaml").read_text().replace(
        "title: Make self-serve onboarding effortless for mid-market customers",
        'title: "Make self-serve\\0 onboarding \\u202eeffortless\\e for mid-market customers"')
    path = tmp_path / "dirty.yaml"
    path.write_text(text)
    env = {"DATABASE_URL": db_url, "SLACK_BOT_TOKEN": "xoxb-cli", "SLACK_API_URL": fake_slack.url}
    assert cli.main(["import", str(path)], serve=None, env=env) == 0
    from storage.db import make_engine, open_session

    with open_session(make_engine(db_url)) as s:
        titles = set(s.exec(select(Objective.title)).all())
    assert "Make self-serve onboarding effortless for mid-market customers" in titles
