"""Start-up: Slack unreachable or refusing the token stops `serve` (and `tick`) with one sentence and exit 2; a good
start is quiet, and SIGTERM stops it cleanly."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app import serve
from bot import cli
from bot.sim.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]


def env_for(fake_url: str, tmp_path, **extra) -> dict:
    return {"SLACK_BOT_TOKEN": "xoxb-start", "SLACK_SIGNING_SECRET": "start-secret", "SLACK_API_URL": fake_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}", "OKRBOT_SCHEDULER": "off", **extra}


def unreachable_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/api/"


@pytest.mark.parametrize("command", ["serve", "tick"])
def test_unreachable_slack_is_one_sentence_and_exit_2(tmp_path, capsys, command):
    code = cli.main([command], serve=serve, env=env_for(unreachable_url(), tmp_path))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "cannot reach Slack at SLACK_API_URL" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["serve", "tick"])
def test_a_token_slack_refuses_is_one_sentence_and_exit_2(tmp_path, capsys, command):
    with FakeSlack(tokens={"xoxb-the-real-one"}) as fake:
        code = cli.main([command], serve=serve, env=env_for(fake.url, tmp_path))
    err = capsys.readouterr().err
    assert code == 2
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in err and "xoxb-start" not in err and "Traceback" not in err


def test_slack_down_at_start_up_is_named(tmp_path, capsys):
    with FakeSlack() as fake:
        fake.fail_next("auth.test", status=503, count=5)
        code = cli.main(["serve"], serve=serve, env=env_for(fake.url, tmp_path))
    assert code == 2 and "Slack answered auth.test with HTTP 503" in capsys.readouterr().err


def test_a_port_in_use_is_one_sentence(tmp_path, capsys):
    with FakeSlack() as fake, socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        code = cli.main(["serve"], serve=serve, env=env_for(fake.url, tmp_path, PORT=str(taken.getsockname()[1])))
    err = capsys.readouterr().err
    assert code == 2 and "cannot listen on PORT" in err and "Traceback" not in err


def test_multi_workspace_mode_checks_that_slack_answers(tmp_path, capsys):
    env = env_for(unreachable_url(), tmp_path, SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="s")
    del env["SLACK_BOT_TOKEN"]
    assert cli.main(["serve"], serve=serve, env=env) == 2
    assert "cannot reach Slack" in capsys.readouterr().err


def test_a_good_start_is_quiet_and_sigterm_lets_a_request_finish(tmp_path):
    """A real `serve`: no Bolt warning about the token, and SIGTERM mid-request still answers it, then exits 0."""
    with FakeSlack() as fake, socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "OKRBOT_"))}
        env.update(env_for(fake.url, tmp_path, PORT=str(port)))
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "serve"], env=env, cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
                    break
                except OSError:
                    assert time.monotonic() < deadline and proc.poll() is None
                    time.sleep(0.1)
            from bot.sim.signed import SignedSlack
            from bot.slack import ids

            fake.latency(1.5)  # the click's Slack call is in flight when SIGTERM arrives
            slack = SignedSlack(f"http://127.0.0.1:{port}/slack/events", "start-secret", fake=fake)
            import threading

            answers = []
            clicked = threading.Thread(target=lambda: answers.append(slack.click("U0NOBODY", ids.OPEN_CHECKIN)))
            clicked.start()
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            clicked.join(timeout=20)
            err = proc.communicate(timeout=30)[1]
        finally:
            if proc.poll() is None:
                proc.kill()
    assert answers and answers[0].status == 200
    assert proc.returncode == 0, err
    assert "will be unused" not in err and "Traceback" not in err and "okrbot stopped" in err
