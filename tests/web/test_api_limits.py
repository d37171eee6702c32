"""The API's rate limit per token, and that Slack's requests and the API's do not wait behind each other."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from storage.db import session_scope
from storage.tokens import create_token
from tests.web.api_client import Api
from web.api import build_api
from web.limits import RateLimit
from web.server import HttpServer, bind

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_the_bucket_lets_a_burst_through_then_refills_at_the_rate():
    at = [0.0]
    limit = RateLimit(per_minute=60, burst=2, clock=lambda: at[0])
    assert [limit.wait_for("a"), limit.wait_for("a")] == [0.0, 0.0]
    assert limit.wait_for("a") == pytest.approx(1.0)
    assert limit.wait_for("b") == 0.0  # per key
    at[0] = 0.5
    assert limit.wait_for("a") == pytest.approx(0.5)
    at[0] = 1.0
    assert limit.wait_for("a") == 0.0


@pytest.fixture
def small_api(engine):
    from bot.okr_files.importer import import_file
    from tests.conftest import FIXTURES

    with session_scope(engine) as s:
        import_file(str(FIXTURES / "growth.yaml"), session=s)
        tokens = [create_token(name, session=s, now=NOW) for name in ("a", "b")]
    server = HttpServer(build_api(engine, clock=lambda: NOW, limit=RateLimit(per_minute=6, burst=3)),
                        bind("127.0.0.1", 0)).start()
    yield f"http://127.0.0.1:{server.port}", tokens
    server.stop()


def test_past_its_burst_a_token_gets_429_with_retry_after_and_others_are_unaffected(small_api):
    base, (a, b) = small_api
    api = Api(base, a, prefix="")
    assert [api.push("KR-1", {"value": n}).status for n in range(3)] == [201, 201, 201]
    refused = api.push("KR-1", {"value": 4})
    assert refused.status == 429 and refused.headers["retry-after"] == "10"
    assert "6 requests a minute" in refused.detail
    assert api.get("KR-1").status == 429
    assert Api(base, b, prefix="").push("KR-1", {"value": 5}).status == 201
    # A wrong token is refused before it can spend anyone's budget.
    assert Api(base, "okr_nope", prefix="").push("KR-1", {"value": 6}).status == 401


def test_slack_answers_while_the_api_is_busy(okr):
    """A burst of pushes in FastAPI's pool and a slash command in Bolt's: the command is answered meanwhile."""
    with session_scope(okr.engine) as s:
        token = create_token("ci", session=s, now=NOW)
    api = Api(okr.url, token)
    done = threading.Event()
    statuses: list[int] = []

    def pushes():
        with ThreadPoolExecutor(20) as pool:
            statuses.extend(pool.map(lambda n: api.push("KR-1", {"value": n % 30}).status, range(100)))
        done.set()

    worker = threading.Thread(target=pushes)
    worker.start()
    time.sleep(0.05)
    started = time.monotonic()
    body = okr.slack.command("U0ALICE", "status me").json()
    took = time.monotonic() - started
    answered_during_burst = not done.is_set()
    worker.join()
    assert "Increase Day-7 activation rate" in str(body)
    assert statuses == [201] * 100
    assert answered_during_burst or took < 2.0
