"""`okrbot doctor` against the fake Slack: one line per check, what to fix when one fails, exit 1 then."""

from __future__ import annotations

import pytest
from alembic import command

from app import start_http_app
from bot import cli
from bot.sim.fake_slack import FakeSlack
from bot.sim.signed import Clock
from bot.settings import load_settings
from bot.slack.workspaces import BOT_SCOPES
from storage.db import _alembic_config, make_engine
from tests.conftest import FIXTURES

TOKEN = "xoxb-doctor"
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"


def no_serve(settings):
    raise AssertionError("serve must not run")


@pytest.fixture
def slack():
    with FakeSlack(tokens=[TOKEN]) as fake:
        fake.add_channel("C0GROWTH", name="growth")
        yield fake


@pytest.fixture
def env(db_url, slack):
    return {"DATABASE_URL": db_url, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack.url,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET}


def doctor(env, capsys, *args) -> tuple[int, list[str]]:
    code = cli.main(["doctor", *args], serve=no_serve, env=env)
    return code, capsys.readouterr().out.splitlines()


def imported(env, capsys):
    assert cli.main(["import", str(FIXTURES / "growth.yaml")], serve=no_serve, env=env) == 0
    capsys.readouterr()


def test_everything_in_place_is_one_tick_per_line_and_exit_0(env, slack, capsys):
    imported(env, capsys)
    code, lines = doctor(env, capsys)
    assert code == 0, lines
    assert lines[0] == "✓ SLACK_BOT_TOKEN: okrbot is @okrbot in Fake Workspace (T0FAKE)"
    assert lines[1] == f"✓ scopes: {', '.join(BOT_SCOPES)}"
    assert lines[2] == "✓ SLACK_SIGNING_SECRET: set (32 hexadecimal characters)"
    assert lines[3].startswith("– public URL: not checked: add --url https://YOUR-HOST")
    assert lines[4].startswith("✓ database: ") and "is at migration" in lines[4] and lines[4].endswith("the newest")
    assert lines[5] == "✓ channel C0GROWTH: okrbot is in #growth, team Growth's digest channel"
    assert lines[6:] == ["okrbot is ready."]
    # Doctor only asks.
    assert {c.method for c in slack.calls} == {"auth.test", "conversations.info"}


def test_a_token_slack_refuses(env, capsys):
    imported(env, capsys)
    code, lines = doctor(dict(env, SLACK_BOT_TOKEN="xoxb-wrong"), capsys)
    assert code == 1
    assert lines[0].startswith("✗ SLACK_BOT_TOKEN: ") and "invalid_auth" in lines[0]
    # Nothing else that needs the token is asked; the rest is still checked.
    assert not any(line.startswith(("✓ scopes", "✗ scopes", "✓ channel", "✗ channel")) for line in lines)
    assert any(line.startswith("✓ database") for line in lines)
    assert lines[-1].startswith("okrbot is not ready")


def doctor_granted(scopes, db_url, capsys):
    """`okrbot doctor` against a workspace whose token was granted only these scopes, after an import."""
    with FakeSlack(tokens=[TOKEN], scopes=scopes) as fake:
        fake.add_channel("C0GROWTH", name="growth")
        env = {"DATABASE_URL": db_url, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake.url,
               "SLACK_SIGNING_SECRET": SIGNING_SECRET}
        imported(env, capsys)
        return doctor(env, capsys)


def test_a_token_without_a_scope_names_it(db_url, capsys):
    code, lines = doctor_granted(("chat:write", "commands", "users:read"), db_url, capsys)
    assert code == 1
    assert lines[1].startswith("✗ scopes: the token lacks channels:read, groups:read, files:write, channels:history, "
                               "groups:history, im:history, im:write: add them under OAuth & Permissions → Bot "
                               "Token Scopes")
    assert "reinstall the app" in lines[1]


def test_an_installation_from_before_the_history_scopes_is_told_what_they_are_for(db_url, capsys):
    older = ("chat:write", "commands", "users:read", "channels:read", "groups:read", "files:write")
    code, lines = doctor_granted(older, db_url, capsys)
    assert code == 1
    assert lines[1].startswith("✗ scopes: the token lacks channels:history, groups:history, im:history, im:write: "
                               "okrbot sends without them, but a message a crashed process had sent may be sent "
                               "again: add them under OAuth & Permissions")


def test_a_channel_okrbot_is_not_in(env, slack, capsys):
    imported(env, capsys)
    slack.add_channel("C0GROWTH", name="growth", member=False)
    code, lines = doctor(env, capsys)
    assert code == 1
    assert "✗ channel C0GROWTH: okrbot is not in #growth, team Growth's digest channel: type /invite @okrbot in " \
           "#growth" in lines


def test_a_private_channel_okrbot_is_not_in_does_not_exist_for_it(env, slack, capsys):
    imported(env, capsys)
    slack.add_channel("C0GROWTH", name="growth", member=False, is_private=True)
    code, lines = doctor(env, capsys)
    assert code == 1
    line = next(line for line in lines if line.startswith("✗ channel C0GROWTH"))
    assert "private and okrbot is not in it" in line and "/invite @okrbot" in line


@pytest.mark.fresh_database
def test_a_database_behind_its_migrations(env, db_url, capsys):
    engine = make_engine(db_url)
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0002")
    engine.dispose()
    code, lines = doctor(env, capsys)
    assert code == 1
    line = next(line for line in lines if "database" in line)
    assert line.startswith("✗ database: ") and "is at migration 0002, and this okrbot needs" in line
    assert "run `okrbot db upgrade`" in line
    assert "– digest channels: not checked until the database is migrated" in lines
    # Doctor never migrates: it still says so after being run.
    assert doctor(env, capsys)[0] == 1


def test_a_missing_or_malformed_signing_secret(env, capsys):
    imported(env, capsys)
    code, lines = doctor(dict(env, SLACK_SIGNING_SECRET=""), capsys)
    assert code == 1 and any(line.startswith("✗ SLACK_SIGNING_SECRET: not set") for line in lines)
    code, lines = doctor(dict(env, SLACK_SIGNING_SECRET="xoxb-this-is-a-token"), capsys)
    assert code == 1 and any("Slack's are 32 hexadecimal characters" in line for line in lines)


def test_the_public_url_is_checked_when_given(env, slack, engine, capsys):
    imported(env, capsys)
    url, stop = start_http_app(load_settings(env), engine, clock=Clock(None))
    try:
        base = url.removesuffix("/slack/events")
        code, lines = doctor(env, capsys, "--url", base)
        assert code == 0, lines
        assert f"✓ public URL: {base}/slack/events reaches okrbot (point manifest.yaml's URLs there)" in lines
    finally:
        stop()
    code, lines = doctor(env, capsys, "--url", base)
    assert code == 1
    assert any(line.startswith(f"✗ public URL: {base}/health cannot be reached") for line in lines)


def test_socket_mode_needs_no_url_or_signing_secret(env, capsys):
    imported(env, capsys)
    code, lines = doctor(dict(env, SLACK_APP_TOKEN="xapp-1-A0-1-abc", SLACK_SIGNING_SECRET=""), capsys)
    assert code == 0, lines
    assert any(line.startswith("✓ Socket Mode: SLACK_APP_TOKEN is set") for line in lines)
    assert "✓ SLACK_SIGNING_SECRET: not needed in Socket Mode" in lines
