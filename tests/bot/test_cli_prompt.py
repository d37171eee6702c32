"""`okrbot prompt --me`: a newcomer sends themselves the weekly prompt at once."""

import pytest

from bot import cli
from tests.conftest import FIXTURES

NOW = "2026-11-27T16:00:00Z"  # a Friday, after Growth's 10:00 check-in slot everywhere


def run(argv, env):
    return cli.main(argv, serve=lambda settings: 1, env=env)


@pytest.fixture
def env(db_url, fake_slack):
    return {"DATABASE_URL": db_url, "SLACK_BOT_TOKEN": "xoxb-cli", "SLACK_API_URL": fake_slack.url}


def actions(message):
    return [block for block in message["blocks"] if block["type"] == "actions"]


def test_an_owner_gets_this_weeks_prompt_and_the_scheduler_does_not_send_it_again(env, fake_slack, capsys):
    assert run(["import", str(FIXTURES / "growth.yaml")], env) == 0
    assert run(["prompt", "--me", "<@U0ALICE>", "--now", NOW], env) == 0
    assert "Sent U0ALICE the check-in prompt for 2 key results: it is in their DMs with okrbot." in \
        capsys.readouterr().out
    (dm,) = fake_slack.dms_to("U0ALICE")
    assert "Time for your weekly OKR check-in" in fake_slack.render(dm["blocks"]) and actions(dm)
    assert run(["tick", "--now", NOW], env) == 0
    assert len(fake_slack.dms_to("U0ALICE")) == 1  # the week's prompt went out once
    # Asking again sends a copy: the person asked for it.
    assert run(["prompt", "--me", "U0ALICE", "--now", NOW], env) == 0
    assert len(fake_slack.dms_to("U0ALICE")) == 2


def test_someone_who_owns_no_kr_gets_a_preview_without_buttons(env, fake_slack, capsys):
    assert run(["import", str(FIXTURES / "growth.yaml")], env) == 0
    assert run(["prompt", "--me", "U0EVE", "--now", NOW], env) == 0
    assert "a preview of the weekly prompt" in capsys.readouterr().out
    (dm,) = fake_slack.dms_to("U0EVE")
    assert actions(dm) == []
    assert "Preview of the weekly check-in prompt" in fake_slack.render(dm["blocks"])


def test_before_any_import_it_says_what_to_do(env, fake_slack, capsys):
    assert run(["prompt", "--me", "U0EVE", "--now", NOW], env) == 1
    assert "import an OKR file first (okrbot import examples/okrs.yaml)" in capsys.readouterr().err
    assert fake_slack.dms_to("U0EVE") == []


def test_a_name_instead_of_a_member_id_is_refused_with_where_to_find_it(env, capsys):
    with pytest.raises(SystemExit) as exited:
        run(["prompt", "--me", "@alice"], env)
    assert exited.value.code == 2
    assert "is not a Slack member ID like U0123ABCD" in capsys.readouterr().err
