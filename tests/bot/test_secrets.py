"""Tokens and secrets never appear in logs or error messages."""

import logging
from datetime import UTC, datetime

from bot import cli
from bot.jobs.tick import run_tick
from bot.slack.client import make_client
from tests.conftest import FIXTURES

TOKEN = "xoxb-super-secret-token-123"


def test_failing_tick_logs_no_token(okr, fake_slack, caplog):
    fake_slack.fail_next("chat.postMessage", status=200, error="invalid_auth", count=50)
    fake_slack.fail_next("users.info", status=500, count=50)
    client = make_client(TOKEN, fake_slack.url, backoff=0.0, jitter=0.0)
    with caplog.at_level(logging.DEBUG):
        run_tick(now=datetime(2026, 11, 27, 15, 0, tzinfo=UTC), engine=okr.engine, client=client)
    assert "invalid_auth" in caplog.text  # the failure is logged...
    assert TOKEN not in caplog.text  # ...without the token


def test_cli_errors_show_no_secrets(db_url, fake_slack, capsys):
    env = {"DATABASE_URL": "postgresql+psycopg://okr:db-password-456@127.0.0.1:1/x", "SLACK_BOT_TOKEN": TOKEN,
           "SLACK_SIGNING_SECRET": "signing-secret-789", "SLACK_API_URL": fake_slack.url}
    assert cli.main(["import", str(FIXTURES / "growth.yaml")], serve=None, env=env) == 1
    out = capsys.readouterr()
    for secret in (TOKEN, "db-password-456", "signing-secret-789"):
        assert secret not in out.err and secret not in out.out
